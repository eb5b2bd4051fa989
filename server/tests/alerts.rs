//! Alerts end to end on SQLite and PostgreSQL, with real parts: runs of the real engine
//! write the events, a real SMTP server (aiosmtpd) receives the email, and a webhook
//! receiver on loopback checks each request's signature. Time is passed in where the hour
//! of a digest must go by.

mod common;

use app::domain::{DeliveryTally, RunAlert};
use app::ports::AlertStore;
use common::hooks::{set_webhook, Hook, SECRET};
use common::smtp::{self, SmtpServer};
use common::sync::*;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, Statement};
use server::alerts::deliver::send_due;
use server::alerts::{outbox, staleness, worker, AlertSettings, SmtpSettings, Timing};
use server::db::entities::user;
use server::store::SeaStore;
use server::sync::engine::now_ms;
use std::time::Duration;

const HOUR: i64 = 3_600_000;

async fn admin(db: &DatabaseConnection, org: i64, email: &str, role: &str, enrolled: bool) -> i64 {
    user::ActiveModel {
        organisation_id: Set(org),
        email: Set(email.into()),
        first_name: Set("Admin".into()),
        last_name: Set(email.into()),
        active: Set(true),
        role: Set(role.into()),
        sync_service_enrolled: Set(enrolled),
        created_at_ms: Set(0),
        updated_at_ms: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// A run of `config` that ends Needs Attention: one record has no email.
async fn needs_attention(db: &DatabaseConnection, s: &Setup) -> i64 {
    let mut csv = people_csv(1..=3);
    csv.push_str("E99,,No,Email,Engineer,R&D,,Active\n");
    std::fs::write(&s.file, csv).unwrap();
    let run = sync_now(db, s.config).await;
    assert_eq!(run.status, "needs_attention");
    run.id
}

/// A run of `config` that ends Data Load Failed: its file is missing.
async fn load_fails(db: &DatabaseConnection, config: i64) -> i64 {
    let run = sync_now(db, config).await;
    assert_eq!(run.status, "data_load_failed");
    run.id
}

fn settings(smtp: Option<&SmtpServer>, retry: Duration) -> AlertSettings {
    AlertSettings {
        smtp: smtp.map(|s| {
            SmtpSettings::parse(
                &s.url(),
                None,
                Some("User Provisioning <alerts@up.example>"),
            )
            .unwrap()
        }),
        public_url: "https://up.example".into(),
        timing: Timing {
            retry_first: retry,
            ..Timing::default()
        },
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// `/metrics`' delivery counts (kept by triggers) agree with the deliveries themselves, and
/// the scrape says so.
async fn counts_agree(db: &DatabaseConnection) {
    let rows = |sql: &str| {
        let sql = sql.to_string();
        async move {
            let mut found: Vec<(String, String, i64)> = db
                .query_all(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .into_iter()
                .map(|r| {
                    (
                        r.try_get_by_index(0).unwrap(),
                        r.try_get_by_index(1).unwrap(),
                        r.try_get_by_index(2).unwrap(),
                    )
                })
                .collect();
            found.sort();
            found
        }
    };
    let counted =
        rows("SELECT channel, state, COUNT(*) FROM alert_deliveries GROUP BY channel, state").await;
    let kept = rows("SELECT channel, state, n FROM alert_delivery_counts WHERE n <> 0").await;
    assert_eq!(kept, counted);
    assert!(!counted.is_empty());
    let mut registry = prometheus_client::registry::Registry::default();
    server::http::metrics::AlertFigures::read(db)
        .await
        .unwrap()
        .register(&mut registry);
    let text = server::http::metrics::text(&registry);
    for (channel, state, n) in counted {
        let line = format!("up_alert_deliveries{{channel=\"{channel}\",state=\"{state}\"}} {n}\n");
        assert!(text.contains(&line), "{line} in {text}");
    }
}

on_both_backends!(alerts_reach_exactly_the_right_admins, right_admins);

async fn right_admins(db: &DatabaseConnection) {
    let Some(python) = smtp::python("alerts_reach_exactly_the_right_admins") else {
        return;
    };
    let mut relay = SmtpServer::stopped();
    relay.start(&python);
    let store = SeaStore::new(db.clone());
    let s = setup(db, "Acme", "people.csv").await;
    let g = setup(db, "Globex", "people.csv").await;
    let owner = admin(db, s.org, "owner@acme.example", "organisation_admin", true).await;
    admin(db, s.org, "people@acme.example", "people_admin", true).await;
    let quiet = admin(db, s.org, "quiet@acme.example", "people_admin", true).await;
    admin(db, s.org, "support@acme.example", "support_admin", true).await;
    admin(
        db,
        s.org,
        "unenrolled@acme.example",
        "organisation_admin",
        false,
    )
    .await;
    admin(
        db,
        g.org,
        "owner@globex.example",
        "organisation_admin",
        true,
    )
    .await;
    store.set_email_alerts(quiet, false, None).await.unwrap();
    store
        .set_email_alerts(owner, true, Some("Asia/Kolkata"))
        .await
        .unwrap();
    assert!(!store.email_alerts(quiet).await.unwrap());
    assert!(store.email_alerts(owner).await.unwrap());

    // A success sends nothing; a run that needs attention, one message per admin.
    std::fs::write(&s.file, people_csv(1..=3)).unwrap();
    let fine = sync_now(db, s.config).await;
    assert_eq!(fine.status, "success");
    let run = needs_attention(db, &s).await;
    let settings = settings(Some(&relay), Duration::from_millis(50));
    let senders = worker::senders(&settings).unwrap();
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    let mail = relay.messages();
    let mut to: Vec<String> = mail.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    to.sort();
    assert_eq!(to, ["owner@acme.example", "people@acme.example"]);
    for m in &mail {
        assert_eq!(m.subject, "HR export: Needs Attention (Acme)");
        assert!(m.from.contains("alerts@up.example"), "{}", m.from);
        assert!(m.text.contains("The sync completed with warnings."));
        assert!(m
            .text
            .contains("Recommended action: Download logs and review warnings."));
        let link = format!("https://up.example/admin/user-provisioning/runs/{run}");
        assert!(m.text.contains(&link) && m.html.contains(&link));
        assert!(
            m.text.contains("Skipped 1") || m.text.contains("skipped 1"),
            "{}",
            m.text
        );
    }
    // Each admin reads the start in their own zone.
    let owners = mail.iter().find(|m| m.to.contains("owner@")).unwrap();
    assert!(owners.text.contains("(Asia/Kolkata)"), "{}", owners.text);
    let peoples = mail.iter().find(|m| m.to.contains("people@")).unwrap();
    assert!(peoples.text.contains("(UTC)"), "{}", peoples.text);
    assert_ne!(owners.message_id, peoples.message_id);

    // Looking again sends nothing more.
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    assert_eq!(relay.messages().len(), 2);
    assert_eq!(
        store.run_alert(fine.id).await.unwrap().0,
        RunAlert::None,
        "a success sends no alert"
    );
    match store.run_alert(run).await.unwrap().0 {
        RunAlert::Message {
            digest,
            email,
            webhook,
            ..
        } => {
            assert!(!digest);
            assert_eq!(
                email,
                DeliveryTally {
                    sent: 2,
                    pending: 0,
                    failed: 0
                }
            );
            assert_eq!(webhook.total(), 0);
        }
        other => panic!("the run's alert was sent: {other:?}"),
    }

    // Another organisation's run reaches its own admin only.
    std::fs::write(
        &g.file,
        people_csv(1..=2) + "E98,,No,Email,Engineer,R&D,,Active\n",
    )
    .unwrap();
    assert_eq!(sync_now(db, g.config).await.status, "needs_attention");
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    let mail = relay.messages();
    assert_eq!(mail.len(), 3);
    let globex: Vec<_> = mail
        .iter()
        .filter(|m| m.subject.contains("Globex"))
        .collect();
    assert_eq!(globex.len(), 1);
    assert_eq!(globex[0].rcpt_to, ["owner@globex.example"]);

    // Turned off, an admin gets nothing more. The same configuration and status within
    // the hour go into the hour's digest, sent at the hour's end.
    store.set_email_alerts(owner, false, None).await.unwrap();
    let folded = needs_attention(db, &s).await;
    let later = now_ms() + HOUR + 1000;
    outbox::place_events(db, true, now_ms(), 50).await.unwrap();
    let digests = || {
        relay
            .messages()
            .into_iter()
            .filter(|m| m.subject.contains("more run"))
            .collect::<Vec<_>>()
    };
    send_due(db, &senders, &settings.timing, "w1", || later, 50)
        .await
        .unwrap();
    let digest = digests();
    assert_eq!(digest.len(), 1, "{digest:?}");
    assert_eq!(digest[0].rcpt_to, ["people@acme.example"]);
    assert!(digest[0]
        .subject
        .starts_with("HR export: 1 more run Needs Attention"));

    // Turned off after the hour's digest was written and before it went out: that admin's
    // copy is dropped, not counted as sent or failed.
    store.set_email_alerts(owner, true, None).await.unwrap();
    let another = needs_attention(db, &s).await;
    outbox::place_events(db, true, now_ms(), 50).await.unwrap();
    // (A new hour: the digest above went out, so this one is a message of its own.)
    assert_eq!(relay.messages().len(), 4);
    send_due(db, &senders, &settings.timing, "w1", now_ms, 50)
        .await
        .unwrap();
    assert_eq!(relay.messages().len(), 6, "both admins again");
    // Switching without saying a zone kept the one the owner's page told.
    let owners = relay
        .messages()
        .into_iter()
        .find(|m| m.to.contains("owner@acme") && m.text.contains(&format!("/runs/{another}")))
        .unwrap();
    assert!(owners.text.contains("(Asia/Kolkata)"), "{}", owners.text);
    let last = needs_attention(db, &s).await;
    outbox::place_events(db, true, now_ms(), 50).await.unwrap();
    store.set_email_alerts(owner, false, None).await.unwrap();
    let end = now_ms() + HOUR + 1000;
    send_due(db, &senders, &settings.timing, "w1", || end, 50)
        .await
        .unwrap();
    let mail = relay.messages();
    assert_eq!(mail.len(), 7);
    let about_last: Vec<_> = mail
        .iter()
        .filter(|m| m.text.contains(&format!("/runs/{last}")))
        .collect();
    assert_eq!(about_last.len(), 1);
    assert_eq!(about_last[0].rcpt_to, ["people@acme.example"]);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_deliveries WHERE state = 'dropped'"
        )
        .await,
        1
    );
    match store.run_alert(last).await.unwrap().0 {
        RunAlert::Message { digest, email, .. } => {
            assert!(digest);
            assert_eq!(
                (email.sent, email.total()),
                (1, 1),
                "the dropped copy is not counted"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(folded < another);
    counts_agree(db).await;
}

on_both_backends!(alerts_survive_a_relay_that_is_down, relay_down);

async fn relay_down(db: &DatabaseConnection) {
    let Some(python) = smtp::python("alerts_survive_a_relay_that_is_down") else {
        return;
    };
    let mut relay = SmtpServer::stopped();
    let s = setup(db, "Acme", "people.csv").await;
    let other = add_config(
        db,
        s.org,
        "Payroll",
        &s.file.with_extension("missing"),
        None,
        None,
    )
    .await;
    admin(db, s.org, "owner@acme.example", "organisation_admin", true).await;
    admin(db, s.org, "people@acme.example", "people_admin", true).await;
    let settings = settings(Some(&relay), Duration::from_millis(50));
    let senders = worker::senders(&settings).unwrap();
    needs_attention(db, &s).await;
    load_fails(db, other).await;

    // Down: every delivery is tried, fails, and waits to be retried.
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE state = 'pending' AND attempts = 1 AND last_error IS NOT NULL").await,
        4
    );
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    assert!(relay.messages().is_empty());

    // Up again: each is delivered once, however often the worker looks after.
    relay.start(&python);
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        worker::step(db, &senders, &settings, "w1", false)
            .await
            .unwrap();
        if relay.messages().len() >= 4 {
            break;
        }
    }
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        worker::step(db, &senders, &settings, "w1", false)
            .await
            .unwrap();
    }
    let mail = relay.messages();
    let mut seen: Vec<(String, String)> = mail
        .iter()
        .map(|m| (m.rcpt_to.join(","), m.subject.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "owner@acme.example".into(),
                "HR export: Needs Attention (Acme)".into()
            ),
            (
                "owner@acme.example".into(),
                "Payroll: Data Load Failed (Acme)".into()
            ),
            (
                "people@acme.example".into(),
                "HR export: Needs Attention (Acme)".into()
            ),
            (
                "people@acme.example".into(),
                "Payroll: Data Load Failed (Acme)".into()
            ),
        ]
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_deliveries WHERE state = 'sent'"
        )
        .await,
        4
    );
    // Every attempt is kept: at least one failure and exactly one success each.
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_attempts WHERE ok = TRUE").await,
        4
    );
    assert!(count(db, "SELECT COUNT(*) FROM alert_attempts WHERE ok = FALSE").await >= 4);
    counts_agree(db).await;
}

