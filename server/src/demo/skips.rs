//! The records a demo run skips, and why, in the engine's own words.

use super::directory::Person;
use super::wording::record_ref;
use app::domain::SourceKind;

/// Why a demo record was skipped, as the engine words it.
#[derive(Clone, Copy)]
pub(super) enum Skip {
    /// The record's email is blank: its entry shows none.
    NoEmail,
    /// The record's email is not one: its entry shows the source's value.
    BadEmail,
    /// The record repeats an earlier record of the run's log (the same person twice).
    RepeatedId,
    /// The record gives the administrator's email, whose account no source takes over.
    AdminEmail,
}

pub(super) const SKIPS: [Skip; 4] = [
    Skip::NoEmail,
    Skip::BadEmail,
    Skip::RepeatedId,
    Skip::AdminEmail,
];

/// What the record a demo run skipped held, where the entry shows it: its Employee ID and
/// email (`None`: blank).
pub(super) type Record = (String, Option<String>);

/// A demo skip's message, as the engine writes it, and the record skipped where it is not
/// the person's own. Entry `i` of a log whose entries stand for a source row where `rows`
/// says so; a repeated Employee ID names an earlier row of the same log.
pub(super) fn skipped(
    skip: Skip,
    kind: SourceKind,
    i: usize,
    person: &Person,
    people: &[Person],
    rows: &[bool],
) -> (String, Option<Record>) {
    let (id, email) = person;
    match skip {
        Skip::NoEmail => (
            "The Email is blank. Record skipped; the directory keeps this person as they are."
                .into(),
            Some((id.clone(), None)),
        ),
        Skip::BadEmail => {
            let bad = format!("{}@", email.split('@').next().unwrap_or_default());
            (
                format!("\"{bad}\" is not a valid email address. Record skipped."),
                Some((id.clone(), Some(bad))),
            )
        }
        Skip::RepeatedId => match (0..i).rev().find(|&j| rows[j]) {
            Some(j) => (
                format!(
                    "Employee ID {} appears again (first in {}). Record skipped.",
                    people[j].0,
                    record_ref(kind, j)
                ),
                // The same person listed twice, as exports often do.
                Some((people[j].0.clone(), Some(people[j].1.clone()))),
            ),
            // The log's first row repeats nothing.
            None => skipped(Skip::NoEmail, kind, i, person, people, rows),
        },
        // The record gives the organisation's administrator's email (a slip in the
        // source): the administrator's account is never taken over.
        Skip::AdminEmail => {
            let admin = format!("org.admin@{}", email.split('@').nth(1).unwrap_or_default());
            (
                format!("{admin} belongs to an Organisation Admin account that no sync configuration manages, and a source never takes over an administrator's account. Record skipped; the account is left as it is."),
                Some((id.clone(), Some(admin))),
            )
        }
    }
}
