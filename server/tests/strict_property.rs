//! A property of the whole validate → plan path: for any export derived from the current
//! directory by blanking values, putting spreadsheet errors in cells or damaging values
//! with control characters, no stored required field ever becomes empty and no person
//! outside the damaged rows changes. With the default rules a damaged row changes nobody;
//! with `blank_values = "clear"` it may only clear the optional fields its damage blanked.

use app::domain::LogAction;
use proptest::prelude::*;
use server::sync::mapping::ColumnMapping;
use server::sync::person::RecordRef;
use server::sync::plan::{plan, DirectoryUser};
use server::sync::policy::{BlankValues, RecordPolicy};
use server::sync::validate::Validator;
use std::collections::BTreeSet;

const CFG: i64 = 7;
const HEADER: [&str; 8] = [
    "Employee ID",
    "Email",
    "First Name",
    "Last Name",
    "Job Title",
    "Department",
    "Manager ID",
    "Status",
];

#[derive(Debug, Clone)]
enum Damage {
    Blank,
    Spaces,
    Error(&'static str),
    Control(char, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::Blank),
        Just(Damage::Spaces),
        prop::sample::select(vec![
            "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"
        ])
        .prop_map(Damage::Error),
        (
            prop::sample::select(vec!['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}']),
            0usize..8
        )
            .prop_map(|(c, at)| Damage::Control(c, at)),
    ]
}

fn directory(n: usize, titles: &[bool], managers: &[usize]) -> Vec<DirectoryUser> {
    (0..n)
        .map(|i| DirectoryUser {
            id: i as i64 + 1,
            external_id: Some(format!("E{i}")),
            email: format!("p{i}@example.com"),
            first_name: format!("First{i}"),
            last_name: format!("Last{i}"),
            title: titles[i].then(|| format!("Title {i}")),
            department: (i % 3 != 0).then(|| format!("Dept {}", i % 4)),
            // A tree: each person's manager comes before them, so no loops.
            manager_id: (i > 0 && !managers[i].is_multiple_of(4))
                .then(|| format!("E{}", managers[i] % i)),
            active: true,
            managed_by: Some(CFG),
            role: Some(app::domain::Role::BasicUser),
        })
        .collect()
}

fn row_of(u: &DirectoryUser) -> Vec<String> {
    vec![
        u.external_id.clone().unwrap_or_default(),
        u.email.clone(),
        u.first_name.clone(),
        u.last_name.clone(),
        u.title.clone().unwrap_or_default(),
        u.department.clone().unwrap_or_default(),
        u.manager_id.clone().unwrap_or_default(),
        "Active".into(),
    ]
}

fn apply_damage(cell: &mut String, d: &Damage) {
    match d {
        Damage::Blank => cell.clear(),
        Damage::Spaces => *cell = " \t ".into(),
        Damage::Error(e) => *cell = e.to_string(),
        Damage::Control(c, at) => {
            let at = cell.char_indices().nth(*at).map_or(cell.len(), |(i, _)| i);
            cell.insert(at, *c);
        }
    }
}

/// What the directory holds after the plan is applied (as `directory::apply` writes it).
fn applied(
    before: &[DirectoryUser],
    loaded: &server::sync::validate::Loaded,
    p: &server::sync::plan::Plan,
) -> Vec<DirectoryUser> {
    let mut after = before.to_vec();
    for c in &p.changes {
        let Some(id) = c.user_id else {
            assert_ne!(
                c.action,
                LogAction::Create,
                "nothing is created from the directory's own people"
            );
            continue;
        };
        let u = after.iter_mut().find(|u| u.id == id).unwrap();
        match (c.action, c.person) {
            (LogAction::Unchanged | LogAction::Skip, _) => {}
            (LogAction::Deactivate, None) => u.active = false,
            (_, Some(pi)) => {
                let person = &loaded.people[pi];
                u.external_id = Some(person.external_id.to_string());
                u.email = person.email.to_string();
                u.first_name = person.first_name.to_string();
                u.last_name = person.last_name.to_string();
                u.title = person.title.as_deref().map(str::to_string);
                u.department = person.department.as_deref().map(str::to_string);
                u.manager_id = person.manager_id.as_deref().map(str::to_string);
                u.active = person.active;
            }
            (action, None) => panic!("{action:?} without a person"),
        }
    }
    after
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        // A failure prints its minimal input; nothing is written into the checkout.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn damage_never_empties_a_person_or_touches_another(
        n in 2usize..25,
        titles in prop::collection::vec(any::<bool>(), 25),
        managers in prop::collection::vec(0usize..100, 25),
        damages in prop::collection::vec((0usize..25, 0usize..8, damage()), 1..12),
        clear in any::<bool>(),
    ) {
        let before = directory(n, &titles, &managers);
        let mut rows: Vec<Vec<String>> = before.iter().map(row_of).collect();
        let mut damaged_rows = BTreeSet::new();
        // Cells whose damage is a blank (or spaces): the only values "clear" may clear.
        let mut blanked = BTreeSet::new();
        let mut identity_damaged = vec![(false, false); n];
        for (r, c, d) in &damages {
            let r = r % n;
            apply_damage(&mut rows[r][*c], d);
            damaged_rows.insert(r);
            if matches!(d, Damage::Blank | Damage::Spaces) {
                blanked.insert((r, *c));
            }
            if *c == 0 { identity_damaged[r].0 = true; }
            if *c == 1 { identity_damaged[r].1 = true; }
        }
        let policy = RecordPolicy {
            blank_values: if clear { BlankValues::Clear } else { BlankValues::Keep },
            ..RecordPolicy::default()
        };
        let mut v = Validator::new(ColumnMapping::default());
        v.header(&HEADER.map(String::from)).unwrap();
        for (i, row) in rows.iter().enumerate() {
            v.row(RecordRef::Line(i as u64 + 2), row).unwrap();
        }
        // Every row damaged past use: the load fails and nothing changes.
        let Ok(mut loaded) = v.finish() else { return Ok(()); };
        let p = plan(CFG, &mut loaded, &before, &policy);
        let after = applied(&before, &loaded, &p);
        for (i, (was, now)) in before.iter().zip(&after).enumerate() {
            prop_assert!(
                now.external_id.as_deref().is_some_and(|e| !e.is_empty())
                    && !now.email.is_empty() && !now.first_name.is_empty() && !now.last_name.is_empty(),
                "a required field became empty: {now:?}"
            );
            if !damaged_rows.contains(&i) {
                prop_assert_eq!(was, now, "row {} was not damaged", i);
                continue;
            }
            // A row whose Employee ID and email are both unreadable names nobody: its
            // person is absent from the source (and deactivated, within the threshold).
            let mut expected = was.clone();
            if identity_damaged[i] == (true, true) && !now.active {
                expected.active = false;
            }
            if clear {
                for (c, slot) in [(4, &mut expected.title), (5, &mut expected.department), (6, &mut expected.manager_id)] {
                    if blanked.contains(&(i, c)) && now_field(now, c).is_none() {
                        *slot = None;
                    }
                }
            }
            prop_assert_eq!(&expected, now, "row {} changed beyond its blanks", i);
        }
        prop_assert_eq!(p.counts.created, 0);
    }
}

fn now_field(u: &DirectoryUser, column: usize) -> Option<&str> {
    match column {
        4 => u.title.as_deref(),
        5 => u.department.as_deref(),
        _ => u.manager_id.as_deref(),
    }
}