on_both_backends!(
    a_webhook_is_signed_and_retried_until_it_answers,
    webhook_retry
);

async fn webhook_retry(db: &DatabaseConnection) {
    let (hook, url) = Hook::start(2).await;
    let s = setup(db, "Acme", "people.csv").await;
    let _secret = set_webhook(db, "Acme", &url).await;
    admin(db, s.org, "owner@acme.example", "organisation_admin", true).await;
    // No email on this server: the webhook alone.
    let settings = settings(None, Duration::from_millis(20));
    let senders = worker::senders(&settings).unwrap();
    std::fs::write(&s.file, people_csv(1..=30)).unwrap();
    sync_now(db, s.config).await;
    std::fs::write(&s.file, people_csv(1..=15)).unwrap();
    let blocked = sync_now(db, s.config).await;
    assert_eq!(blocked.status, "above_deactivation_threshold");

    for _ in 0..50 {
        worker::step(db, &senders, &settings, "w1", false)
            .await
            .unwrap();
        if !hook.accepted().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    let requests = hook.requests();
    assert_eq!(
        requests.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(requests.iter().all(|r| r.signed), "every request is signed");
    assert!(
        requests.iter().all(|r| r.delivery == requests[0].delivery),
        "one delivery, tried three times"
    );
    let body = &requests[2].body;
    assert_eq!(body["event"], "run");
    assert_eq!(body["status"], "above_deactivation_threshold");
    assert_eq!(body["organisation"], "Acme");
    assert_eq!(body["configuration"], "HR export");
    assert_eq!(body["runs"][0]["id"], blocked.id);
    assert_eq!(body["runs"][0]["counts"]["planned_deactivations"], 15);
    assert!(body["text"]
        .as_str()
        .unwrap()
        .contains("HR export: Above Deactivation Threshold (Acme)"));
    assert_eq!(
        body["link"],
        format!(
            "https://up.example/admin/user-provisioning/runs/{}",
            blocked.id
        )
    );
    // The attempts are kept, and no error names the secret.
    assert_eq!(count(db, "SELECT COUNT(*) FROM alert_attempts").await, 3);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_attempts WHERE error LIKE '%answered 500%'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) FROM alert_attempts WHERE error LIKE '%{SECRET}%'")
        )
        .await,
        0
    );
    let listed = server::operator::list_configurations(db).await.unwrap();
    assert!(
        listed.contains(&format!("webhook  Acme → {url} (signed with file:")),
        "{listed}"
    );
    assert!(!listed.contains(SECRET));
    let store = SeaStore::new(db.clone());
    match store.run_alert(blocked.id).await.unwrap().0 {
        RunAlert::Message { email, webhook, .. } => {
            assert_eq!(email.total(), 0, "this server sends no email");
            assert_eq!(webhook.sent, 1);
        }
        other => panic!("{other:?}"),
    }

    // A webhook put right while its alert waits (here its secret could not be read):
    // the waiting alert goes to the webhook as it is now, once.
    let (fixed, fixed_url) = Hook::start(0).await;
    server::operator::import_configurations(
        db,
        &format!(
            "[[webhook]]\norganisation = \"Acme\"\nurl = \"{url}\"\nsecret = \"env:UP_TEST_SURELY_UNSET_SECRET\"\n"
        ),
        now_ms(),
    )
    .await
    .unwrap();
    std::fs::remove_file(&s.file).unwrap();
    let waiting = load_fails(db, s.config).await;
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE state = 'pending' AND last_error LIKE '%UP_TEST_SURELY_UNSET_SECRET is not set%'").await,
        1
    );
    let _fixed_secret = set_webhook(db, "Acme", &fixed_url).await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        worker::step(db, &senders, &settings, "w1", false)
            .await
            .unwrap();
        if !fixed.accepted().is_empty() {
            break;
        }
    }
    let got = fixed.requests();
    assert_eq!(got.len(), 1);
    assert!(got[0].signed);
    assert_eq!(got[0].body["runs"][0]["id"], waiting);
    assert_eq!(hook.requests().len(), 3, "nothing more to the old address");

    // A webhook removed before its alert went out (this one joins the hour's digest, due
    // at the hour's end) gets nothing: the delivery is dropped, not failed.
    load_fails(db, s.config).await;
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    server::operator::import_configurations(
        db,
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"\"\n",
        now_ms(),
    )
    .await
    .unwrap();
    let end = now_ms() + 2 * 3_600_000;
    send_due(db, &senders, &settings.timing, "w1", || end, 50)
        .await
        .unwrap();
    assert_eq!(hook.requests().len(), 3);
    assert_eq!(fixed.requests().len(), 1);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_deliveries WHERE state = 'dropped'"
        )
        .await,
        1,
        "a removed webhook's alert is dropped, not failed"
    );
    // A webhook given without a secret reference is refused, and nothing changes.
    for bad in [
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"https://h.example\"\nsecret = \"plain\"\n",
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"https://h.example\"\n",
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"ftp://h.example\"\nsecret = \"env:X\"\n",
        // A password in the address would be kept and printed as it is.
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"https://u:plain@h.example/x\"\nsecret = \"env:X\"\n",
        "[[webhook]]\norganisation = \"Nobody\"\nurl = \"https://h.example\"\nsecret = \"env:X\"\n",
        "[[webhook]]\norganisation = \"Acme\"\nurl = \"https://a.example\"\nsecret = \"env:X\"\n\
         [[webhook]]\norganisation = \"Acme\"\nurl = \"https://b.example\"\nsecret = \"env:X\"\n",
    ] {
        let e = server::operator::import_configurations(db, bad, now_ms())
            .await
            .unwrap_err()
            .to_string();
        assert!(!e.contains("plain"), "{e}");
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM alert_webhooks").await, 0);
    counts_agree(db).await;
}

