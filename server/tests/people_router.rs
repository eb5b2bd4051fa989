//! Person history through the real router: who may search, what another organisation
//! sees, bad searches, the page, downloads and the audit of every search.

mod common;

use axum::{body::Body, Router};
use common::http::*;
use http::{header, Request, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use server::demo;

fn q(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An email of someone a completed demo run of Acme logged, read through the API.
async fn logged_person(app: &Router, cookie: &str) -> (String, String) {
    let list = get(
        app,
        "/api/list_sync_runs?query=status%3Dsuccess",
        Some(cookie),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let run = json["runs"][0]["id"].as_i64().expect("a successful run");
    let logs = get(
        app,
        &format!("/api/get_run_logs?run_id={run}&limit=5"),
        Some(cookie),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&logs.body).unwrap();
    let entry = &json["entries"][0];
    (
        entry["email"].as_str().unwrap().to_string(),
        entry["employee_id"].as_str().unwrap().to_string(),
    )
}

async fn searches(db: &DatabaseConnection) -> i64 {
    db.query_one(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) FROM person_searches",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

#[tokio::test]
async fn person_history_follows_the_page_rules() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let (email, employee_id) = logged_person(&app, &acme).await;

    // Every role of the matrix: Organisation and People Admins with access find them;
    // everyone else is refused with no data.
    let cases = [
        ("org.admin@acme.example", true),
        ("people.admin@acme.example", true),
        ("support.admin@acme.example", false),
        ("group.admin@acme.example", false),
        ("content.creator@acme.example", false),
        ("content.moderator@acme.example", false),
        ("basic.user@acme.example", false),
        ("people.admin.unenrolled@acme.example", false),
        ("org.admin@initech.example", false),
    ];
    for (account, allowed) in cases {
        let cookie = sign_in(&app, account, demo::DEMO_PASSWORD).await.unwrap();
        let before = searches(db).await;
        let api = get(
            &app,
            &format!("/api/find_person?q={}", q(&email)),
            Some(&cookie),
            "application/json",
        )
        .await;
        let page = get(
            &app,
            &format!("/admin/user-provisioning/people?q={}", q(&email)),
            Some(&cookie),
            "text/html",
        )
        .await;
        let pulse = get(
            &app,
            &format!("/api/person_pulse?q={}", q(&email)),
            Some(&cookie),
            "application/json",
        )
        .await;
        if allowed {
            assert_eq!(api.status, StatusCode::OK, "{account}: {}", api.body);
            let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
            let one = &json["One"];
            assert_eq!(one["person"]["email"], email.as_str(), "{account}");
            let events = one["events"].as_array().unwrap();
            assert!(!events.is_empty(), "{account}: the timeline has entries");
            assert_eq!(page.status, StatusCode::OK, "{account}");
            for header in [
                "Run started",
                "Source",
                "Configuration",
                "Action",
                "Changes",
                "Message",
            ] {
                assert!(
                    page.body
                        .contains(&format!("<th scope=\"col\">{header}</th>")),
                    "{account}: column {header}"
                );
            }
            assert!(page.body.contains(&email), "{account}");
            assert_eq!(pulse.status, StatusCode::OK, "{account}");
            assert_eq!(
                searches(db).await,
                before + 1,
                "{account}: the search is kept, once for its page and its poll within minutes"
            );
        } else {
            for reply in [&api, &pulse] {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{account}: {}",
                    reply.body
                );
                assert!(!reply.body.contains(&email), "{account}");
            }
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{account}: {}",
                page.body
            );
            // The page may repeat the search typed in its address, and nothing else.
            assert!(
                !page.body.contains(&employee_id) && !page.body.contains("Run started"),
                "{account}"
            );
            assert!(page.body.contains("contact your Blink account team"));
            assert_eq!(searches(db).await, before, "{account}: nothing searched");
        }
    }

    // Another organisation's admin: Acme's person is no one there, by email or ID.
    let globex = sign_in(&app, "org.admin@globex.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for text in [&email, &employee_id] {
        let reply = get(
            &app,
            &format!("/api/find_person?q={}", q(text)),
            Some(&globex),
            "application/json",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.body == "\"Nobody\"" || !reply.body.contains(&email),
            "Globex sees none of Acme's: {}",
            reply.body
        );
    }
    let unknown = get(
        &app,
        &format!("/api/find_person?q={}", q("nobody.here@acme.example")),
        Some(&acme),
        "application/json",
    )
    .await;
    assert_eq!(unknown.body, "\"Nobody\"");

    // Signed out: 401, or the sign-in page that leads back here.
    let reply = get(
        &app,
        &format!("/api/find_person?q={}", q(&email)),
        None,
        "application/json",
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let page = get(
        &app,
        "/admin/user-provisioning/people?q=x",
        None,
        "text/html",
    )
    .await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(
        page.headers[header::LOCATION],
        "/login?next=%2Fadmin%2Fuser-provisioning%2Fpeople%3Fq%3Dx"
    );

    // Bad searches: a clear 400, nothing recorded.
    let before = searches(db).await;
    for path in [
        "/api/find_person?q=".to_string(),
        "/api/find_person?q=%20%20".to_string(),
        format!("/api/find_person?q={}", "a".repeat(255)),
        format!("/api/find_person?q={}&after=abc", q(&email)),
        format!("/api/find_person?q={}&after=1.2.3", q(&email)),
        "/api/person_pulse?q=".to_string(),
        "/api/find_person?q=a%00b".to_string(),
        "/api/find_person?q=%09".to_string(),
    ] {
        let reply = get(&app, &path, Some(&acme), "application/json").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert!(
            reply.body.contains("Employee ID")
                || reply.body.contains("page position")
                || reply.body.contains("control characters")
                || reply.body.contains("254"),
            "{path}: {}",
            reply.body
        );
    }
    assert_eq!(searches(db).await, before);
    // The page with a bad search says so, with the search field to try again.
    let page = get(
        &app,
        &format!("/admin/user-provisioning/people?q={}", "a".repeat(300)),
        Some(&acme),
        "text/html",
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("at most 254 characters"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Find a person"));
    // A search given twice: not guessed at, nobody searched for.
    let page = get(
        &app,
        &format!("/admin/user-provisioning/people?q={}&q=b", q(&email)),
        Some(&acme),
        "text/html",
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("more than once"), "{}", page.body);
    assert_eq!(searches(db).await, before);

    // A download: recorded with its format, named after the person and the time.
    let req = Request::post("/api/start_person_download")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &acme)
        .body(Body::from(format!("q={}&format=Xlsx", q(&email))))
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let name = json["file_name"].as_str().unwrap();
    assert!(
        name.starts_with(&format!("Person History - {email} - ")) && name.ends_with(".xlsx"),
        "{name}"
    );
    let downloads = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM person_searches WHERE format = 'xlsx'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(downloads, 1);

    // A run's details link each entry to its person's history.
    let list = get(
        &app,
        "/api/list_sync_runs?query=status%3Dsuccess",
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let run = json["runs"][0]["id"].as_i64().unwrap();
    let details = get(
        &app,
        &format!("/admin/user-provisioning/runs/{run}"),
        Some(&acme),
        "text/html",
    )
    .await;
    assert!(details.body.contains("History of this person"));
    assert!(details.body.contains(&format!(
        "/admin/user-provisioning/people?q={}",
        q(&employee_id)
    )));
    // The Syncs page has the search.
    let syncs = get(&app, "/admin/user-provisioning", Some(&acme), "text/html").await;
    assert!(syncs.body.contains("Find a person"));
    assert!(syncs
        .body
        .contains("action=\"/admin/user-provisioning/people\""));
}

/// The text of the person card's "Last run that logged them", as the page writes it.
fn last_run(page: &str) -> &str {
    let start = page
        .find("Last run that logged them")
        .expect("the person card");
    let rest = &page[start..];
    &rest[..rest.find("</dd>").expect("its value")]
}

/// A later page of a timeline (`after=`, as "Show more entries" opens it without script)
/// is the same person's page: the card names their last run, not the page's first
/// entry's, and what runs for them now still shows. Past their oldest entry it says so,
/// not that no run logged them.
#[tokio::test]
async fn later_pages_of_a_timeline_keep_the_person() {
    let (app, _held) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let (email, _) = logged_person(&app, &acme).await;
    let api = get(
        &app,
        &format!("/api/find_person?q={}", q(&email)),
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let one = &json["One"];
    let newest = one["events"][0]["id"].as_i64().unwrap();
    assert_eq!(one["latest"]["id"].as_i64(), Some(newest));
    let next = one["next"]
        .as_object()
        .map(|c| format!("{}.{}", c["sort_at_ms"], c["id"]))
        .expect("a demo person's timeline has more than a page");
    let page_at = |after: &str| {
        format!(
            "/admin/user-provisioning/people?q={}&after={}",
            q(&email),
            q(after)
        )
    };
    let first = get(
        &app,
        &format!("/admin/user-provisioning/people?q={}", q(&email)),
        Some(&acme),
        "text/html",
    )
    .await;
    let later = get(&app, &page_at(&next), Some(&acme), "text/html").await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);
    assert!(later.body.contains("further down the timeline"));
    assert_eq!(last_run(&later.body), last_run(&first.body));
    assert!(last_run(&first.body).contains(&format!(
        "/admin/user-provisioning/runs/{}",
        one["events"][0]["run_id"]
    )));
    assert_eq!(
        later.body.contains("Running now"),
        first.body.contains("Running now")
    );
    // The API's later page names the same newest entry.
    let api = get(
        &app,
        &format!("/api/find_person?q={}&after={}", q(&email), q(&next)),
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["One"]["latest"]["id"].as_i64(), Some(newest));
    assert_ne!(json["One"]["events"][0]["id"].as_i64(), Some(newest));

    // Past the oldest entry: the end of the timeline, and the way back to its start.
    let past = get(&app, &page_at("1.1"), Some(&acme), "text/html").await;
    assert_eq!(past.status, StatusCode::OK, "{}", past.body);
    assert!(
        past.body
            .contains("No more entries further down the timeline."),
        "{}",
        past.body
    );
    assert!(!past.body.contains("No sync run has logged this person yet"));
    assert_eq!(last_run(&past.body), last_run(&first.body));
}
