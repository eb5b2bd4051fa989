//! Store tests: schema, demo data, run listing and sessions, on SQLite and PostgreSQL.

mod common;

use app::domain::{Cursor, HeldRuns, RunFilter, RunStatus, SortOrder, SourceKind, SyncRunRow};
use app::ports::{AuthStore, ListRuns, RunStore, ScopeProblem, SignInOutcome};
use chrono::{TimeZone, Utc};
use common::TestDb;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use server::db::entities::{organisation, sync_run};
use server::demo::{self, DemoSize, DEMO_PASSWORD};
use server::store::SeaStore;
use std::collections::{BTreeMap, BTreeSet, HashSet};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 20, 12, 0, 0).unwrap()
}

async fn seeded(db: &DatabaseConnection) -> SeaStore {
    assert!(demo::seed(db, &DemoSize::small(), now()).await.unwrap());
    SeaStore::new(db.clone())
}

async fn org_id(db: &DatabaseConnection, name: &str) -> i64 {
    organisation::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == name)
        .unwrap()
        .id
}

fn request(org: i64, filter: RunFilter, after: Option<Cursor>, limit: u32) -> ListRuns {
    ListRuns {
        organisation_id: org,
        filter,
        since_ms: None,
        until_ms: None,
        after,
        limit,
    }
}

/// Walks every page and returns all rows in order.
async fn all_pages(store: &SeaStore, base: ListRuns) -> (Vec<SyncRunRow>, u64) {
    let mut rows = Vec::new();
    let mut after = None;
    let mut total = None;
    loop {
        let mut req = base.clone();
        req.after = after;
        let found = store.list_runs(&req).await.unwrap();
        if req.after.is_none() {
            total = found.total;
        } else {
            assert_eq!(found.total, None, "later pages are not counted again");
        }
        let n = found.runs.len();
        after = found.runs.last().map(SyncRunRow::cursor);
        rows.extend(found.runs);
        if n < base.limit as usize {
            return (rows, total.expect("first page counts"));
        }
    }
}

async fn demo_has_every_status_and_is_idempotent(db: &DatabaseConnection) {
    let store = seeded(db).await;
    assert!(
        !demo::seed(db, &DemoSize::small(), now()).await.unwrap(),
        "second seed is a no-op"
    );
    let acme = org_id(db, "Acme").await;
    let (rows, total) = all_pages(&store, request(acme, RunFilter::default(), None, 500)).await;
    assert_eq!(rows.len() as u64, total);
    let statuses: BTreeSet<RunStatus> = rows.iter().map(|r| r.status).collect();
    assert_eq!(statuses.len(), 7, "every status present: {statuses:?}");
    let in_progress = rows
        .iter()
        .find(|r| r.status == RunStatus::InProgress)
        .unwrap();
    assert!(
        in_progress.progress_total > 0 && in_progress.progress_done < in_progress.progress_total
    );
    // Completed runs with result logs have one entry per record.
    let success = rows
        .iter()
        .find(|r| r.status == RunStatus::Success)
        .unwrap();
    let entries = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM sync_log_entries WHERE run_id = {}",
                success.id
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(entries as u32, success.progress_total);
}
on_both_backends!(demo_data, demo_has_every_status_and_is_idempotent);

/// Every finished demo run's counts are its log's: an admin who opens "3 skipped" finds
/// three skipped entries, and as many warnings as the run says.
async fn demo_counts_are_what_its_logs_hold(db: &DatabaseConnection) {
    seeded(db).await;
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT r.id, r.created, r.updated, r.deactivated, r.reactivated, r.unchanged, \
             r.skipped, r.warnings, \
             CAST(SUM(CASE WHEN e.action = 'create' THEN 1 ELSE 0 END) AS BIGINT) AS e_created, \
             CAST(SUM(CASE WHEN e.action IN ('update', 'rekey') THEN 1 ELSE 0 END) AS BIGINT) AS e_updated, \
             CAST(SUM(CASE WHEN e.action = 'deactivate' THEN 1 ELSE 0 END) AS BIGINT) AS e_deactivated, \
             CAST(SUM(CASE WHEN e.action = 'reactivate' THEN 1 ELSE 0 END) AS BIGINT) AS e_reactivated, \
             CAST(SUM(CASE WHEN e.action = 'unchanged' THEN 1 ELSE 0 END) AS BIGINT) AS e_unchanged, \
             CAST(SUM(CASE WHEN e.action = 'skip' THEN 1 ELSE 0 END) AS BIGINT) AS e_skipped, \
             CAST(SUM(CASE WHEN e.outcome = 'warning' THEN 1 ELSE 0 END) AS BIGINT) AS e_warnings \
             FROM sync_runs r JOIN sync_log_entries e ON e.run_id = r.id \
             WHERE r.status IN ('success', 'needs_attention') \
             GROUP BY r.id, r.created, r.updated, r.deactivated, r.reactivated, r.unchanged, \
             r.skipped, r.warnings",
        ))
        .await
        .unwrap();
    assert!(rows.len() > 10, "finished runs with logs: {}", rows.len());
    let mut with_warned_updates = 0;
    for row in rows {
        let get = |c: &str| -> i64 {
            row.try_get::<i64>("", c)
                .or_else(|_| row.try_get::<i32>("", c).map(i64::from))
                .unwrap()
        };
        let id = get("id");
        for c in [
            "created",
            "updated",
            "deactivated",
            "reactivated",
            "unchanged",
            "skipped",
            "warnings",
        ] {
            assert_eq!(get(c), get(&format!("e_{c}")), "run {id}: {c}");
        }
        if get("warnings") > get("skipped") {
            with_warned_updates += 1;
        }
    }
    assert!(with_warned_updates > 0, "some demo runs warn on an update");
}
on_both_backends!(demo_counts, demo_counts_are_what_its_logs_hold);

