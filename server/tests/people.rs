//! One person's history on SQLite and PostgreSQL: runs of the real engine write the log,
//! the store finds people by email or Employee ID (exact or prefix, without case) and
//! reads their timeline newest first, page by page, never across organisations.

mod common;

use app::domain::{DirectoryState, FieldChange, LogAction, LogKind, PersonEvent, RunStatus};
use app::ports::{FoundPerson, LogRequest, PeopleStore, RunStore};
use common::sync::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use server::store::SeaStore;
use server::sync::{engine::now_ms, queue};

async fn one(store: &SeaStore, org: i64, q: &str) -> FoundPerson {
    let found = store.find_people(org, q, 20).await.unwrap();
    assert_eq!(
        found.people.len(),
        1,
        "{q:?} finds one person: {:?}",
        found.people
    );
    found.people.into_iter().next().unwrap()
}

async fn whole_timeline(store: &SeaStore, org: i64, person: &FoundPerson) -> Vec<PersonEvent> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store.timeline(org, person, after, 1).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.cursor);
        all.extend(page);
        assert!(all.len() < 100, "the pages end");
    }
    all
}

async fn history_follows_a_person_across_runs(db: &DatabaseConnection) {
    let store = SeaStore::new(db.clone());
    let s = setup(db, "Acme", "people.csv").await;
    // Another organisation with the same people's emails: never seen from Acme's side.
    let g = setup(db, "Globex", "people.csv").await;
    std::fs::write(&g.file, people_csv(1..=3)).unwrap();
    assert_eq!(sync_now(db, g.config).await.created, 3);

    std::fs::write(&s.file, people_csv(1..=30)).unwrap();
    let first = sync_now(db, s.config).await;
    assert_eq!(first.created, 30);
    // E1 promoted, E2 gone, and a record without an email that is skipped.
    let mut csv = people_csv((3..=30).collect::<Vec<_>>());
    csv.push_str("E1,person1@example.com,First1,Last1,Director,R&D,,Active\n");
    csv.push_str("E31,,No,Email,Engineer,R&D,,Active\n");
    std::fs::write(&s.file, csv).unwrap();
    let second = sync_now(db, s.config).await;
    assert_eq!(second.status, "needs_attention");
    // Half of them gone at once: blocked above the threshold, nothing applied.
    std::fs::write(&s.file, people_csv(1..=15)).unwrap();
    let third = sync_now(db, s.config).await;
    assert_eq!(third.status, "above_deactivation_threshold");

    // E1 by email, in any case: their update's values, then their creation.
    let e1 = one(&store, s.org, "  PERSON1@Example.com ").await;
    assert_eq!(e1.person.employee_id.as_deref(), Some("E1"));
    assert_eq!(e1.person.name.as_deref(), Some("First1 Last1"));
    assert_eq!(e1.person.state, DirectoryState::Active);
    assert_eq!(e1.person.managed_by.as_deref(), Some("HR export"));
    assert!(e1.configuration_ids.contains(&s.config));
    let timeline = whole_timeline(&store, s.org, &e1).await;
    let seen: Vec<(i64, &str)> = timeline
        .iter()
        .map(|e| (e.run_id, e.action.slug()))
        .collect();
    // Newest run first; the blocked run logged only its planned deactivations, and E1 is
    // not among them.
    assert_eq!(seen, vec![(second.id, "update"), (first.id, "create")]);
    assert_eq!(
        timeline[0].changes,
        vec![FieldChange {
            field: "title".into(),
            old: Some("Engineer".into()),
            new: Some("Director".into())
        }]
    );
    assert!(timeline.iter().all(|e| e.applied));
    assert_eq!(timeline[0].run_status, RunStatus::NeedsAttention);
    assert_eq!(timeline[0].configuration, "HR export");

    // E20 by Employee ID, exactly (not E200…): the blocked run's planned deactivation,
    // not applied.
    let e20 = one(&store, s.org, "e20").await;
    let timeline = whole_timeline(&store, s.org, &e20).await;
    let seen: Vec<(i64, &str, bool)> = timeline
        .iter()
        .map(|e| (e.run_id, e.action.slug(), e.applied))
        .collect();
    assert_eq!(
        seen,
        vec![
            (third.id, "deactivate", false),
            (second.id, "unchanged", true),
            (first.id, "create", true)
        ]
    );
    assert_eq!(
        e20.person.state,
        DirectoryState::Active,
        "nothing was applied"
    );
    // The blocked run's page lists the deactivations it planned, E20's among them, and
    // its timeline entry points at its own row there.
    let planned = |kind| LogRequest {
        run_id: third.id,
        kind,
        after: None,
        limit: 50,
        search: None,
        outcomes: Vec::new(),
    };
    let (entries, total) = store.log_entries(&planned(LogKind::Planned)).await.unwrap();
    assert_eq!(total, Some(15));
    assert!(entries.iter().all(|e| e.action == LogAction::Deactivate));
    let row = entries
        .iter()
        .find(|e| e.employee_id.as_deref() == Some("E20"))
        .expect("E20 is among the planned deactivations");
    assert_eq!(row.sequence, timeline[0].sequence);
    let (results, _) = store.log_entries(&planned(LogKind::Results)).await.unwrap();
    assert!(results.is_empty(), "a blocked run has no result log");

    // E2, gone from the source: deactivated.
    let e2 = one(&store, s.org, "E2").await;
    assert_eq!(e2.person.state, DirectoryState::Deactivated);
    let actions: Vec<&str> = whole_timeline(&store, s.org, &e2)
        .await
        .into_iter()
        .map(|e| e.action.slug())
        .collect();
    assert_eq!(actions, ["deactivate", "create"]);

    // A record skipped for its missing email: found by its Employee ID, never in the
    // directory.
    let e31 = one(&store, s.org, "E31").await;
    assert_eq!(e31.person.state, DirectoryState::NotInDirectory);
    assert_eq!(e31.person.email, None);
    let timeline = whole_timeline(&store, s.org, &e31).await;
    assert_eq!(timeline.len(), 1);
    assert_eq!(
        (timeline[0].run_id, timeline[0].action.slug()),
        (second.id, "skip")
    );

    // A prefix: everyone whose email starts with it, at most the limit.
    let found = store.find_people(s.org, "person1", 20).await.unwrap();
    let mut ids: Vec<String> = found
        .people
        .iter()
        .map(|p| p.person.employee_id.clone().unwrap())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
        .iter()
        .map(|n| format!("E{n}"))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(!found.more);
    let found = store.find_people(s.org, "PERSON1", 4).await.unwrap();
    assert_eq!((found.people.len(), found.more), (4, true));
    // An Employee ID prefix.
    let found = store.find_people(s.org, "e2", 20).await.unwrap();
    assert_eq!(found.people.len(), 1, "E2 exactly, not E20…E29");
    let found = store.find_people(s.org, "E3", 20).await.unwrap();
    assert_eq!(found.people.len(), 1);
    let found = store.find_people(s.org, "e", 20).await.unwrap();
    assert_eq!((found.people.len(), found.more), (20, true));
    // Characters that mean something to LIKE are only themselves.
    for q in ["%", "_", "person_", "nobody@example.com", "\u{10FFFF}"] {
        let found = store.find_people(s.org, q, 20).await.unwrap();
        assert!(found.people.is_empty(), "{q:?}: {:?}", found.people);
    }

    // Acme never sees Globex's runs, and Globex never sees Acme's people.
    let g1 = one(&store, g.org, "person1@example.com").await;
    assert!(whole_timeline(&store, g.org, &g1)
        .await
        .iter()
        .all(|e| e.configuration == "HR export" && e.run_id < first.id));
    assert!(whole_timeline(&store, s.org, &e1)
        .await
        .iter()
        .all(|e| e.run_id >= first.id));
    for q in ["person20@example.com", "E20", "e31", "person25"] {
        let found = store.find_people(g.org, q, 20).await.unwrap();
        assert!(
            found.people.is_empty(),
            "{q:?} is Acme's, not Globex's: {:?}",
            found.people
        );
    }
    // Even a timeline asked for with another organisation's keys stays in its own.
    assert!(store
        .timeline(g.org, &e20, None, 50)
        .await
        .unwrap()
        .is_empty());

    // What is running for them: a queued run of their configuration.
    assert!(store
        .active_runs(s.org, &e1.configuration_ids)
        .await
        .unwrap()
        .is_empty());
    let queued = queue::queue_now(db, s.config, now_ms()).await.unwrap();
    let active = store
        .active_runs(s.org, &e1.configuration_ids)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(
        (active[0].id, active[0].status),
        (queued, RunStatus::Queued)
    );
    assert!(store
        .active_runs(g.org, &e1.configuration_ids)
        .await
        .unwrap()
        .is_empty());

    // Searches are kept for audit: a repeat within minutes is the same look, a download
    // is a look of its own.
    for _ in 0..3 {
        store
            .record_person_search(s.org, 1, "person1@example.com", None)
            .await
            .unwrap();
    }
    store
        .record_person_search(
            s.org,
            1,
            "person1@example.com",
            Some(app::domain::LogFormat::Csv),
        )
        .await
        .unwrap();
    let n = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM person_searches WHERE query = 'person1@example.com' AND format = ''",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(n, 1);
}
on_both_backends!(history, history_follows_a_person_across_runs);