on_both_backends!(a_failing_sync_sends_one_message_an_hour, digest);

async fn digest(db: &DatabaseConnection) {
    let (hook, url) = Hook::start(0).await;
    let s = setup(db, "Acme", "people.csv").await;
    let _secret = set_webhook(db, "Acme", &url).await;
    let settings = settings(None, Duration::from_millis(20));
    let senders = worker::senders(&settings).unwrap();
    let send = |at: i64| {
        let senders = senders.clone();
        let timing = settings.timing;
        async move {
            send_due(db, &senders, &timing, "w1", move || at, 50)
                .await
                .unwrap()
        }
    };
    let first = load_fails(db, s.config).await;
    let second = load_fails(db, s.config).await;
    let third = load_fails(db, s.config).await;
    let now = now_ms();
    outbox::place_events(db, false, now, 50).await.unwrap();
    send(now).await;
    let bodies = |h: &Hook| h.accepted().into_iter().map(|r| r.body).collect::<Vec<_>>();
    let sent = bodies(&hook);
    assert_eq!(sent.len(), 1, "the first failure at once");
    assert_eq!(sent[0]["event"], "run");
    assert_eq!(sent[0]["runs"][0]["id"], first);

    // A different status is its own message, at once.
    needs_attention(db, &s).await;
    outbox::place_events(db, false, now_ms(), 50).await.unwrap();
    send(now_ms()).await;
    assert_eq!(bodies(&hook).len(), 2);
    assert_eq!(bodies(&hook)[1]["status"], "needs_attention");

    // The hour's other failures wait for its end, in one digest.
    send(now + HOUR / 2).await;
    assert_eq!(bodies(&hook).len(), 2);
    send(now + HOUR + 1000).await;
    let sent = bodies(&hook);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2]["event"], "digest");
    let ids: Vec<i64> = sent[2]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second, third]);
    assert!(sent[2]["text"]
        .as_str()
        .unwrap()
        .starts_with("HR export: 2 more runs Data Load Failed (Acme)"));
    let store = SeaStore::new(db.clone());
    match store.run_alert(second).await.unwrap().0 {
        RunAlert::Message {
            digest, webhook, ..
        } => {
            assert!(digest);
            assert_eq!(webhook.sent, 1);
        }
        other => panic!("{other:?}"),
    }

    // A failure placed after its hour's digest went out starts a new message.
    std::fs::remove_file(&s.file).unwrap();
    let fourth = load_fails(db, s.config).await;
    outbox::place_events(db, false, now_ms(), 50).await.unwrap();
    send(now + HOUR + 2000).await;
    let sent = bodies(&hook);
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[3]["event"], "run");
    assert_eq!(sent[3]["runs"][0]["id"], fourth);
    counts_agree(db).await;

    // The counts are rebuilt from the deliveries when their migration runs on a database
    // that already has some (in one transaction, as the server migrates).
    use sea_orm::TransactionTrait;
    use sea_orm_migration::MigratorTrait;
    let txn = db.begin().await.unwrap();
    server::db::migrations::Migrator::down(&txn, Some(1))
        .await
        .unwrap();
    server::db::migrations::Migrator::up(&txn, None)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    counts_agree(db).await;
}