async fn runs_are_scoped_to_the_organisation(db: &DatabaseConnection) {
    let store = seeded(db).await;
    for (org, own) in [
        ("Acme", "acme"),
        ("Globex", "globex"),
        ("Initech", "initech"),
    ] {
        let id = org_id(db, org).await;
        let configs: HashSet<String> = store
            .configurations(id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name.to_lowercase())
            .collect();
        let (rows, total) = all_pages(&store, request(id, RunFilter::default(), None, 200)).await;
        assert!(total > 0, "{org} has runs");
        for r in &rows {
            assert!(
                configs.contains(&r.configuration.to_lowercase()),
                "{org} sees {}",
                r.configuration
            );
        }
        let db_count = sync_run::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.organisation_id == id)
            .count();
        assert_eq!(
            rows.len(),
            db_count,
            "{org} ({own}) sees exactly its own runs"
        );
    }
}
on_both_backends!(scoping, runs_are_scoped_to_the_organisation);

async fn keyset_pages_neither_miss_nor_repeat(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    // Five runs at the very same instant: ties are broken by id.
    let tie_at = now().timestamp_millis() - 3_600_000 * 30;
    let config = store.configurations(acme).await.unwrap();
    assert!(!config.is_empty());
    let backend = db.get_database_backend();
    let config_id = db
        .query_one(Statement::from_string(backend, format!("SELECT id FROM sync_configurations WHERE organisation_id = {acme} ORDER BY id LIMIT 1")))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "id")
        .unwrap();
    for _ in 0..5 {
        db.execute_unprepared(&format!(
            "INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, started_at_ms, finished_at_ms, sort_at_ms, version) \
             VALUES ({acme}, {config_id}, 'success', {tie_at}, {tie_at}, {}, {tie_at}, 1)",
            tie_at + 60_000
        ))
        .await
        .unwrap();
    }
    for sort in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let filter = RunFilter {
            sort,
            ..Default::default()
        };
        let (one_page, total) =
            all_pages(&store, request(acme, filter.clone(), None, 10_000)).await;
        for limit in [1, 2, 3, 7, 50] {
            let (paged, paged_total) =
                all_pages(&store, request(acme, filter.clone(), None, limit)).await;
            assert_eq!(paged_total, total);
            let ids: Vec<i64> = paged.iter().map(|r| r.id).collect();
            let expected: Vec<i64> = one_page.iter().map(|r| r.id).collect();
            assert_eq!(ids, expected, "{sort:?} limit {limit}");
        }
        let keys: Vec<(i64, i64)> = one_page.iter().map(|r| (r.sort_at_ms(), r.id)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if sort == SortOrder::NewestFirst {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{sort:?} order");
        assert_eq!(total as usize, one_page.len());
    }
}
on_both_backends!(paging, keyset_pages_neither_miss_nor_repeat);

async fn filters_narrow_the_list(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let (all, _) = all_pages(&store, request(acme, RunFilter::default(), None, 1000)).await;

    let filter = RunFilter::from_query("status=success,data_load_failed").unwrap();
    let (rows, total) = all_pages(&store, request(acme, filter, None, 1000)).await;
    let expected = all
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Success | RunStatus::DataLoadFailed))
        .count();
    assert_eq!((rows.len(), total as usize), (expected, expected));

    let name = "Workday – Global HR";
    let filter = RunFilter::from_query(&format!("config={}", urlencode(name))).unwrap();
    let (rows, _) = all_pages(&store, request(acme, filter, None, 1000)).await;
    assert_eq!(
        rows.len(),
        all.iter().filter(|r| r.configuration == name).count()
    );
    assert!(!rows.is_empty());

    // Another organisation's configuration name matches nothing here.
    let filter = RunFilter::from_query("config=Globex+HR+export+%28SFTP%29").unwrap();
    let found = store
        .list_runs(&request(acme, filter, None, 10))
        .await
        .unwrap();
    assert_eq!(found.scope_problem, Some(ScopeProblem::UnknownName));
    assert!(found.runs.is_empty());
    let own = RunFilter::from_query(&format!("config={}", urlencode(name))).unwrap();
    let found = store
        .list_runs(&request(acme, own, None, 10))
        .await
        .unwrap();
    assert_eq!(found.scope_problem, None);

    let since = now().timestamp_millis() - 7 * 86_400_000;
    let mut req = request(acme, RunFilter::default(), None, 1000);
    req.since_ms = Some(since);
    let (rows, _) = all_pages(&store, req).await;
    let expected = all.iter().filter(|r| r.sort_at_ms() >= since).count();
    assert_eq!(rows.len(), expected);
    assert!(expected > 0 && expected < all.len());
}
on_both_backends!(filters, filters_narrow_the_list);

