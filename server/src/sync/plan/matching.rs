//! Who is who: the directory user each record is, the managers a record names, and the
//! users the source no longer lists.

use super::{Change, DirectoryUser};
use crate::sync::person::Text;
use crate::sync::validate::Loaded;
use app::domain::LogAction;
use hashbrown::{HashMap, HashSet};

/// The directory user each person is, if any. Pass 1: every record finds its user by
/// Employee ID. Pass 2: records left over match by email, but never a user that pass 1
/// took or whose Employee ID the source still lists (that user belongs to another
/// record). Matching all ids first keeps the result independent of row order. Every
/// matched user counts as present, even if its record is skipped later: a record that
/// cannot be applied never costs its user the account.
pub(super) fn match_users(
    configuration_id: i64,
    loaded: &Loaded,
    directory: &[DirectoryUser],
) -> Vec<Option<usize>> {
    let ours = |u: &DirectoryUser| u.managed_by == Some(configuration_id);
    let by_id: HashMap<&str, usize> = directory
        .iter()
        .enumerate()
        .filter(|(_, u)| ours(u))
        .filter_map(|(i, u)| u.external_id.as_deref().map(|e| (e, i)))
        .collect();
    let by_email: HashMap<&str, usize> = directory
        .iter()
        .enumerate()
        .map(|(i, u)| (u.email.as_str(), i))
        .collect();
    let protected_ids = loaded.protected_ids();
    let mut user_of: Vec<Option<usize>> = loaded
        .people
        .iter()
        .map(|p| by_id.get(p.external_id.as_str()).copied())
        .collect();
    let mut matched: HashSet<usize> = user_of.iter().flatten().copied().collect();
    let ids_in_source: HashSet<&str> = loaded
        .people
        .iter()
        .map(|p| p.external_id.as_str())
        .chain(protected_ids.iter().copied())
        .collect();
    for (pi, p) in loaded.people.iter().enumerate() {
        if user_of[pi].is_some() {
            continue;
        }
        if let Some(&ui) = by_email.get(p.email.as_str()) {
            let u = &directory[ui];
            let elsewhere = ours(u)
                && u.external_id
                    .as_deref()
                    .is_some_and(|e| ids_in_source.contains(e));
            if !matched.contains(&ui) && !elsewhere {
                user_of[pi] = Some(ui);
                matched.insert(ui);
            }
        }
    }
    user_of
}

/// Manager IDs that name nobody in the source: applied when they name a directory user
/// whom a skipped record keeps (that person's record could not be read, Employee ID and
/// all, but they stay), otherwise not applied, with a warning.
pub(super) fn resolve_managers(loaded: &mut Loaded, directory: &[DirectoryUser]) {
    if loaded.unresolved_managers.is_empty() {
        return;
    }
    let kept: HashSet<String> = {
        let (ids, emails) = (loaded.protected_ids(), loaded.protected_emails());
        directory
            .iter()
            .filter(|u| {
                emails.contains(u.email.as_str())
                    || u.external_id.as_deref().is_some_and(|e| ids.contains(e))
            })
            .filter_map(|u| u.external_id.clone())
            .collect()
    };
    for (i, m) in std::mem::take(&mut loaded.unresolved_managers) {
        if kept.contains(m.as_str()) {
            loaded.people[i].manager_id = Some(m);
        } else {
            loaded.note(
                i,
                format!("Manager ID {m} is not in the source, so it was not applied (the person keeps their current manager, if any)."),
                true,
            );
        }
    }
}

/// Users this configuration manages that the source no longer lists: deactivated. A user
/// named by a skipped record is kept: a bad row must not cost someone their account.
pub(super) fn absent_users(
    configuration_id: i64,
    loaded: &Loaded,
    directory: &[DirectoryUser],
    matched: &HashSet<usize>,
) -> Vec<Change> {
    // A user named anywhere in the source is not absent from it, even if the record that
    // names them could not be applied (its Employee ID taken by another user, say).
    let mut protected_ids = loaded.protected_ids();
    protected_ids.extend(loaded.people.iter().map(|p| p.external_id.as_str()));
    let mut protected_emails = loaded.protected_emails();
    protected_emails.extend(loaded.people.iter().map(|p| p.email.as_str()));
    let mut absent: Vec<&DirectoryUser> = directory
        .iter()
        .enumerate()
        .filter(|(i, u)| u.managed_by == Some(configuration_id) && u.active && !matched.contains(i))
        .map(|(_, u)| u)
        .collect();
    absent.sort_by(|a, b| a.email.cmp(&b.email));
    absent
        .into_iter()
        .map(|u| {
            let kept = u
                .external_id
                .as_deref()
                .is_some_and(|e| protected_ids.contains(e))
                || protected_emails.contains(u.email.as_str());
            Change {
                action: if kept {
                    LogAction::Unchanged
                } else {
                    LogAction::Deactivate
                },
                user_id: Some(u.id),
                person: None,
                record: None,
                external_id: u.external_id.as_deref().map(Text::from),
                email: Some(Text::from(u.email.as_str())),
                changed: if kept { vec![] } else { vec!["active"] },
                values: Vec::new(),
                message: if kept {
                    "Kept as is: the source's record for this user could not be applied.".into()
                } else {
                    "User deactivated: no longer in the source.".into()
                },
                warning: false,
                seq: usize::MAX,
            }
        })
        .collect()
}