on_both_backends!(
    a_stale_configuration_alerts_once_and_again_when_it_recovers,
    stale
);

async fn stale(db: &DatabaseConnection) {
    let (hook, url) = Hook::start(0).await;
    let s = setup(db, "Acme", "people.csv").await;
    let _secret = set_webhook(db, "Acme", &url).await;
    let settings = settings(None, Duration::from_millis(20));
    let senders = worker::senders(&settings).unwrap();
    // Scheduled every hour, created three hours ago, never run.
    db.execute(Statement::from_string(
        db.get_database_backend(),
        format!(
            "UPDATE sync_configurations SET schedule = 'every 1h', created_at_ms = {} WHERE id = {}",
            now_ms() - 3 * HOUR,
            s.config
        ),
    ))
    .await
    .unwrap();
    assert_eq!(staleness::check(db, now_ms()).await.unwrap(), 1);
    assert_eq!(staleness::check(db, now_ms()).await.unwrap(), 0, "once");
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    let sent: Vec<_> = hook.accepted().into_iter().map(|r| r.body).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["event"], "stale");
    assert!(sent[0]["text"]
        .as_str()
        .unwrap()
        .contains("never had a good run"));

    // A good run: recovered, once.
    std::fs::write(&s.file, people_csv(1..=3)).unwrap();
    assert_eq!(sync_now(db, s.config).await.status, "success");
    assert_eq!(staleness::check(db, now_ms()).await.unwrap(), 1);
    assert_eq!(staleness::check(db, now_ms()).await.unwrap(), 0);
    worker::step(db, &senders, &settings, "w1", false)
        .await
        .unwrap();
    let sent: Vec<_> = hook.accepted().into_iter().map(|r| r.body).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["event"], "recovered");

    // Two intervals on from that run, stale again; a manual configuration is not watched.
    assert_eq!(
        staleness::check(db, now_ms() + 2 * HOUR + 1000)
            .await
            .unwrap(),
        1
    );
    db.execute(Statement::from_string(
        db.get_database_backend(),
        format!(
            "UPDATE sync_configurations SET schedule = 'manual' WHERE id = {}",
            s.config
        ),
    ))
    .await
    .unwrap();
    assert_eq!(staleness::check(db, now_ms() + 3 * HOUR).await.unwrap(), 1);
    outbox::place_events(db, false, now_ms(), 50).await.unwrap();
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_events WHERE kind = 'recovered'"
        )
        .await,
        1,
        "leaving the schedule is not a recovery"
    );
}

