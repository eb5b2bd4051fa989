//! The seven statuses of a sync run, with the words users see for each.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RunStatus {
    Queued,
    InProgress,
    Success,
    NeedsAttention,
    DataLoadFailed,
    AboveDeactivationThreshold,
    Cancelled,
}

/// Which logs a run in a given status has to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogAvailability {
    None,
    SyncResults,
    Errors,
}

/// The entries of a run's log that its details page lists. A blocked run has no log to
/// download, but the deactivations it planned and did not apply are kept to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogKind {
    Results,
    Errors,
    Planned,
}

impl LogKind {
    /// The name the entries are stored under.
    pub fn slug(self) -> &'static str {
        match self {
            LogKind::Results => "result",
            LogKind::Errors => "error",
            LogKind::Planned => "planned",
        }
    }
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Queued,
        RunStatus::InProgress,
        RunStatus::Success,
        RunStatus::NeedsAttention,
        RunStatus::DataLoadFailed,
        RunStatus::AboveDeactivationThreshold,
        RunStatus::Cancelled,
    ];

    /// The label shown in the UI; users and tests rely on the exact words.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::InProgress => "In Progress",
            RunStatus::Success => "Success",
            RunStatus::NeedsAttention => "Needs Attention",
            RunStatus::DataLoadFailed => "Data Load Failed",
            RunStatus::AboveDeactivationThreshold => "Above Deactivation Threshold",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            RunStatus::Queued => "The sync is scheduled and waiting to start.",
            RunStatus::InProgress => "The sync is currently running.",
            RunStatus::Success => "The sync completed without issues.",
            RunStatus::NeedsAttention => "The sync completed with warnings.",
            RunStatus::DataLoadFailed => "User data could not be loaded.",
            RunStatus::AboveDeactivationThreshold => {
                "The sync was blocked because the number of deactivations exceeded the configured threshold. Nothing was changed."
            }
            RunStatus::Cancelled => {
                "The sync was cancelled before completing. Nothing was changed."
            }
        }
    }

    pub fn recommended_action(self) -> &'static str {
        match self {
            RunStatus::Queued | RunStatus::InProgress => "No action required.",
            RunStatus::Success => "If needed, download logs to confirm results.",
            RunStatus::NeedsAttention => "Download logs and review warnings.",
            RunStatus::DataLoadFailed => "Download error logs and investigate the cause.",
            RunStatus::AboveDeactivationThreshold | RunStatus::Cancelled => "Contact Support.",
        }
    }

    pub fn logs(self) -> LogAvailability {
        match self {
            RunStatus::Success | RunStatus::NeedsAttention => LogAvailability::SyncResults,
            RunStatus::DataLoadFailed => LogAvailability::Errors,
            _ => LogAvailability::None,
        }
    }

    /// The entries the run's details page lists, if any: its log to download, or for a
    /// blocked run the deactivations it did not apply.
    pub fn entries(self) -> Option<LogKind> {
        match self.logs() {
            LogAvailability::SyncResults => Some(LogKind::Results),
            LogAvailability::Errors => Some(LogKind::Errors),
            LogAvailability::None => {
                (self == RunStatus::AboveDeactivationThreshold).then_some(LogKind::Planned)
            }
        }
    }

    /// Whether a run that ends in this status alerts its organisation's admins: it needs
    /// someone to act.
    pub fn alerts(self) -> bool {
        matches!(
            self,
            RunStatus::NeedsAttention
                | RunStatus::DataLoadFailed
                | RunStatus::AboveDeactivationThreshold
                | RunStatus::Cancelled
        )
    }

    /// Queued and In Progress runs are still changing; the rest are final.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::InProgress)
    }

    /// The stable machine name used in URLs and in the database (`const`: the server's
    /// SQL spells statuses with it).
    pub const fn slug(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::InProgress => "in_progress",
            RunStatus::Success => "success",
            RunStatus::NeedsAttention => "needs_attention",
            RunStatus::DataLoadFailed => "data_load_failed",
            RunStatus::AboveDeactivationThreshold => "above_deactivation_threshold",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// CSS modifier for the badge colour (the label always carries the meaning too).
    pub fn css_class(self) -> &'static str {
        match self {
            RunStatus::Queued => "status status--queued",
            RunStatus::InProgress => "status status--in-progress",
            RunStatus::Success => "status status--success",
            RunStatus::NeedsAttention => "status status--attention",
            RunStatus::DataLoadFailed => "status status--failed",
            RunStatus::AboveDeactivationThreshold => "status status--blocked",
            RunStatus::Cancelled => "status status--cancelled",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status \"{0}\"")]
pub struct UnknownStatus(pub String);

impl FromStr for RunStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            // As a link spells it, in any case (`Success` as `success`).
            .find(|st| st.slug().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStatus(s.chars().take(60).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_exact() {
        let labels: Vec<_> = RunStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(
            labels,
            [
                "Queued",
                "In Progress",
                "Success",
                "Needs Attention",
                "Data Load Failed",
                "Above Deactivation Threshold",
                "Cancelled"
            ]
        );
    }

    #[test]
    fn slugs_round_trip() {
        for s in RunStatus::ALL {
            assert_eq!(s.to_string().parse::<RunStatus>(), Ok(s));
        }
        assert_eq!("Success".parse::<RunStatus>(), Ok(RunStatus::Success));
        assert!("".parse::<RunStatus>().is_err());
    }

    #[test]
    fn logs_follow_the_help_article() {
        use LogAvailability::*;
        use RunStatus::*;
        assert_eq!(Success.logs(), SyncResults);
        assert_eq!(NeedsAttention.logs(), SyncResults);
        assert_eq!(DataLoadFailed.logs(), Errors);
        for s in [Queued, InProgress, Cancelled, AboveDeactivationThreshold] {
            assert_eq!(s.logs(), None, "{s:?}");
        }
    }

    #[test]
    fn actions_follow_the_help_article() {
        use RunStatus::*;
        assert_eq!(Queued.recommended_action(), "No action required.");
        assert_eq!(InProgress.recommended_action(), "No action required.");
        assert_eq!(
            AboveDeactivationThreshold.recommended_action(),
            "Contact Support."
        );
        assert_eq!(Cancelled.recommended_action(), "Contact Support.");
        assert!(DataLoadFailed.recommended_action().contains("error logs"));
        assert!(Queued.is_active() && InProgress.is_active() && !Success.is_active());
    }
}
