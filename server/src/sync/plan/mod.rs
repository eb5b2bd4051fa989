//! Plan and guard: what a run would change in the directory, decided before anything is
//! written, so that a blocked run changes nothing and a completed one changes all of it.

use super::person::{Field, Person, RecordRef, Text};
use super::policy::RecordPolicy;
use super::validate::Loaded;
use app::domain::{FieldChange, LogAction, Role};
use hashbrown::{HashMap, HashSet};
use std::borrow::Cow;

mod compare;
mod matching;

use compare::{field_of, keep_stored_values, match_change};
use matching::{absent_users, match_users, resolve_managers};

/// A directory user as the planner sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: i64,
    pub external_id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    pub active: bool,
    pub managed_by: Option<i64>,
    /// The user's Admin Panel role (`None` when the stored role is not one the service
    /// knows): a source takes over only a Basic User's account.
    pub role: Option<Role>,
}

impl DirectoryUser {
    fn optional(&self, field: Field) -> Option<&str> {
        match field {
            Field::Title => self.title.as_deref(),
            Field::Department => self.department.as_deref(),
            Field::ManagerId => self.manager_id.as_deref(),
            _ => None,
        }
    }
}

/// One line of the plan, and later of the run's result log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: LogAction,
    /// The directory user it touches (none for a create or a skip).
    pub user_id: Option<i64>,
    /// The source person it applies (index into [`Loaded::people`]).
    pub person: Option<usize>,
    pub record: Option<RecordRef>,
    pub external_id: Option<Text>,
    pub email: Option<Text>,
    /// Field keys whose values change.
    pub changed: Vec<&'static str>,
    /// What an update changed, old → new, for the log (the values of `changed` that a
    /// person can read; `managed_by` is not one).
    pub values: Vec<FieldChange>,
    pub message: Cow<'static, str>,
    pub warning: bool,
    seq: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub deactivated: i32,
    pub reactivated: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub warnings: i32,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub counts: Counts,
    /// Active users this configuration manages before the run: the base of a percent threshold.
    pub managed_active: usize,
}

/// A configuration's limit on deactivations per run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Threshold {
    pub count: Option<i32>,
    pub percent: Option<i32>,
}

impl Threshold {
    /// Why the plan must not be applied, if it must not.
    pub fn blocks(&self, plan: &Plan) -> Option<String> {
        let planned = plan.counts.deactivated as i64;
        if planned == 0 {
            return None;
        }
        let base = plan.managed_active as i64;
        let over_count = self.count.is_some_and(|c| planned > c as i64);
        let over_percent = self
            .percent
            .is_some_and(|p| planned * 100 > p as i64 * base);
        if !(over_count || over_percent) {
            return None;
        }
        let mut limits = Vec::new();
        if let Some(c) = self.count {
            limits.push(format!("{c} {}", if c == 1 { "user" } else { "users" }));
        }
        if let Some(p) = self.percent {
            limits.push(format!("{p}% of the {base} active users this sync manages"));
        }
        Some(format!(
            "{planned} deactivations planned; the threshold is {}. Nothing was changed.",
            limits.join(" or ")
        ))
    }
}