/// Two workers, each with its own connections, on one database: every alert once.
async fn two_workers(first: DatabaseConnection, second: DatabaseConnection) {
    let (hook, url) = Hook::start(0).await;
    let s = setup(&first, "Acme", "people.csv").await;
    let _secret = set_webhook(&first, "Acme", &url).await;
    let mut runs = Vec::new();
    for i in 0..12 {
        let config = add_config(
            &first,
            s.org,
            &format!("Source {i}"),
            &s.file.with_extension("missing"),
            None,
            None,
        )
        .await;
        runs.push(load_fails(&first, config).await);
    }
    let settings = settings(None, Duration::from_millis(20));
    let senders = worker::senders(&settings).unwrap();
    let work = |db: DatabaseConnection, owner: &'static str| {
        let senders = senders.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                worker::step(&db, &senders, &settings, owner, false)
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let (a, b) = (work(first.clone(), "w1"), work(second, "w2"));
    a.await.unwrap();
    b.await.unwrap();
    let mut delivered: Vec<i64> = hook
        .accepted()
        .iter()
        .map(|r| r.body["runs"][0]["id"].as_i64().unwrap())
        .collect();
    delivered.sort();
    runs.sort();
    assert_eq!(delivered, runs, "each run's alert exactly once");
    assert_eq!(hook.requests().len(), 12);
    assert_eq!(
        count(&first, "SELECT COUNT(*) FROM alert_messages").await,
        12
    );
}