async fn combined_filters_and_window_bounds(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let (all, _) = all_pages(&store, request(acme, RunFilter::default(), None, 1000)).await;
    let name = "Google Workspace – acme.example";
    let filter = RunFilter::from_query(&format!(
        "status=success,needs_attention&config={}&sort=oldest",
        urlencode(name)
    ))
    .unwrap();
    // A window whose bounds fall exactly on a run: since is inclusive, until exclusive.
    let in_window: Vec<&SyncRunRow> = all
        .iter()
        .filter(|r| {
            r.configuration == name
                && matches!(r.status, RunStatus::Success | RunStatus::NeedsAttention)
        })
        .collect();
    assert!(in_window.len() > 4);
    let key = |r: &SyncRunRow| r.sort_at_ms();
    let mut keys: Vec<i64> = in_window.iter().map(|r| key(r)).collect();
    keys.sort();
    let (since, until) = (keys[1], keys[keys.len() - 2]);
    let mut req = request(acme, filter, None, 2);
    req.since_ms = Some(since);
    req.until_ms = Some(until);
    let (rows, total) = all_pages(&store, req).await;
    let expected: Vec<i64> = {
        let mut v: Vec<&&SyncRunRow> = in_window
            .iter()
            .filter(|r| key(r) >= since && key(r) < until)
            .collect();
        v.sort_by_key(|r| (key(r), r.id));
        v.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), expected);
    assert_eq!(total as usize, expected.len());
}
on_both_backends!(combined_filters, combined_filters_and_window_bounds);