/// Compares the source with the directory. `directory` holds the organisation's users
/// that this configuration manages or that share an email with the source. Optional
/// values the source does not give (or gives blank, unless the policy clears blanks)
/// take the directory's value in `loaded`, so that applying a person writes what the
/// directory keeps.
pub fn plan(
    configuration_id: i64,
    loaded: &mut Loaded,
    directory: &[DirectoryUser],
    policy: &RecordPolicy,
) -> Plan {
    let ours = |u: &DirectoryUser| u.managed_by == Some(configuration_id);
    let user_of = match_users(configuration_id, loaded, directory);
    resolve_managers(loaded, directory);
    keep_stored_values(loaded, &user_of, directory, policy);
    let loaded = &*loaded;
    let by_email: HashMap<&str, usize> = directory
        .iter()
        .enumerate()
        .map(|(i, u)| (u.email.as_str(), i))
        .collect();
    let mut plan = Plan {
        managed_active: directory.iter().filter(|u| ours(u) && u.active).count(),
        ..Plan::default()
    };
    // Warnings on the file come first: the sort below keeps their order among equals.
    plan.changes
        .extend(loaded.file_warnings.iter().map(|(record, text)| Change {
            action: LogAction::Load,
            user_id: None,
            person: None,
            record: Some(*record),
            external_id: None,
            email: None,
            changed: Vec::new(),
            values: Vec::new(),
            message: text.clone().into(),
            warning: true,
            seq: 0,
        }));
    for (pi, p) in loaded.people.iter().enumerate() {
        let mut change = match user_of[pi] {
            Some(ui) => match_change(configuration_id, p, ui, directory, &by_email, policy),
            None => unmatched_change(p, &by_email),
        };
        change.person = Some(pi);
        if let Some(n) = loaded.notes.get(&pi) {
            if change.action != LogAction::Skip {
                change.message = format!("{} {}", change.message, n.text).into();
                change.warning |= n.warning;
            }
        }
        plan.changes.push(change);
    }
    plan.changes.extend(loaded.skipped.iter().map(|s| Change {
        action: LogAction::Skip,
        user_id: None,
        person: None,
        record: Some(s.record),
        external_id: s.external_id.as_deref().map(Text::from),
        email: s.email.as_deref().map(Text::from),
        changed: Vec::new(),
        values: Vec::new(),
        message: s.reason.clone().into(),
        warning: true,
        seq: s.seq,
    }));
    let matched: HashSet<usize> = user_of.iter().flatten().copied().collect();
    plan.changes
        .extend(absent_users(configuration_id, loaded, directory, &matched));
    plan.changes.sort_by_key(|c| c.seq);
    plan.counts = count(&plan.changes);
    plan
}

/// The change for a person no directory user matched: created when active, unless their
/// email is taken by a user this record cannot have.
fn unmatched_change(p: &Person, by_email: &HashMap<&str, usize>) -> Change {
    if by_email.contains_key(p.email.as_str()) {
        return skip_person(
            p,
            format!(
                "{} is already used by another directory user. Record skipped.",
                p.email
            ),
        );
    }
    if !p.active {
        return Change {
            action: LogAction::Unchanged,
            message: "Inactive in the source and not in the directory; not created.".into(),
            ..for_person(p)
        };
    }
    Change {
        action: LogAction::Create,
        // The fields the record gave (a person has no Status of its own to log).
        changed: Field::ALL
            .into_iter()
            .filter(|&f| field_of(p, f).is_some())
            .map(Field::key)
            .collect(),
        message: "User created.".into(),
        ..for_person(p)
    }
}

/// A re-key is an update of the user, so it counts as one (and as a warning).
fn count(changes: &[Change]) -> Counts {
    let mut n = Counts::default();
    for c in changes {
        match c.action {
            LogAction::Create => n.created += 1,
            LogAction::Update | LogAction::Rekey => n.updated += 1,
            LogAction::Deactivate => n.deactivated += 1,
            LogAction::Reactivate => n.reactivated += 1,
            LogAction::Unchanged => n.unchanged += 1,
            LogAction::Skip => n.skipped += 1,
            LogAction::Load => {}
        }
        if c.warning {
            n.warnings += 1;
        }
    }
    n
}

fn for_person(p: &Person) -> Change {
    Change {
        action: LogAction::Unchanged,
        user_id: None,
        person: None,
        record: Some(p.record),
        external_id: Some(p.external_id.clone()),
        email: Some(p.email.clone()),
        changed: Vec::new(),
        values: Vec::new(),
        message: Cow::Borrowed(""),
        warning: false,
        seq: p.seq,
    }
}

