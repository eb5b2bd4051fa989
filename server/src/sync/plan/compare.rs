//! How one matched person compares with their directory user: the stored values a record
//! leaves unset, and the fields that differ (re-key, reactivation and takeover included).

use super::{for_person, skip_person, Change, DirectoryUser};
use crate::sync::person::{Field, Person, Text};
use crate::sync::policy::{BlankValues, RecordPolicy};
use crate::sync::validate::Loaded;
use app::domain::{FieldChange, LogAction, Role};
use hashbrown::HashMap;
use std::borrow::Cow;

/// A matched person's optional fields that the source leaves unset take the stored
/// value: a blank only clears when the configuration says blanks clear, and a value the
/// source could not give (an error cell, a manager link not applied, a column it lacks)
/// never does.
pub(super) fn keep_stored_values(
    loaded: &mut Loaded,
    user_of: &[Option<usize>],
    directory: &[DirectoryUser],
    policy: &RecordPolicy,
) {
    for (p, ui) in loaded.people.iter_mut().zip(user_of) {
        let Some(u) = ui.map(|ui| &directory[ui]) else {
            continue;
        };
        for f in Field::OPTIONAL {
            let clears = policy.blank_values == BlankValues::Clear && p.blank.contains(f);
            if let Some(slot) = p.optional_mut(f).filter(|slot| slot.is_none() && !clears) {
                *slot = u.optional(f).map(Text::from);
            }
        }
    }
}

/// The change for a person matched to directory user `ui`.
pub(super) fn match_change(
    configuration_id: i64,
    p: &Person,
    ui: usize,
    directory: &[DirectoryUser],
    by_email: &HashMap<&str, usize>,
    policy: &RecordPolicy,
) -> Change {
    let u = &directory[ui];
    match u.managed_by {
        // An account no configuration manages is taken over only if it is a Basic User's:
        // an HR row must never rename, re-key or deactivate an administrator.
        None if u.role != Some(Role::BasicUser) => skip_person(
            p,
            format!(
                "{} belongs to {} account that no sync configuration manages, and a source never takes over an administrator's account. Record skipped; the account is left as it is.",
                p.email,
                match u.role {
                    Some(r) if r.label().starts_with(['A', 'E', 'I', 'O', 'U']) =>
                        format!("an {}", r.label()),
                    Some(r) => format!("a {}", r.label()),
                    None => "an administrator's".into(),
                }
            ),
        ),
        Some(other) if other != configuration_id => skip_person(
            p,
            format!(
                "The email {} belongs to a user that another sync configuration (#{other}) manages. Record skipped; the user is left as they are.",
                p.email
            ),
        ),
        _ => match by_email.get(p.email.as_str()) {
            Some(&other) if other != ui => skip_person(
                p,
                format!(
                    "Employee ID {} belongs to {}, but this record's email {} belongs to another directory user{}. Record skipped; both are left as they are.",
                    p.external_id,
                    u.email,
                    p.email,
                    directory[other]
                        .external_id
                        .as_deref()
                        .map(|id| format!(" (Employee ID {id})"))
                        .unwrap_or_default()
                ),
            ),
            _ => compare(p, u, u.managed_by == Some(configuration_id), policy),
        },
    }
}

pub(super) fn field_of(p: &Person, field: Field) -> Option<&str> {
    match field {
        Field::ExternalId => Some(&p.external_id),
        Field::Email => Some(&p.email),
        Field::FirstName => Some(&p.first_name),
        Field::LastName => Some(&p.last_name),
        Field::Title | Field::Department | Field::ManagerId => p.optional(field),
        Field::Status => None,
    }
}