#[tokio::test]
async fn two_workers_on_one_postgres_deliver_each_alert_once() {
    let Some(db) = common::TestDb::postgres("two_workers_on_one_postgres").await else {
        return;
    };
    let second = server::db::connect(&db.url).await.unwrap();
    two_workers(db.conn.clone(), second).await;
    db.cleanup().await;
}

#[tokio::test]
async fn two_workers_on_one_sqlite_file_deliver_each_alert_once() {
    let db = common::TestDb::sqlite().await;
    let second = server::db::connect(&db.url).await.unwrap();
    two_workers(db.conn.clone(), second).await;
    db.cleanup().await;
}

on_both_backends!(
    a_webhook_that_never_answers_holds_up_no_email,
    hanging_webhook
);

async fn hanging_webhook(db: &DatabaseConnection) {
    let Some(python) = smtp::python("a_webhook_that_never_answers_holds_up_no_email") else {
        return;
    };
    let mut relay = SmtpServer::stopped();
    relay.start(&python);
    let (hook, url) = Hook::hanging().await;
    let s = setup(db, "Acme", "people.csv").await;
    let _secret = set_webhook(db, "Acme", &url).await;
    let settings = settings(Some(&relay), Duration::from_millis(50));
    let senders = worker::senders(&settings).unwrap();
    // A first alert before any admin: the webhook alone, first in line.
    needs_attention(db, &s).await;
    outbox::place_events(db, true, now_ms(), 50).await.unwrap();
    // A second, with an admin: its email comes after that webhook.
    admin(db, s.org, "owner@acme.example", "organisation_admin", true).await;
    let payroll = add_config(
        db,
        s.org,
        "Payroll",
        &s.file.with_extension("missing"),
        None,
        None,
    )
    .await;
    load_fails(db, payroll).await;
    outbox::place_events(db, true, now_ms(), 50).await.unwrap();
    // One batch: the email arrives while the webhook ahead of it hangs.
    let step = {
        let (db, senders, settings) = (db.clone(), senders.clone(), settings.clone());
        tokio::spawn(async move { worker::step(&db, &senders, &settings, "w1", false).await })
    };
    let started = std::time::Instant::now();
    while relay.messages().is_empty() && started.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(relay.messages().len(), 1, "the email went out within 8 s");
    assert_eq!(hook.requests().len(), 2, "both webhooks were asked too");
    assert!(!step.is_finished(), "…and have not answered yet");
    // The webhook's try gives up after its timeout, to be retried.
    step.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE channel = 'webhook' AND state = 'pending' AND last_error LIKE '%did not answer in time%'").await,
        2
    );
    counts_agree(db).await;
}