/// A source covers every configuration that imports from it (two SFTP ones here), on its
/// own or with other filters, in the list, its total and the chart; a configuration of
/// another source than the one chosen matches nothing, without being called unknown; and
/// another organisation's configurations of that source never count.
async fn a_source_covers_its_configurations(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let backend = db.get_database_backend();
    // A second SFTP configuration, with runs over the last few days.
    let eu = db
        .query_one(Statement::from_string(
            backend,
            format!(
                "INSERT INTO sync_configurations (organisation_id, name, source_kind, settings, schedule, enabled, created_at_ms) \
                 VALUES ({acme}, 'Contractors EU (SFTP)', 'sftp', '{{}}', 'every 6h', true, 0) RETURNING id"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "id")
        .unwrap();
    let t = now().timestamp_millis();
    for i in 0..12i64 {
        let at = t - i * 7 * 3_600_000 - 1_234;
        let status = ["success", "needs_attention", "data_load_failed"][i as usize % 3];
        db.execute_unprepared(&format!(
            "INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, started_at_ms, finished_at_ms, sort_at_ms, version) \
             VALUES ({acme}, {eu}, '{status}', {at}, {at}, {}, {at}, 1)",
            at + 45_000 + i * 1_000
        ))
        .await
        .unwrap();
    }
    let (all, _) = all_pages(&store, request(acme, RunFilter::default(), None, 1000)).await;
    let sftp: BTreeSet<&str> = all
        .iter()
        .filter(|r| r.source == SourceKind::Sftp)
        .map(|r| r.configuration.as_str())
        .collect();
    assert_eq!(
        sftp,
        BTreeSet::from(["Contractors (SFTP)", "Contractors EU (SFTP)"])
    );

    let eu_name = urlencode("Contractors EU (SFTP)");
    let workday = urlencode("Workday – Global HR");
    type Matches<'a> = &'a dyn Fn(&SyncRunRow) -> bool;
    let cases: [(String, Matches); 4] = [
        ("source=sftp".to_string(), &|r: &SyncRunRow| {
            r.source == SourceKind::Sftp
        }),
        ("source=workday".into(), &|r: &SyncRunRow| {
            r.source == SourceKind::Workday
        }),
        (
            "source=sftp&status=success&sort=oldest".into(),
            &|r: &SyncRunRow| r.source == SourceKind::Sftp && r.status == RunStatus::Success,
        ),
        (
            format!("source=sftp&config={eu_name}"),
            &|r: &SyncRunRow| r.configuration == "Contractors EU (SFTP)",
        ),
    ];
    for (query, expected) in cases {
        let filter = RunFilter::from_query(&query).unwrap();
        let first = store
            .list_runs(&request(acme, filter.clone(), None, 5))
            .await
            .unwrap();
        assert_eq!(first.scope_problem, None, "{query}");
        let (rows, total) = all_pages(&store, request(acme, filter, None, 5)).await;
        let mut want: Vec<i64> = all.iter().filter(|r| expected(r)).map(|r| r.id).collect();
        let mut got: Vec<i64> = rows.iter().map(|r| r.id).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{query}");
        assert_eq!(total as usize, want.len(), "{query}");
    }
    assert!(all.iter().filter(|r| r.source == SourceKind::Sftp).count() > 12);

    // A configuration beside another source than its own is refused, not read as nothing.
    let crossed =
        RunFilter::from_query(&format!("source=google_workspace&config={workday}")).unwrap();
    let found = store
        .list_runs(&request(acme, crossed.clone(), None, 5))
        .await
        .unwrap();
    assert_eq!(
        found.scope_problem,
        Some(ScopeProblem::OtherSource(SourceKind::Workday))
    );
    assert!(found.runs.is_empty());

    // Totals from the per-day counts stay exact over windows that cut days.
    for (since, until) in [
        (Some(t - 2 * 86_400_000 + 12_345), None),
        (
            Some(t - 3 * 86_400_000 - 3_600_000),
            Some(t - 86_400_000 + 7_000),
        ),
    ] {
        let mut req = request(
            acme,
            RunFilter::from_query("source=sftp").unwrap(),
            None,
            1000,
        );
        (req.since_ms, req.until_ms) = (since, until);
        let found = store.list_runs(&req).await.unwrap();
        assert!(!found.runs.is_empty());
        assert_eq!(
            found.total,
            Some(found.runs.len() as u64),
            "{since:?} {until:?}"
        );
    }

    // The chart, in a whole-hour zone (New York) and a half-hour one (Kolkata).
    for zone in ["America/New_York", "Asia/Kolkata"] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        for query in [
            "source=sftp",
            "range=7d&source=sftp&status=success,needs_attention",
        ] {
            let total = check_chart(&store, tz, now(), acme, query).await;
            assert!(total > 12, "{zone} {query}: {total}");
        }
        let (_, req, offsets) = app::api::chart_request(tz, now(), acme, crossed.clone()).unwrap();
        assert_eq!(
            store.count_run_days(&req, &offsets).await.unwrap(),
            Err(ScopeProblem::OtherSource(SourceKind::Workday))
        );
    }

    // Globex's SFTP runs are its own.
    let globex = org_id(db, "Globex").await;
    let (rows, total) = all_pages(
        &store,
        request(
            globex,
            RunFilter::from_query("source=sftp").unwrap(),
            None,
            1000,
        ),
    )
    .await;
    assert!(total > 0);
    assert!(rows
        .iter()
        .all(|r| r.configuration == "Globex HR export (SFTP)"));
    let (rows, total) = all_pages(
        &store,
        request(
            globex,
            RunFilter::from_query("source=workday").unwrap(),
            None,
            1000,
        ),
    )
    .await;
    assert_eq!((rows.len(), total), (0, 0));
}
on_both_backends!(source_filter, a_source_covers_its_configurations);

/// Compares a chart's counts with the listed runs bucketed here by their local date.
async fn check_chart(
    store: &SeaStore,
    tz: chrono_tz::Tz,
    at: chrono::DateTime<Utc>,
    org: i64,
    query: &str,
) -> u64 {
    use app::api::chart_request;
    use app::domain::{DayStatusCount, RunChart};
    let filter = RunFilter::from_query(query).unwrap();
    let (span, req, offsets) = chart_request(tz, at, org, filter).unwrap();
    assert!(offsets.len() <= 2, "{query}: {offsets:?}");
    let counts = store.count_run_days(&req, &offsets).await.unwrap().unwrap();
    let mut listed = req.clone();
    listed.limit = 500;
    let (rows, total) = all_pages(store, listed).await;
    let mut expected: BTreeMap<(chrono::NaiveDate, RunStatus), (u64, i64, u64)> = BTreeMap::new();
    for r in &rows {
        let day = Utc
            .timestamp_millis_opt(r.sort_at_ms())
            .unwrap()
            .with_timezone(&tz)
            .date_naive();
        let e = expected.entry((day, r.status)).or_default();
        e.0 += 1;
        if let (Some(s), Some(f)) = (r.started_at_ms, r.finished_at_ms) {
            e.1 += f - s;
            e.2 += 1;
        }
    }
    let got: BTreeMap<_, _> = counts
        .iter()
        .map(|c: &DayStatusCount| ((c.day, c.status), (c.runs, c.duration_sum_ms, c.finished)))
        .collect();
    assert_eq!(got, expected, "{tz} {at} {query}");
    let chart = RunChart::from_counts(Some(span), &counts);
    let charted: u64 = chart.days.iter().map(|d| d.total()).sum();
    assert_eq!(charted, total, "{tz} {query}: every listed run has its bar");
    total
}

/// The chart's counts per day of the viewer's calendar equal the listed runs bucketed by
/// their local date: across a daylight-saving change (New York and St John's, 10 Mar
/// 2024), in half-hour and three-quarter-hour zones (Kolkata, St John's, Kathmandu,
/// Chatham), with windows that start mid-hour, for each filter alone and combined, and
/// after runs change, move and go. Another organisation's runs never count.
async fn chart_counts_match_the_listed_runs(db: &DatabaseConnection) {
    use app::api::chart_request;
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let google = urlencode("Google Workspace – acme.example");
    let queries = [
        String::new(),
        "range=30d".into(),
        "range=7d&status=success".into(),
        format!("config={google}"),
        format!("range=custom&from=2024-03-09&to=2024-03-11&status=success,needs_attention&config={google}"),
    ];
    for zone in [
        "America/New_York",
        "Asia/Kolkata",
        "UTC",
        "America/St_Johns",
        "Asia/Kathmandu",
        "Pacific/Chatham",
    ] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        for at in [now(), now() + chrono::Duration::minutes(17)] {
            for query in &queries {
                let total = check_chart(&store, tz, at, acme, query).await;
                assert!(total > 0, "{zone} {query}: the demo has runs here");
            }
        }
    }
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    // The daylight-saving change splits the window's offsets in two.
    let (_, _, offsets) =
        chart_request(tz, now(), acme, RunFilter::from_query("range=30d").unwrap()).unwrap();
    assert_eq!(offsets.len(), 2);
    assert_eq!(
        offsets[1].0,
        Utc.with_ymd_and_hms(2024, 3, 10, 7, 0, 0)
            .unwrap()
            .timestamp_millis()
    );
    // Runs change status, finish, move in time and go: the hours follow.
    for sql in [
        format!("UPDATE sync_runs SET status = 'cancelled' WHERE organisation_id = {acme} AND status = 'success' AND id % 3 = 0"),
        format!("UPDATE sync_runs SET status = 'success', finished_at_ms = started_at_ms + 61000 WHERE organisation_id = {acme} AND status = 'in_progress'"),
        format!("UPDATE sync_runs SET sort_at_ms = sort_at_ms - 5400000, started_at_ms = started_at_ms - 5400000 WHERE organisation_id = {acme} AND id % 5 = 0 AND started_at_ms IS NOT NULL"),
        format!("DELETE FROM sync_log_entries WHERE run_id IN (SELECT id FROM sync_runs WHERE organisation_id = {acme} AND id % 7 = 0)"),
        format!("DELETE FROM log_downloads WHERE run_id IN (SELECT id FROM sync_runs WHERE organisation_id = {acme} AND id % 7 = 0)"),
        format!("DELETE FROM sync_runs WHERE organisation_id = {acme} AND id % 7 = 0"),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    for zone in ["America/New_York", "Asia/Kathmandu"] {
        for query in &queries {
            check_chart(
                &store,
                zone.parse().unwrap(),
                now() + chrono::Duration::minutes(17),
                acme,
                query,
            )
            .await;
        }
    }
    // A configuration of another organisation is unknown here, and counts nothing.
    let other = RunFilter::from_query("config=Globex+HR+export+%28SFTP%29").unwrap();
    let (_, req, offsets) = chart_request(tz, now(), acme, other).unwrap();
    assert_eq!(
        store.count_run_days(&req, &offsets).await.unwrap(),
        Err(ScopeProblem::UnknownName)
    );
    // Nothing of Acme's shows in Globex's chart.
    let globex = org_id(db, "Globex").await;
    check_chart(&store, tz, now(), globex, "").await;
}
on_both_backends!(chart_counts, chart_counts_match_the_listed_runs);

/// The chart's tables of runs per span, as their triggers kept them through seeding and
/// changes, equal what migration 9 fills them with from the runs alone (run down and up
/// again): both ways give each configuration's rows and every configuration's.
async fn span_tables_fill_as_their_triggers_keep_them(db: &DatabaseConnection) {
    use sea_orm::TransactionTrait;
    use sea_orm_migration::MigratorTrait;
    use server::db::migrations::Migrator;
    seeded(db).await;
    db.execute_unprepared(
        "UPDATE sync_runs SET status = 'cancelled', sort_at_ms = sort_at_ms - 5400000 WHERE id % 4 = 0",
    )
    .await
    .unwrap();
    db.execute_unprepared("DELETE FROM sync_log_entries WHERE run_id % 9 = 0")
        .await
        .unwrap();
    db.execute_unprepared("DELETE FROM log_downloads WHERE run_id % 9 = 0")
        .await
        .unwrap();
    db.execute_unprepared("DELETE FROM sync_runs WHERE id % 9 = 0")
        .await
        .unwrap();
    let tables = [
        ("sync_run_hours", "hour"),
        ("sync_run_quarters", "quarter"),
        ("sync_run_status_days", "day"),
    ];
    let snapshot = || async {
        let mut all = Vec::new();
        for (table, column) in tables {
            let rows = db
                .query_all(Statement::from_string(
                    db.get_database_backend(),
                    format!(
                        "SELECT organisation_id, {column}, configuration_id, status, runs, \
                         duration_sum_ms, finished FROM {table} WHERE runs <> 0 \
                         ORDER BY organisation_id, {column}, configuration_id, status"
                    ),
                ))
                .await
                .unwrap();
            let rows: Vec<(i64, i64, i64, String, i64, i64, i64)> = rows
                .iter()
                .map(|r| {
                    (
                        r.try_get_by_index(0).unwrap(),
                        r.try_get_by_index(1).unwrap(),
                        r.try_get_by_index(2).unwrap(),
                        r.try_get_by_index(3).unwrap(),
                        r.try_get_by_index(4).unwrap(),
                        r.try_get_by_index(5).unwrap(),
                        r.try_get_by_index(6).unwrap(),
                    )
                })
                .collect();
            assert!(
                rows.iter().any(|r| r.2 == 0),
                "{table}: every configuration's rows"
            );
            assert!(
                rows.iter().any(|r| r.2 != 0),
                "{table}: each configuration's rows"
            );
            all.push(rows);
        }
        all
    };
    let kept = snapshot().await;
    // In one transaction, as the server migrates SQLite: DDL spread over the pool's
    // connections could meet a connection still reading the schema from before.
    let txn = db.begin().await.unwrap();
    Migrator::down(&txn, Some(2)).await.unwrap();
    Migrator::up(&txn, None).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(snapshot().await, kept);
}
on_both_backends!(span_tables, span_tables_fill_as_their_triggers_keep_them);

/// Totals come from per-day counts kept by triggers: they must equal a plain count
/// after inserts, status changes, moves in time and deletes, for windows that cut days.
async fn totals_stay_exact_through_changes(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let exact = |filter: &str, since: Option<i64>, until: Option<i64>| {
        let filter = RunFilter::from_query(filter).unwrap();
        let store = store.clone();
        async move {
            let mut req = request(acme, filter, None, 100_000);
            req.since_ms = since;
            req.until_ms = until;
            let found = store.list_runs(&req).await.unwrap();
            assert_eq!(
                found.total,
                Some(found.runs.len() as u64),
                "{:?} {since:?} {until:?}",
                req.filter
            );
        }
    };
    let t = now().timestamp_millis();
    let windows = [
        (None, None),
        (Some(t - 7 * 86_400_000 + 12_345), None),
        (
            Some(t - 10 * 86_400_000 - 3_600_000),
            Some(t - 2 * 86_400_000 + 7_000),
        ),
        (
            Some(t - 3 * 86_400_000 + 1),
            Some(t - 3 * 86_400_000 + 3_600_000),
        ),
        (None, Some(t - 5 * 86_400_000)),
    ];
    let check_all = || async {
        for (since, until) in windows {
            for filter in [
                "",
                "status=success,cancelled",
                "config=Workday+%E2%80%93+Global+HR&status=success",
            ] {
                exact(filter, since, until).await;
            }
        }
    };
    check_all().await;
    db.execute_unprepared(&format!(
        "UPDATE sync_runs SET status = 'cancelled' WHERE organisation_id = {acme} AND status = 'success' AND id % 3 = 0"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE sync_runs SET sort_at_ms = sort_at_ms - 86400000 * 2 + 1234 WHERE organisation_id = {acme} AND id % 5 = 0"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "DELETE FROM sync_log_entries WHERE run_id IN (SELECT id FROM sync_runs WHERE organisation_id = {acme} AND id % 7 = 0)"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "DELETE FROM sync_runs WHERE organisation_id = {acme} AND id % 7 = 0"
    ))
    .await
    .unwrap();
    check_all().await;
}
on_both_backends!(exact_totals, totals_stay_exact_through_changes);

/// Each new run and each new version of one takes the next number of its organisation's
/// change feed; a write that keeps the version is no change; and on PostgreSQL a second
/// writer of the organisation's runs waits for the first to commit, so no reader can see a
/// later number before an earlier one.
async fn the_change_feed_numbers_each_change(db: &DatabaseConnection) {
    use sea_orm::TransactionTrait;
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let globex = org_id(db, "Globex").await;
    let start = store.change_count(acme).await.unwrap();
    assert!(start > 0, "seeded runs are changes too");
    let their_start = store.change_count(globex).await.unwrap();
    assert_eq!(
        store
            .runs_changed_since(acme, start, HeldRuns::Any, 500)
            .await
            .unwrap(),
        Some(vec![])
    );
    let ids: Vec<i64> = sync_run::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.organisation_id == acme)
        .map(|r| r.id)
        .take(3)
        .collect();
    let run = |sql: String| async move { db.execute_unprepared(&sql).await.unwrap() };
    let changed_ids = |since: i64| {
        let store = store.clone();
        async move {
            let changed = store
                .runs_changed_since(acme, since, HeldRuns::Any, 500)
                .await
                .unwrap()
                .unwrap();
            changed.iter().map(|r| r.id).collect::<Vec<i64>>()
        }
    };
    run(format!(
        "UPDATE sync_runs SET heartbeat_at_ms = 5 WHERE id = {}",
        ids[0]
    ))
    .await;
    assert_eq!(store.change_count(acme).await.unwrap(), start);
    for id in [ids[1], ids[0]] {
        run(format!(
            "UPDATE sync_runs SET version = version + 1 WHERE id = {id}"
        ))
        .await;
    }
    let configuration: i64 = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT MIN(configuration_id) FROM sync_runs WHERE organisation_id = {acme}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    run(format!(
        "UPDATE sync_configurations SET enabled = TRUE WHERE id = {configuration}"
    ))
    .await;
    let new = server::sync::queue::queue_now(db, configuration, now().timestamp_millis())
        .await
        .unwrap();
    let changed = changed_ids(start).await;
    assert_eq!(
        changed,
        vec![ids[1], ids[0], new],
        "in the order they changed"
    );
    let now_seen = store.change_count(acme).await.unwrap();
    assert!(now_seen > start);
    assert_eq!(
        store
            .runs_changed_since(acme, start, HeldRuns::Any, 3)
            .await
            .unwrap()
            .map(|r| r.len()),
        Some(3),
        "as many as the limit"
    );
    assert_eq!(
        store
            .runs_changed_since(acme, start, HeldRuns::Any, 2)
            .await
            .unwrap(),
        None,
        "more than the limit: none"
    );
    // A deleted run takes its number with it, but no number is given twice: the next
    // change is numbered above every number a page may have seen.
    let newest = store.change_count(acme).await.unwrap();
    run(format!("DELETE FROM sync_runs WHERE id = {new}")).await;
    assert!(store.change_count(acme).await.unwrap() < newest);
    run(format!(
        "UPDATE sync_runs SET version = version + 1 WHERE id = {}",
        ids[0]
    ))
    .await;
    assert!(store.change_count(acme).await.unwrap() > newest);
    assert_eq!(changed_ids(newest).await, vec![ids[0]]);
    let now_seen = store.change_count(acme).await.unwrap();
    // Another organisation's feed did not move.
    assert_eq!(store.change_count(globex).await.unwrap(), their_start);
    assert_eq!(
        store
            .runs_changed_since(globex, their_start, HeldRuns::Any, 500)
            .await
            .unwrap(),
        Some(vec![])
    );

    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return; // SQLite has one writer at a time.
    }
    let first = db.begin().await.unwrap();
    first
        .execute_unprepared(&format!(
            "UPDATE sync_runs SET version = version + 1 WHERE id = {}",
            ids[2]
        ))
        .await
        .unwrap();
    let second = {
        let db = db.clone();
        let id = ids[1];
        tokio::spawn(async move {
            db.execute_unprepared(&format!(
                "UPDATE sync_runs SET version = version + 1 WHERE id = {id}"
            ))
            .await
            .unwrap();
        })
    };
    // The second writer comes to wait on the feed's lock (seen in `pg_locks`, not
    // guessed from a pause), and stays there until the first commits.
    let waiting = || async {
        db.query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    };
    let mut polls = 0;
    while waiting().await == 0 {
        assert!(
            !second.is_finished() && polls < 1_000,
            "a second writer of the organisation's runs waits for the first to commit"
        );
        polls += 1;
        tokio::task::yield_now().await;
    }
    assert!(!second.is_finished());
    first.commit().await.unwrap();
    second.await.unwrap();
    let changed = changed_ids(now_seen).await;
    assert_eq!(
        changed,
        vec![ids[2], ids[1]],
        "numbered in the order they committed"
    );
}
on_both_backends!(change_feed, the_change_feed_numbers_each_change);

