//! The kinds of source a sync configuration can import from.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SourceKind {
    GoogleWorkspace,
    Workday,
    Sftp,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [
        SourceKind::GoogleWorkspace,
        SourceKind::Workday,
        SourceKind::Sftp,
    ];

    /// The name shown in the UI.
    pub fn display_name(self) -> &'static str {
        match self {
            SourceKind::GoogleWorkspace => "Google Workspace",
            SourceKind::Workday => "Workday",
            SourceKind::Sftp => "SFTP Sync",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            SourceKind::GoogleWorkspace => "google_workspace",
            SourceKind::Workday => "workday",
            SourceKind::Sftp => "sftp",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown source kind \"{0}\"")]
pub struct UnknownSource(pub String);

impl FromStr for SourceKind {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|k| k.slug() == s)
            .ok_or_else(|| UnknownSource(s.chars().take(60).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_and_round_trip() {
        let names: Vec<_> = SourceKind::ALL.iter().map(|k| k.display_name()).collect();
        assert_eq!(names, ["Google Workspace", "Workday", "SFTP Sync"]);
        for k in SourceKind::ALL {
            assert_eq!(k.to_string().parse::<SourceKind>(), Ok(k));
        }
        assert!("csv".parse::<SourceKind>().is_err());
    }
}