on_both_backends!(
    a_webhook_that_never_answers_holds_up_no_later_alert_and_is_given_back_at_shutdown,
    hanging_webhook_in_the_worker
);

/// The worker sends each delivery as its own task: one organisation's webhook hanging for
/// its whole timeout does not hold up another organisation's email due after it. At
/// shutdown the hanging send is stopped after the grace and its lease given back.
async fn hanging_webhook_in_the_worker(db: &DatabaseConnection) {
    let Some(python) = smtp::python("hanging_webhook_in_the_worker") else {
        return;
    };
    let mut relay = SmtpServer::stopped();
    relay.start(&python);
    let (hook, url) = Hook::hanging().await;
    let acme = setup(db, "Acme", "people.csv").await;
    let globex = setup(db, "Globex", "people.csv").await;
    let _secret = set_webhook(db, "Acme", &url).await;
    admin(
        db,
        globex.org,
        "owner@globex.example",
        "organisation_admin",
        true,
    )
    .await;
    let mut settings = settings(Some(&relay), Duration::from_millis(50));
    settings.timing.poll = Duration::from_millis(100);
    settings.timing.shutdown_grace = Duration::from_millis(300);
    let senders = worker::senders(&settings).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker::run(
        db.clone(),
        settings,
        senders,
        "w1".into(),
        stopped,
    ));
    needs_attention(db, &acme).await;
    within_5_s("Acme's webhook asked", || hook.requests().len() == 1).await;
    // Globex's alert comes while Acme's webhook hangs (it answers only after 10 s).
    load_fails(db, globex.config).await;
    within_5_s("Globex's email", || relay.messages().len() == 1).await;
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE channel = 'webhook' AND state = 'pending' AND lease_owner = 'w1' AND last_error IS NULL").await,
        1,
        "Acme's webhook is still being sent"
    );
    // The Message-ID names the delivery with its creation time, never reused by a
    // database started anew.
    let (id, created): (i64, i64) = {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, created_at_ms FROM alert_deliveries WHERE channel = 'email'",
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
        )
    };
    assert_eq!(
        relay.messages()[0].message_id,
        format!("<alert-{id}-{created}@up.example>")
    );
    let stopping = std::time::Instant::now();
    stop.send(true).unwrap();
    running.await.unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "stopped after the grace"
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE channel = 'webhook' AND state = 'pending' AND lease_owner IS NULL AND lease_until_ms IS NULL").await,
        1,
        "the stopped send's lease is given back, for the next worker to try at once"
    );
    counts_agree(db).await;
}

on_both_backends!(
    a_stalled_relay_and_a_hanging_receiver_hold_only_their_own_slots,
    lanes
);