/// A matched user: which fields differ, and whether the account flips. Optional values
/// the source leaves unset were given the stored ones already, so an unset value that
/// still differs is a blank the configuration clears: logged with what it was.
fn compare(p: &Person, u: &DirectoryUser, already_ours: bool, policy: &RecordPolicy) -> Change {
    let rekeyed_from = u
        .external_id
        .as_deref()
        .filter(|old| !old.is_empty() && *old != p.external_id.as_str());
    if let (Some(old), false) = (rekeyed_from, policy.allow_rekey) {
        return skip_person(
            p,
            format!(
                "The Employee ID changed from {old} to {} for {} (matched by email), and this configuration does not allow re-keying (allow_rekey = false). Record skipped; the user is left as they are.",
                p.external_id, p.email
            ),
        );
    }
    let Differences {
        mut changed,
        mut values,
        mut notes,
    } = differences(p, u);
    if let Some(old) = rekeyed_from {
        let adopted = if already_ours {
            ""
        } else {
            " It is now kept in sync by this configuration."
        };
        notes.insert(
            0,
            format!(
                "Employee ID changed from {old} to {} (matched by email).{adopted}",
                p.external_id
            ),
        );
    }
    let (action, message) = action_of(u, p, rekeyed_from.is_some(), already_ours, &changed);
    if u.active != p.active {
        changed.push("active");
        let state = |active: bool| Some(if active { "Active" } else { "Deactivated" }.to_string());
        values.push(FieldChange {
            field: Field::Status.key().into(),
            old: state(u.active),
            new: state(p.active),
        });
    }
    if !already_ours {
        changed.push("managed_by");
    }
    let message = if notes.is_empty() {
        message
    } else {
        format!("{message} {}", notes.join(" ")).into()
    };
    Change {
        action,
        user_id: Some(u.id),
        changed,
        values,
        message,
        warning: rekeyed_from.is_some(),
        ..for_person(p)
    }
}

/// The fields of a matched person that differ from their user's: the keys, the old and
/// new values, and a note for each optional field a blank cleared.
struct Differences {
    changed: Vec<&'static str>,
    values: Vec<FieldChange>,
    notes: Vec<String>,
}

fn differences(p: &Person, u: &DirectoryUser) -> Differences {
    let mut changed = Vec::new();
    let mut values = Vec::new();
    // Blank and unset read alike, except where an optional field's unset value clears it.
    let mut differs = |field: Field, old: Option<&str>, new: Option<&str>, exact: bool| {
        let key = field.key();
        let differ = if exact {
            old != new
        } else {
            old.unwrap_or("") != new.unwrap_or("")
        };
        if differ {
            changed.push(key);
            values.push(FieldChange {
                field: key.to_string(),
                old: old.filter(|v| !v.is_empty()).map(str::to_string),
                new: new.filter(|v| !v.is_empty()).map(str::to_string),
            });
        }
    };
    let required = [
        (Field::ExternalId, u.external_id.as_deref()),
        (Field::Email, Some(u.email.as_str())),
        (Field::FirstName, Some(u.first_name.as_str())),
        (Field::LastName, Some(u.last_name.as_str())),
    ];
    for (field, old) in required {
        differs(field, old, field_of(p, field), false);
    }
    let mut notes = Vec::new();
    for f in Field::OPTIONAL {
        let (new, old) = (p.optional(f), u.optional(f));
        if let (None, Some(old)) = (new, old) {
            notes.push(format!("{} cleared (was \"{old}\").", f.label()));
        }
        differs(f, old, new, true);
    }
    Differences {
        changed,
        values,
        notes,
    }
}

/// What the sync does to a matched user, and the words its log line starts with.
fn action_of(
    u: &DirectoryUser,
    p: &Person,
    rekeyed: bool,
    already_ours: bool,
    changed: &[&str],
) -> (LogAction, Cow<'static, str>) {
    match (u.active, p.active) {
        (true, false) => (
            LogAction::Deactivate,
            "User deactivated: terminated in the source.".into(),
        ),
        (false, true) => (
            LogAction::Reactivate,
            "User reactivated: active in the source again.".into(),
        ),
        _ if rekeyed => (LogAction::Rekey, "User re-keyed.".into()),
        _ if !already_ours => (
            LogAction::Update,
            "Existing user matched by email; now kept in sync by this configuration.".into(),
        ),
        _ if !changed.is_empty() => (LogAction::Update, "User updated.".into()),
        _ => (LogAction::Unchanged, "No changes.".into()),
    }
}
