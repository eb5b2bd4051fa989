//! The log of a demo run: a result line per record for a run that completed, error lines
//! for a failed load, and the deactivations a blocked run planned, worded as the engine
//! words them.

use super::directory::{Person, DEPARTMENTS, TITLES};
use super::history::Plan;
use super::skips::{skipped, Record, SKIPS};
use super::wording::{load_errors, record_ref};
use super::Config;
use crate::db::entities::sync_log_entry;
use app::domain::{FieldChange, LogAction, LogOutcome, RunStatus, SourceKind};
use rand::{rngs::StdRng, Rng};
use sea_orm::Set;

/// Where in the source a run's changes start: a different place for each run (from its
/// id, not the generator, so the demo's other draws stay), so that it is not the same few
/// people every run creates, updates or would deactivate.
pub(super) fn turn(run_id: i64, people: usize) -> usize {
    (run_id.unsigned_abs() as usize).wrapping_mul(7919) % people.max(1)
}

/// Managers a noted update names: people the source does not list.
const UNKNOWN_MANAGERS: [&str; SKIPS.len()] = ["P-19991", "P-19992", "P-19993", "P-19994"];

/// One line of a run's log, before it is a row.
struct Line<'p> {
    seq: i32,
    kind: &'static str,
    person: Option<&'p Person>,
    action: LogAction,
    outcome: LogOutcome,
    message: String,
    changed: Option<String>,
}

impl Line<'_> {
    fn row(self, run_id: i64, source: SourceKind) -> sync_log_entry::ActiveModel {
        sync_log_entry::ActiveModel {
            run_id: Set(run_id),
            sequence: Set(self.seq),
            kind: Set(self.kind.into()),
            // A person the source no longer lists (a deactivation) has no row in it.
            record_ref: Set(self
                .person
                .filter(|_| self.action != LogAction::Deactivate)
                .map(|_| record_ref(source, self.seq as usize))),
            external_id: Set(self.person.map(|p| p.0.clone())),
            email: Set(self.person.map(|p| p.1.clone())),
            action: Set(self.action.slug().into()),
            outcome: Set(self.outcome.slug().into()),
            message: Set(self.message),
            changed_fields: Set(self.changed),
            ..Default::default()
        }
    }
}

/// What a result line says: its outcome, words and changed fields, and what a skipped
/// record held where it is not the person's own.
struct Words {
    outcome: LogOutcome,
    message: String,
    changed: Option<String>,
    record: Option<Record>,
}