/// Emails and webhooks have slots of their own, and one organisation's receiver at most
/// two: a relay that never answers and a receiver that hangs hold up neither the other
/// channel nor another organisation.
async fn lanes(db: &DatabaseConnection) {
    // A relay that takes connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let (hanging, hanging_url) = Hook::hanging().await;
    let (answering, answering_url) = Hook::start(0).await;
    let acme = setup(db, "Acme", "people.csv").await;
    let globex = setup(db, "Globex", "people.csv").await;
    let _a = set_webhook(db, "Acme", &hanging_url).await;
    let _g = set_webhook(db, "Globex", &answering_url).await;
    for i in 0..5 {
        admin(
            db,
            acme.org,
            &format!("admin{i}@acme.example"),
            "organisation_admin",
            true,
        )
        .await;
    }
    // Four failing configurations: four webhooks to Acme's receiver and twenty emails,
    // more than the email slots.
    load_fails(db, acme.config).await;
    for i in 0..3 {
        let c = add_config(db, acme.org, &format!("Source {i}"), &acme.file, None, None).await;
        load_fails(db, c).await;
    }
    let mut settings = AlertSettings {
        smtp: Some(
            SmtpSettings::parse(
                &format!("smtp://127.0.0.1:{relay_port}"),
                None,
                Some("User Provisioning <alerts@up.example>"),
            )
            .unwrap(),
        ),
        public_url: "https://up.example".into(),
        timing: Timing::default(),
    };
    settings.timing.poll = Duration::from_millis(100);
    settings.timing.shutdown_grace = Duration::from_millis(200);
    let senders = worker::senders(&settings).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker::run(
        db.clone(),
        settings,
        senders,
        "w1".into(),
        stopped,
    ));
    within_5_s("Acme's receiver asked twice", || {
        hanging.requests().len() == 2
    })
    .await;
    let leased = |channel: &'static str| {
        let sql = format!(
            "SELECT COUNT(*) FROM alert_deliveries WHERE lease_owner = 'w1' AND channel = '{channel}'"
        );
        async move { count(db, &sql).await }
    };
    let started = std::time::Instant::now();
    while leased("email").await < worker::EMAILS_IN_FLIGHT as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the email slots fill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Globex's alert goes out while every email slot and Acme's share are held.
    load_fails(db, globex.config).await;
    within_5_s("Globex's webhook", || answering.accepted().len() == 1).await;
    // Its lease ends once the worker has recorded the answer, a moment after it arrived.
    let started = std::time::Instant::now();
    while leased("webhook").await > 2 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "Globex's delivery is recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(leased("email").await, worker::EMAILS_IN_FLIGHT as i64);
    assert_eq!(hanging.requests().len(), 2, "two at a time to one receiver");
    assert_eq!(leased("webhook").await, 2);
    stop.send(true).unwrap();
    running.await.unwrap();
    // Every stopped send is a try on record, and due again at once.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_attempts WHERE error LIKE '%stopped%'"
        )
        .await,
        worker::EMAILS_IN_FLIGHT as i64 + 2
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM alert_deliveries WHERE lease_owner IS NOT NULL"
        )
        .await,
        0
    );
    counts_agree(db).await;
}

async fn within_5_s(what: &str, done: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Many deliveries change state at once, each statement touching email and webhook counts
/// (as workers recording their tries do): the counts' triggers take their locks in one
/// order, so no statement deadlocks with another, and the counts stay exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_recorded_at_once_on_postgres_keep_their_counts_without_deadlock() {
    let Some(db) = common::TestDb::postgres("delivery_counts_at_once").await else {
        return;
    };
    let conn = db.conn.clone();
    conn.execute_unprepared(
        "INSERT INTO alert_deliveries (message_id, organisation_id, channel, recipient, state, \
         attempts, next_attempt_at_ms, created_at_ms) \
         SELECT 1, 1, CASE WHEN i % 2 = 0 THEN 'email' ELSE 'webhook' END, 'r' || i, 'pending', \
         0, 0, 0 FROM generate_series(1, 400) AS s(i)",
    )
    .await
    .unwrap();
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..40i64 {
        let conn = conn.clone();
        writers.spawn(async move {
            for k in 0..5i64 {
                // An email and a webhook delivery each time, in either order.
                let (a, b) = (w * 10 + k * 2 + 1, w * 10 + k * 2 + 2);
                let (state_a, state_b) = if (w + k) % 2 == 0 {
                    ("sent", "failed")
                } else {
                    ("dropped", "sent")
                };
                conn.execute_unprepared(&format!(
                    "UPDATE alert_deliveries SET state = CASE id WHEN {a} THEN '{state_a}' \
                     ELSE '{state_b}' END WHERE id IN ({a}, {b})"
                ))
                .await?;
            }
            Ok::<_, sea_orm::DbErr>(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap().expect("no statement deadlocked");
    }
    counts_agree(&conn).await;
    db.cleanup().await;
}