fn skip_person(p: &Person, reason: String) -> Change {
    Change {
        action: LogAction::Skip,
        message: reason.into(),
        warning: true,
        ..for_person(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::policy::BlankValues;
    use crate::sync::validate::Skipped;

    const CFG: i64 = 7;

    fn person(seq: usize, id: &str, email: &str) -> Person {
        Person {
            record: RecordRef::Row(seq as u64 + 1),
            seq,
            external_id: id.into(),
            email: email.into(),
            first_name: "First".into(),
            last_name: "Last".into(),
            title: Some("Engineer".into()),
            department: None,
            manager_id: None,
            active: true,
            blank: Default::default(),
        }
    }

    fn user(id: i64, ext: &str, email: &str, managed_by: Option<i64>) -> DirectoryUser {
        DirectoryUser {
            id,
            external_id: Some(ext.into()),
            email: email.into(),
            first_name: "First".into(),
            last_name: "Last".into(),
            title: Some("Engineer".into()),
            department: None,
            manager_id: None,
            active: true,
            managed_by,
            role: Some(Role::BasicUser),
        }
    }

    fn loaded(people: Vec<Person>) -> Loaded {
        Loaded {
            records: people.len(),
            people,
            ..Loaded::default()
        }
    }

    fn actions(plan: &Plan) -> Vec<(LogAction, Option<&str>)> {
        plan.changes
            .iter()
            .map(|c| (c.action, c.external_id.as_deref()))
            .collect()
    }

    #[test]
    fn every_outcome() {
        let mut terminated = person(4, "E5", "e5@x.co");
        terminated.active = false;
        let mut renamed = person(2, "E3", "e3@x.co");
        renamed.title = Some("Lead".into());
        let mut gone_inactive = person(5, "E6", "e6@x.co");
        gone_inactive.active = false;
        let mut l = loaded(vec![
            person(1, "E1", "e1@x.co"), // new
            person(0, "E2", "e2@x.co"), // unchanged
            renamed,                    // title changed
            person(3, "E4", "e4@x.co"), // inactive user, active again
            terminated,                 // active user, terminated in source
            gone_inactive,              // terminated, never in the directory
        ]);
        let mut inactive = user(4, "E4", "e4@x.co", Some(CFG));
        inactive.active = false;
        let dir = vec![
            user(2, "E2", "e2@x.co", Some(CFG)),
            user(3, "E3", "e3@x.co", Some(CFG)),
            inactive,
            user(5, "E5", "e5@x.co", Some(CFG)),
            user(9, "E9", "e9@x.co", Some(CFG)), // absent from the source
            user(10, "O1", "o1@x.co", Some(99)), // another configuration's: untouched
            user(11, "A1", "admin@x.co", None),  // not managed: untouched
        ];
        let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
        assert_eq!(
            actions(&p),
            vec![
                (LogAction::Unchanged, Some("E2")),
                (LogAction::Create, Some("E1")),
                (LogAction::Update, Some("E3")),
                (LogAction::Reactivate, Some("E4")),
                (LogAction::Deactivate, Some("E5")),
                (LogAction::Unchanged, Some("E6")),
                (LogAction::Deactivate, Some("E9")),
            ]
        );
        assert_eq!(p.changes[2].changed, vec!["title"]);
        assert_eq!(p.changes[3].changed, vec!["active"]);
        assert!(p.changes[6].message.contains("no longer in the source"));
        assert_eq!(
            p.counts,
            Counts {
                created: 1,
                updated: 1,
                deactivated: 2,
                reactivated: 1,
                unchanged: 2,
                skipped: 0,
                warnings: 0
            }
        );
        assert_eq!(p.managed_active, 4);
    }

    #[test]
    fn matches_by_email_adopts_unmanaged_and_refuses_others() {
        let mut l = loaded(vec![
            person(0, "E1", "admin@x.co"),
            person(1, "E2", "other@x.co"),
            person(2, "NEW-ID", "moved@x.co"),
        ]);
        let dir = vec![
            user(1, "old", "admin@x.co", None),
            user(2, "O2", "other@x.co", Some(99)),
            user(3, "OLD-ID", "moved@x.co", Some(CFG)),
        ];
        let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
        // An unmanaged user with another Employee ID is adopted and re-keyed, loudly.
        assert_eq!(p.changes[0].action, LogAction::Rekey);
        assert!(p.changes[0].changed.contains(&"managed_by"));
        assert_eq!(p.changes[0].user_id, Some(1));
        assert!(p.changes[0].message.contains("from old to E1"));
        assert_eq!(p.changes[1].action, LogAction::Skip);
        assert!(p.changes[1].message.contains("another sync configuration"));
        assert_eq!(p.changes[2].action, LogAction::Rekey);
        assert_eq!(p.changes[2].changed, vec!["employee_id"]);
        assert_eq!(
            p.changes[2].message,
            "User re-keyed. Employee ID changed from OLD-ID to NEW-ID (matched by email)."
        );
        assert!(p.changes[2].warning);
        assert_eq!(p.counts.deactivated, 0);
        assert_eq!(p.counts.updated, 2, "a re-key updates the user");
        assert_eq!(p.counts.warnings, 3);
    }

    #[test]
    fn an_administrators_account_is_never_taken_over() {
        let mut admin = user(1, "A1", "admin@x.co", None);
        admin.role = Some(Role::OrganisationAdmin);
        let mut basic = user(2, "B1", "basic@x.co", None);
        basic.external_id = None;
        let mut gone = person(0, "N1", "admin@x.co");
        gone.active = false;
        let mut l = loaded(vec![gone, person(1, "N2", "basic@x.co")]);
        let p = plan(CFG, &mut l, &[admin, basic], &RecordPolicy::default());
        assert_eq!(p.changes[0].action, LogAction::Skip);
        assert!(p.changes[0].message.contains(
            "belongs to an Organisation Admin account that no sync configuration manages"
        ));
        assert_eq!(p.counts.deactivated, 0);
        // A Basic User's account is adopted, as before.
        assert_eq!(p.changes[1].action, LogAction::Update);
        assert!(p.changes[1].changed.contains(&"managed_by"));
    }

    #[test]
    fn a_person_named_in_the_source_is_never_absent_from_it() {
        // Carol's row carries Frank's Employee ID and Frank's row is gone: the record cannot
        // be applied, and neither Carol nor Frank is deactivated for it.
        let dir = vec![
            user(3, "E3", "carol@x.co", Some(CFG)),
            user(6, "E6", "frank@x.co", Some(CFG)),
        ];
        let mut l = loaded(vec![person(0, "E6", "carol@x.co")]);
        let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
        assert_eq!(p.changes[0].action, LogAction::Skip);
        assert_eq!(p.counts.deactivated, 0, "{:?}", actions(&p));
    }

    #[test]
    fn rekeying_can_be_refused() {
        let mut l = loaded(vec![person(0, "NEW-ID", "moved@x.co")]);
        let dir = vec![user(3, "OLD-ID", "moved@x.co", Some(CFG))];
        let strict = RecordPolicy {
            allow_rekey: false,
            ..RecordPolicy::default()
        };
        let p = plan(CFG, &mut l, &dir, &strict);
        assert_eq!(actions(&p), vec![(LogAction::Skip, Some("NEW-ID"))]);
        assert!(p.changes[0]
            .message
            .contains("changed from OLD-ID to NEW-ID for moved@x.co"));
        assert!(p.changes[0].message.contains("allow_rekey = false"));
        assert_eq!(p.counts.deactivated, 0, "the matched user is not absent");
        // A terminated and re-keyed person is still deactivated (the guard counts it),
        // with the re-key told as a warning.
        let mut gone = person(0, "NEW-ID", "moved@x.co");
        gone.active = false;
        let mut l = loaded(vec![gone]);
        let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
        assert_eq!(p.changes[0].action, LogAction::Deactivate);
        assert!(p.changes[0].warning && p.changes[0].message.contains("from OLD-ID"));
        assert_eq!(p.counts.deactivated, 1);
    }

    #[test]
    fn blanks_keep_or_clear_by_policy_and_unset_values_are_kept() {
        let stored = DirectoryUser {
            department: Some("Sales".into()),
            manager_id: Some("M1".into()),
            ..user(1, "E1", "e1@x.co", Some(CFG))
        };
        // Blank Job Title and Department; the Manager ID is unset (an error cell, or a
        // link that was not applied): never cleared.
        let mut p0 = person(0, "E1", "e1@x.co");
        p0.title = None;
        p0.blank = crate::sync::person::FieldSet::of(&[Field::Title, Field::Department]);
        let mut l = loaded(vec![p0.clone()]);
        let p = plan(
            CFG,
            &mut l,
            std::slice::from_ref(&stored),
            &RecordPolicy::default(),
        );
        assert_eq!(actions(&p), vec![(LogAction::Unchanged, Some("E1"))]);
        assert_eq!(l.people[0].title.as_deref(), Some("Engineer"));
        assert_eq!(l.people[0].department.as_deref(), Some("Sales"));
        assert_eq!(l.people[0].manager_id.as_deref(), Some("M1"));

        let clear = RecordPolicy {
            blank_values: BlankValues::Clear,
            ..RecordPolicy::default()
        };
        let mut l = loaded(vec![p0]);
        let p = plan(CFG, &mut l, &[stored], &clear);
        assert_eq!(p.changes[0].action, LogAction::Update);
        assert_eq!(p.changes[0].changed, vec!["title", "department"]);
        assert_eq!(
            p.changes[0].message,
            "User updated. Job Title cleared (was \"Engineer\"). Department cleared (was \"Sales\")."
        );
        assert_eq!(l.people[0].title, None);
        assert_eq!(l.people[0].manager_id.as_deref(), Some("M1"));
    }

    #[test]
    fn email_taken_by_another_user_is_skipped() {
        let mut l = loaded(vec![person(0, "E1", "taken@x.co")]);
        let dir = vec![
            user(1, "E1", "e1@x.co", Some(CFG)),
            user(2, "Z", "taken@x.co", None),
        ];
        let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
        assert_eq!(p.changes[0].action, LogAction::Skip);
        assert!(p.changes[0]
            .message
            .contains("Employee ID E1 belongs to e1@x.co, but this record's email taken@x.co belongs to another directory user (Employee ID Z)"));
        assert_eq!(p.counts.deactivated, 0, "E1 keeps their account");
        // E1's own record was skipped, so E1 is not deactivated for being absent.
        let mut l = Loaded {
            skipped: vec![Skipped {
                record: RecordRef::Row(3),
                seq: 1,
                external_id: Some("E1".into()),
                email: Some("bad".into()),
                reason: "bad".into(),
                shifted: vec![],
            }],
            ..loaded(vec![person(0, "E2", "e2@x.co")])
        };
        let p = plan(
            CFG,
            &mut l,
            &[user(1, "E1", "e1@x.co", Some(CFG))],
            &RecordPolicy::default(),
        );
        assert_eq!(actions(&p)[2], (LogAction::Unchanged, Some("E1")));
        assert_eq!(p.counts.deactivated, 0);
        assert_eq!(p.counts.skipped, 1);
    }

    #[test]
    fn matching_does_not_depend_on_row_order() {
        // E2 moved from ann@ to ann.old@; E9, a new hire, now has ann@.
        let dir = vec![user(2, "E2", "ann@x.co", Some(CFG))];
        for order in [[0, 1], [1, 0]] {
            let rows = [person(0, "E9", "ann@x.co"), person(1, "E2", "ann.old@x.co")];
            let mut l = loaded(order.iter().map(|&i| rows[i].clone()).collect());
            let p = plan(CFG, &mut l, &dir, &RecordPolicy::default());
            let e2 = p
                .changes
                .iter()
                .find(|c| c.external_id.as_deref() == Some("E2"))
                .unwrap();
            let e9 = p
                .changes
                .iter()
                .find(|c| c.external_id.as_deref() == Some("E9"))
                .unwrap();
            assert_eq!(e2.action, LogAction::Update, "E2 keeps their own account");
            assert_eq!(e2.changed, vec!["email"]);
            assert_eq!(
                e9.action,
                LogAction::Skip,
                "ann@ is still E2's until E2's change lands"
            );
            assert_eq!(p.counts.deactivated, 0);
        }
    }

    #[test]
    fn notes_make_warnings() {
        let mut l = loaded(vec![person(0, "E1", "e1@x.co")]);
        l.note(
            0,
            "Manager ID M is not in the source; no manager set.".into(),
            true,
        );
        let p = plan(CFG, &mut l, &[], &RecordPolicy::default());
        assert!(p.changes[0].warning);
        assert_eq!(
            p.changes[0].message,
            "User created. Manager ID M is not in the source; no manager set."
        );
        assert_eq!(p.counts.warnings, 1);
    }

    #[test]
    fn threshold_by_count_and_percent() {
        let mut p = Plan {
            managed_active: 200,
            ..Plan::default()
        };
        p.counts.deactivated = 20;
        let t = Threshold {
            count: Some(50),
            percent: Some(10),
        };
        assert!(t.blocks(&p).is_none(), "20 ≤ 50 and 20 ≤ 10% of 200");
        p.counts.deactivated = 21;
        let why = t.blocks(&p).unwrap();
        assert!(why
            .starts_with("21 deactivations planned; the threshold is 50 users or 10% of the 200"));
        p.counts.deactivated = 51;
        assert!(Threshold {
            count: Some(50),
            percent: None
        }
        .blocks(&p)
        .is_some());
        assert!(Threshold {
            count: None,
            percent: Some(30)
        }
        .blocks(&p)
        .is_none());
        assert!(Threshold::default().blocks(&p).is_none());
        p.managed_active = 0;
        p.counts.deactivated = 0;
        assert!(t.blocks(&p).is_none());
    }
}