impl Plan {
    /// Result logs (one per record) for completed runs, error logs for failed loads.
    pub(super) fn log_entries(
        &self,
        run_id: i64,
        c: &Config,
        people: &[Person],
        rng: &mut StdRng,
    ) -> Vec<sync_log_entry::ActiveModel> {
        match self.status {
            Some(RunStatus::DataLoadFailed) => (0..self.errors)
                .map(|i| {
                    let errors = load_errors(c.kind);
                    let msg = errors[rng.gen_range(0..errors.len())];
                    Line {
                        seq: i,
                        kind: "error",
                        person: None,
                        action: LogAction::Load,
                        outcome: LogOutcome::Error,
                        message: format!("{}: {msg}", c.kind.display_name()),
                        changed: None,
                    }
                    .row(run_id, c.kind)
                })
                .collect(),
            Some(RunStatus::Success | RunStatus::NeedsAttention) => {
                self.results(run_id, c, people, rng)
            }
            // A blocked run keeps the deactivations it would have made, for the people
            // they concern (see a person's history).
            Some(RunStatus::AboveDeactivationThreshold) => people
                .iter()
                .cycle()
                .skip(turn(run_id, people.len()))
                .take(self.planned_deactivations.clamp(0, people.len() as i32) as usize)
                .enumerate()
                .map(|(i, person)| {
                    Line {
                        seq: i as i32,
                        kind: "planned",
                        person: Some(person),
                        action: LogAction::Deactivate,
                        outcome: LogOutcome::Ok,
                        message: "User deactivated: no longer in the source.".to_string(),
                        changed: Some("active".to_string()),
                    }
                    .row(run_id, c.kind)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Each record's action, and whether it is an update with a warning, in the order the
    /// source lists the people.
    fn actions(&self, run_id: i64, people: usize) -> Vec<(LogAction, bool)> {
        let noted = self.warnings - self.skipped;
        let mut actions = Vec::with_capacity(people);
        for (action, noted, n) in [
            (LogAction::Create, false, self.created),
            (LogAction::Update, false, self.updated - noted),
            (LogAction::Deactivate, false, self.deactivated),
            (LogAction::Reactivate, false, self.reactivated),
            (LogAction::Skip, false, self.skipped),
            (LogAction::Update, true, noted),
        ] {
            actions.extend(std::iter::repeat_n((action, noted), n.max(0) as usize));
        }
        actions.resize(people, (LogAction::Unchanged, false));
        actions.rotate_right(turn(run_id, people));
        actions
    }

    /// A completed run's result lines, one per person of the source.
    fn results(
        &self,
        run_id: i64,
        c: &Config,
        people: &[Person],
        rng: &mut StdRng,
    ) -> Vec<sync_log_entry::ActiveModel> {
        let actions = self.actions(run_id, people.len());
        // Which entries stand for a record of the source that is the person's own: not a
        // deactivation (no record) nor a skip (which may show another's).
        let rows: Vec<bool> = actions
            .iter()
            .map(|(a, _)| !matches!(a, LogAction::Deactivate | LogAction::Skip))
            .collect();
        actions
            .into_iter()
            .zip(people)
            .enumerate()
            .map(|(i, ((action, noted), person))| {
                let words = words(action, noted, rng, |skip| {
                    skipped(skip, c.kind, i, person, people, &rows)
                });
                let values = (action == LogAction::Update)
                    .then(|| update_values(i, words.changed.as_deref().unwrap_or_default()));
                let mut e = Line {
                    seq: i as i32,
                    kind: "result",
                    person: Some(person),
                    action,
                    outcome: words.outcome,
                    message: words.message,
                    changed: words.changed,
                }
                .row(run_id, c.kind);
                // What the skipped record held, where it is not the person's own.
                if let Some((id, email)) = words.record {
                    e.external_id = Set(Some(id));
                    e.email = Set(email);
                }
                if let Some(values) = values {
                    e.field_changes = Set(Some(values));
                }
                e
            })
            .collect()
    }
}

/// What a result line of `action` says; `skip` words a skip.
fn words(
    action: LogAction,
    noted: bool,
    rng: &mut StdRng,
    skip: impl FnOnce(super::skips::Skip) -> (String, Option<Record>),
) -> Words {
    let said = |outcome, message: &str, changed: Option<&str>| Words {
        outcome,
        message: message.to_string(),
        changed: changed.map(str::to_string),
        record: None,
    };
    match action {
        // The draw a skip would make, so the demo's other draws stay.
        LogAction::Update if noted => Words {
            outcome: LogOutcome::Warning,
            message: format!(
                "User updated. Manager ID {} is not in the source, so it was not applied (the person keeps their current manager, if any).",
                UNKNOWN_MANAGERS[rng.gen_range(0..SKIPS.len())]
            ),
            changed: Some("title".to_string()),
            record: None,
        },
        LogAction::Create => said(
            LogOutcome::Ok,
            "User created.",
            Some("email, first_name, last_name, title, department"),
        ),
        LogAction::Update => said(
            LogOutcome::Ok,
            "User updated.",
            Some(["title", "department", "manager_id"][rng.gen_range(0..3)]),
        ),
        LogAction::Deactivate => said(
            LogOutcome::Ok,
            "User deactivated: no longer in the source.",
            Some("active"),
        ),
        LogAction::Reactivate => said(
            LogOutcome::Ok,
            "User reactivated: back in the source.",
            Some("active"),
        ),
        LogAction::Skip => {
            let (message, record) = skip(SKIPS[rng.gen_range(0..SKIPS.len())]);
            Words {
                outcome: LogOutcome::Warning,
                message,
                changed: None,
                record,
            }
        }
        _ => said(LogOutcome::Ok, "No changes.", None),
    }
}

/// An update's values, old → new, as the engine keeps them: from the entry's place, not
/// the generator, so the demo's other draws stay as they were.
fn update_values(i: usize, field: &str) -> String {
    let values: &[&str] = match field {
        "department" => &DEPARTMENTS,
        "title" => &TITLES,
        _ => &["P-10002", "P-10007", "P-10011"],
    };
    let old = i % values.len();
    let new = (old + 1 + i / values.len() % (values.len() - 1)) % values.len();
    serde_json::to_string(&[FieldChange {
        field: field.to_string(),
        old: Some(values[old].to_string()),
        new: Some(values[new].to_string()),
    }])
    .unwrap_or_default()
}