/// A poll that says how far down the list its page holds runs is answered only the
/// changed runs the page may hold: the database leaves out the others, exactly as
/// `HeldRuns::may_hold` would, runs that moved when they started included; and more runs
/// changed than the limit is still told, held or not.
async fn a_poll_reads_only_the_changes_its_page_may_hold(db: &DatabaseConnection) {
    let store = seeded(db).await;
    let acme = org_id(db, "Acme").await;
    let start = store.change_count(acme).await.unwrap();
    let every = |sort| RunFilter {
        sort,
        ..RunFilter::default()
    };
    let newest = store
        .list_runs(&request(acme, every(SortOrder::NewestFirst), None, 6))
        .await
        .unwrap()
        .runs;
    let oldest = store
        .list_runs(&request(acme, every(SortOrder::OldestFirst), None, 6))
        .await
        .unwrap()
        .runs;
    let run = |sql: String| async move { db.execute_unprepared(&sql).await.unwrap() };
    // A change at the top, one at the bottom, one in the middle of the list; and a run
    // from the middle that starts again a year later, leaving its queue time behind.
    let middle: i64 = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id FROM sync_runs WHERE organisation_id = {acme} \
                 ORDER BY sort_at_ms, id LIMIT 1 OFFSET 40"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    for id in [newest[0].id, oldest[0].id, middle] {
        run(format!(
            "UPDATE sync_runs SET version = version + 1 WHERE id = {id}"
        ))
        .await;
    }
    let moved = oldest[2].id;
    run(format!(
        "UPDATE sync_runs SET version = version + 1, started_at_ms = {}, \
         sort_at_ms = {} WHERE id = {moved}",
        newest[0].sort_at_ms() + 365 * 86_400_000,
        newest[0].sort_at_ms() + 365 * 86_400_000,
    ))
    .await;
    let changes = |held| {
        let store = store.clone();
        async move {
            store
                .runs_changed_since(acme, start, held, 500)
                .await
                .unwrap()
                .map(|runs| runs.iter().map(|r| r.id).collect::<Vec<_>>())
        }
    };
    let all = store
        .runs_changed_since(acme, start, HeldRuns::Any, 500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.len(), 4);
    for (rows, sort, expected) in [
        (&newest, SortOrder::NewestFirst, vec![newest[0].id, moved]),
        (&oldest, SortOrder::OldestFirst, vec![oldest[0].id, moved]),
    ] {
        let held = HeldRuns::of(rows, sort);
        assert!(matches!(held, HeldRuns::DownTo { .. }));
        let by_rule: Vec<i64> = all
            .iter()
            .filter(|r| held.may_hold(r))
            .map(|r| r.id)
            .collect();
        assert_eq!(by_rule, expected, "{sort:?}");
        assert_eq!(changes(held).await, Some(expected), "{sort:?}");
    }
    // Held or not, more changed runs than the limit is told as such.
    let held = HeldRuns::of(&newest, SortOrder::NewestFirst);
    let over = store
        .runs_changed_since(acme, start, held, 3)
        .await
        .unwrap();
    assert_eq!(over, None);
    assert_eq!(
        store
            .runs_changed_since(acme, start, held, 4)
            .await
            .unwrap()
            .map(|r| r.len()),
        Some(2)
    );
}
on_both_backends!(held_runs, a_poll_reads_only_the_changes_its_page_may_hold);