/// A person found only in the directory (no run has logged them): found by exact email or
/// Employee ID, with an empty timeline.
async fn directory_only_people_are_found_exactly(db: &DatabaseConnection) {
    let store = SeaStore::new(db.clone());
    let s = setup(db, "Acme", "people.csv").await;
    db.execute(Statement::from_string(
        db.get_database_backend(),
        format!(
            "INSERT INTO users (organisation_id, external_id, email, first_name, last_name, \
             active, role, sync_service_enrolled, created_at_ms, updated_at_ms) VALUES \
             ({}, 'X-9', 'ada@example.com', 'Ada', 'Lovelace', TRUE, 'basic_user', FALSE, 0, 0)",
            s.org
        ),
    ))
    .await
    .unwrap();
    for q in ["ada@example.com", "ADA@example.com", "X-9", "x-9"] {
        let ada = one(&store, s.org, q).await;
        assert_eq!(ada.person.name.as_deref(), Some("Ada Lovelace"));
        assert!(store
            .timeline(s.org, &ada, None, 50)
            .await
            .unwrap()
            .is_empty());
    }
    assert!(store
        .find_people(s.org, "ada", 20)
        .await
        .unwrap()
        .people
        .is_empty());
}
on_both_backends!(directory_only, directory_only_people_are_found_exactly);