fn urlencode(s: &str) -> String {
    form_urlencoded_byte_serialize(s)
}

fn form_urlencoded_byte_serialize(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn opened(outcome: Result<SignInOutcome, app::ports::StoreError>) -> String {
    match outcome.unwrap() {
        SignInOutcome::Opened(token) => token,
        other => panic!("expected a session, got {other:?}"),
    }
}

async fn sessions_follow_sign_in_and_out(db: &DatabaseConnection) {
    let store = seeded(db).await;
    assert_eq!(
        store
            .sign_in("org.admin@acme.example", "wrong", None)
            .await
            .unwrap(),
        SignInOutcome::Refused
    );
    assert_eq!(
        store
            .sign_in("nobody@acme.example", DEMO_PASSWORD, None)
            .await
            .unwrap(),
        SignInOutcome::Refused
    );
    let token = opened(
        store
            .sign_in("org.admin@acme.example", DEMO_PASSWORD, None)
            .await,
    );
    let viewer = store
        .viewer_for_session(&token)
        .await
        .unwrap()
        .expect("session is live");
    assert_eq!(viewer.organisation_name, "Acme");
    assert!(viewer.can_use_provisioning());
    assert_eq!(
        store.viewer_for_session("forged-token").await.unwrap(),
        None
    );
    // The poll's lookup: the same viewer, with the organisation's count of changes.
    let (same, changes) = store
        .viewer_with_change_count(&token)
        .await
        .unwrap()
        .expect("session is live");
    assert_eq!(same, viewer);
    assert_eq!(
        changes,
        store.change_count(viewer.organisation_id).await.unwrap()
    );
    assert!(changes > 0);
    assert_eq!(
        store
            .viewer_with_change_count("forged-token")
            .await
            .unwrap(),
        None
    );

    let unenrolled = opened(
        store
            .sign_in("people.admin.unenrolled@acme.example", DEMO_PASSWORD, None)
            .await,
    );
    assert!(!store
        .viewer_for_session(&unenrolled)
        .await
        .unwrap()
        .unwrap()
        .can_use_provisioning());
    let initech = opened(
        store
            .sign_in("org.admin@initech.example", DEMO_PASSWORD, None)
            .await,
    );
    assert!(!store
        .viewer_for_session(&initech)
        .await
        .unwrap()
        .unwrap()
        .can_use_provisioning());

    store.sign_out(&token).await.unwrap();
    assert_eq!(
        store.viewer_for_session(&token).await.unwrap(),
        None,
        "signed out on the server"
    );

    // An expired session is ignored.
    let other = opened(
        store
            .sign_in("people.admin@acme.example", DEMO_PASSWORD, None)
            .await,
    );
    db.execute_unprepared("UPDATE sessions SET expires_at_ms = 0")
        .await
        .unwrap();
    assert_eq!(store.viewer_for_session(&other).await.unwrap(), None);
}
on_both_backends!(sessions, sessions_follow_sign_in_and_out);

/// Column names and types (normalised) per table.
async fn schema_of(db: &DatabaseConnection) -> BTreeMap<String, BTreeSet<String>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
            JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            .to_string(),
        _ => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
              WHERE table_schema = 'public'"
                .to_string()
        }
    };
    let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in db
        .query_all(Statement::from_string(backend, sql))
        .await
        .unwrap()
    {
        let t: String = row.try_get("", "t").unwrap();
        let c: String = row.try_get("", "c").unwrap();
        schema.entry(t).or_default().insert(c);
    }
    schema
}

#[tokio::test]
async fn migrations_give_the_same_schema_on_both_backends() {
    let sqlite = TestDb::sqlite().await;
    let lite = schema_of(&sqlite.conn).await;
    for table in [
        "organisations",
        "users",
        "sessions",
        "sync_configurations",
        "sync_runs",
        "sync_log_entries",
        "log_downloads",
    ] {
        assert!(lite.contains_key(table), "{table} exists on SQLite");
    }
    assert!(lite["sync_runs"].contains("sort_at_ms") && lite["sync_runs"].contains("version"));
    if let Some(pg) = TestDb::postgres("migrations_give_the_same_schema_on_both_backends").await {
        let postgres = schema_of(&pg.conn).await;
        // The change feed's numbers: a counter on SQLite, a sequence on PostgreSQL.
        let mut lite = lite;
        assert!(lite.remove("run_change_numbers").is_some());
        assert_eq!(lite, postgres);
        pg.cleanup().await;
    }
    sqlite.cleanup().await;
}
