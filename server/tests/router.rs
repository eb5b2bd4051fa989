//! HTTP-level tests through the real router: sign-in, the access rule for every demo
//! account, organisation scoping, and the pages' status codes.

mod common;

use axum::{body::Body, Router};
use common::http::*;
use http::{header, Request, StatusCode};
use server::demo;

const ACME_CONFIGS: [&str; 3] = [
    "Google Workspace – acme.example",
    "Workday – Global HR",
    "Contractors (SFTP)",
];
const OTHER_CONFIGS: [&str; 2] = ["Globex HR export (SFTP)", "Initech Google Workspace"];

#[tokio::test]
async fn wrong_password_goes_back_to_sign_in_without_a_session() {
    let (app, _db) = app().await;
    let req = Request::post("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from("email=org.admin%40acme.example&password=nope"))
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    // The form comes back with the email typed (not the password), kept in a cookie for
    // the sign-in page alone: never in the address, which reaches history and logs.
    assert_eq!(reply.headers[header::LOCATION], "/login?error=invalid");
    let cookies: Vec<&str> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .collect();
    assert_eq!(
        cookies,
        ["up_retry_email=org.admin%40acme.example; SameSite=Strict; Path=/login; Max-Age=600"]
    );
    let form = get(
        &app,
        "/login?error=invalid",
        Some("up_retry_email=org.admin%40acme.example"),
        "text/html",
    )
    .await;
    assert!(
        form.body.contains(r#"value="org.admin@acme.example""#)
            && form.body.contains("The email or password is not correct."),
        "{}",
        form.body
    );
    // An email with the characters a form or a cookie reads specially comes back whole.
    let odd = "a+b&c=d; \"e\"@x.com";
    let form_body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", odd)
        .append_pair("password", "nope")
        .finish();
    let req = Request::post("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from(form_body))
        .unwrap();
    let reply = send(&app, req).await;
    let kept = reply.headers[header::SET_COOKIE].to_str().unwrap();
    let kept = kept.split(';').next().unwrap();
    let form = get(&app, "/login?error=invalid", Some(kept), "text/html").await;
    assert!(
        form.body
            .contains(r#"value="a+b&amp;c=d; &quot;e&quot;@x.com""#),
        "{kept}: {}",
        form.body
    );
    // Without an error to explain, the sign-in page starts empty.
    let fresh = get(
        &app,
        "/login",
        Some("up_retry_email=org.admin%40acme.example"),
        "text/html",
    )
    .await;
    assert!(!fresh.body.contains("org.admin@acme.example"));

    // A password longer than any account's: refused as a wrong one, not as a missing one.
    let long = "p".repeat(1_025);
    let reply = sign_in_with(&app, "org.admin@acme.example", &long, &[]).await;
    assert_eq!(reply.headers[header::LOCATION], "/login?error=invalid");

    // A failed attempt from a signed-in browser ends its session, and the browser is told
    // to forget the cookie.
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let pair = cookie.split(';').next().unwrap().to_string();
    let reply = sign_in_with(
        &app,
        "org.admin@acme.example",
        "nope",
        &[("cookie", pair.as_str())],
    )
    .await;
    let cleared: Vec<_> = reply.headers.get_all(header::SET_COOKIE).iter().collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("up_session=;")),
        "{cleared:?}"
    );
    let page = get(&app, "/api/get_viewer", Some(&pair), "application/json").await;
    assert_eq!(page.body, "null", "the session ended");
}

#[tokio::test]
async fn permission_matrix_for_every_demo_account() {
    let (app, _db) = app().await;
    // (account, may use User Provisioning, configurations it must see)
    let cases: [(&str, bool, &[&str]); 10] = [
        ("org.admin@acme.example", true, &ACME_CONFIGS),
        ("people.admin@acme.example", true, &ACME_CONFIGS),
        ("support.admin@acme.example", false, &[]),
        ("group.admin@acme.example", false, &[]),
        ("content.creator@acme.example", false, &[]),
        ("content.moderator@acme.example", false, &[]),
        ("basic.user@acme.example", false, &[]),
        ("people.admin.unenrolled@acme.example", false, &[]),
        (
            "org.admin@globex.example",
            true,
            &["Globex HR export (SFTP)"],
        ),
        ("org.admin@initech.example", false, &[]),
    ];
    for (email, allowed, own) in cases {
        let cookie = sign_in(&app, email, demo::DEMO_PASSWORD)
            .await
            .unwrap_or_else(|| panic!("{email} signs in"));
        let api = get(
            &app,
            "/api/list_sync_runs?query=",
            Some(&cookie),
            "application/json",
        )
        .await;
        let configs = get(
            &app,
            "/api/list_configurations",
            Some(&cookie),
            "application/json",
        )
        .await;
        let page = get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await;
        let all_configs: Vec<&str> = ACME_CONFIGS
            .iter()
            .chain(OTHER_CONFIGS.iter())
            .copied()
            .collect();
        if allowed {
            assert_eq!(api.status, StatusCode::OK, "{email}: {}", api.body);
            let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
            let runs = json["runs"].as_array().unwrap();
            assert!(!runs.is_empty(), "{email} sees runs");
            for run in runs {
                let name = run["configuration"].as_str().unwrap();
                assert!(own.contains(&name), "{email} must not see {name}");
            }
            assert_eq!(configs.status, StatusCode::OK);
            assert_eq!(page.status, StatusCode::OK);
            assert!(
                page.body.contains("href=\"/admin/user-provisioning\""),
                "{email}: sidebar entry shown"
            );
            for name in &all_configs {
                let html_name = name.replace('&', "&amp;");
                assert_eq!(
                    page.body.contains(&html_name),
                    own.contains(name),
                    "{email}: page and {name}"
                );
                assert_eq!(
                    configs.body.contains(*name),
                    own.contains(name),
                    "{email}: configurations and {name}"
                );
            }
        } else {
            for reply in [&api, &configs] {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{email}: {}",
                    reply.body
                );
                assert!(
                    !reply.body.contains("runs") && !reply.body.contains("configuration"),
                    "{email}: {}",
                    reply.body
                );
            }
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{email}: the page refuses too"
            );
            assert!(
                page.body.contains("contact your Blink account team"),
                "{email}: explains how to get access"
            );
            assert!(
                !page.body.contains("href=\"/admin/user-provisioning\""),
                "{email}: no sidebar entry"
            );
            for name in &all_configs {
                assert!(!page.body.contains(*name), "{email} must not see {name}");
            }
        }
    }
}

#[tokio::test]
async fn signed_out_requests_get_nothing() {
    let (app, _db) = app().await;
    for path in ["/api/list_sync_runs?query=", "/api/list_configurations"] {
        let reply = get(&app, path, None, "application/json").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        let forged = get(&app, path, Some("up_session=forged"), "application/json").await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{path} with a forged cookie"
        );
    }
    // The sign-in page leads back to the page asked for.
    let page = get(
        &app,
        "/admin/user-provisioning?status=success",
        None,
        "text/html",
    )
    .await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(
        page.headers[header::LOCATION],
        "/login?next=%2Fadmin%2Fuser-provisioning%3Fstatus%3Dsuccess"
    );
    let viewer = get(&app, "/api/get_viewer", None, "application/json").await;
    assert_eq!(
        (viewer.status, viewer.body.as_str()),
        (StatusCode::OK, "null")
    );
}

#[tokio::test]
async fn bad_filters_get_a_clear_400_not_a_500() {
    let (app, _db) = app().await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for (query, message) in [
        ("status%3Dbogus", "is not a sync status"),
        (
            "range%3Dcustom%26from%3D2024-02-01%26to%3D2024-01-01",
            "is after the To date",
        ),
        ("from%3D15%2F01%2F2024", "is not a valid From date"),
        (
            "source%3Dexcel",
            "is not a source. Choose Google Workspace, Workday or SFTP Sync.",
        ),
        (
            "source%3Dsftp%26source%3Dworkday",
            "is given more than once",
        ),
        (
            "config%3DGlobex%2BHR%2Bexport%2B%2528SFTP%2529",
            "There is no configuration named",
        ),
        (
            "source%3Dworkday%26config%3DContractors%2B%2528SFTP%2529",
            "The configuration \\\"Contractors (SFTP)\\\" imports from SFTP Sync, not Workday.",
        ),
        // A right-to-left override is not echoed: it would reverse the message's own words.
        (
            "config%3D%25E2%2580%25AEevil",
            "There is no configuration named \\\"\u{fffd}evil\\\".",
        ),
    ] {
        // The list and the overview chart read the same filter.
        for endpoint in ["list_sync_runs", "sync_runs_chart"] {
            let reply = get(
                &app,
                &format!("/api/{endpoint}?query={query}"),
                Some(&cookie),
                "application/json",
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{endpoint} {query}: {}",
                reply.body
            );
            assert!(
                reply.body.contains(message),
                "{endpoint} {query}: {}",
                reply.body
            );
        }
    }
    // A poll reads no runs when nothing changed, and answers a configuration's problem all
    // the same, whatever count of changes it sends.
    for query in [
        "config%3DNo%2Bsuch%2Bthing",
        "source%3Dworkday%26config%3DContractors%2B%2528SFTP%2529",
    ] {
        for since in ["0", "1", "999999999"] {
            let reply = get(
                &app,
                &format!("/api/poll_sync_runs?query={query}&since={since}"),
                Some(&cookie),
                "application/json",
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{query} {since}: {}",
                reply.body
            );
            assert!(reply.body.contains("BadFilter"), "{}", reply.body);
        }
    }
    // Several problems at once: each one, the configuration's included, and the parts kept.
    let query = "status=bogus,success&sort=oldest&config=No such thing&from=2024-13-01";
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let reply = get(
        &app,
        &format!("/api/list_sync_runs?query={encoded}"),
        Some(&cookie),
        "application/json",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        json["BadFilter"]["problems"],
        serde_json::json!([
            "\"bogus\" is not a sync status.",
            "\"2024-13-01\" is not a valid From date; write it as 15 Jan 2024.",
            "There is no configuration named \"No such thing\". Choose one from the Configuration list."
        ])
    );
    assert_eq!(json["BadFilter"]["kept"], "sort=oldest&status=success");
    // A configuration beside another source is one of the problems; the source is kept.
    let query = "status=bogus&source=workday&config=Contractors (SFTP)";
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let reply = get(
        &app,
        &format!("/api/sync_runs_chart?query={encoded}"),
        Some(&cookie),
        "application/json",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        json["BadFilter"]["problems"],
        serde_json::json!([
            "\"bogus\" is not a sync status.",
            "The configuration \"Contractors (SFTP)\" imports from SFTP Sync, not Workday. Choose one of the Workday configurations, or All sources."
        ])
    );
    assert_eq!(json["BadFilter"]["kept"], "source=workday");
    // The page itself answers a bad link with the same status, whatever is wrong with it.
    for bad in ["status=bogus", "sort=sideways", "config=No+such+thing"] {
        let page = get(
            &app,
            &format!("/admin/user-provisioning?{bad}"),
            Some(&cookie),
            "text/html",
        )
        .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.body.contains("cannot be used"), "{bad}");
    }
    let reply = get(
        &app,
        "/api/list_sync_runs?query=&cursor=nonsense",
        Some(&cookie),
        "application/json",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let (app, _db) = app().await;
    let cookie = sign_in(&app, "people.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        get(
            &app,
            "/api/list_configurations",
            Some(&cookie),
            "application/json"
        )
        .await
        .status,
        StatusCode::OK
    );
    let req = Request::post("/api/sign_out")
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.headers[header::LOCATION], "/login");
    // The old cookie, replayed, no longer works.
    let after = get(
        &app,
        "/api/list_configurations",
        Some(&cookie),
        "application/json",
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_and_unknown_pages() {
    let (app, _db) = app().await;
    let ready = get(&app, "/readyz", None, "text/plain").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready")
    );
    let health = get(&app, "/healthz", None, "text/plain").await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok")
    );
    let login = get(&app, "/login", None, "text/html").await;
    assert_eq!(login.status, StatusCode::OK);
    for label in ["for=\"email\"", "for=\"password\"", "Sign in</button>"] {
        assert!(login.body.contains(label), "login page has {label}");
    }
}

/// Many admins opening the Syncs page at once, more than the database has connections
/// for, and every connection taken by other work as they arrive: the requests wait in line
/// for a connection, and every page is rendered whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn syncs_page_renders_whole_for_many_viewers_at_once() {
    use sea_orm::TransactionTrait;
    let (app, held, cookie) = signed_in_with_pool(2, std::time::Duration::from_secs(120)).await;
    let taken = [
        held.db.conn.begin().await.unwrap(),
        held.db.conn.begin().await.unwrap(),
    ];
    let mut pages = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (app, cookie) = (app.clone(), cookie.clone());
        pages.spawn(async move {
            get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await
        });
    }
    // The connections stay taken for half a second, time for the requests to arrive (one
    // that arrives later waits all the same): none can be answered meanwhile, not even
    // with an error. Then the connections come free.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        pages.try_join_next().is_none(),
        "no page answered without a connection"
    );
    drop(taken);
    let mut nonces = std::collections::HashSet::new();
    while let Some(page) = pages.join_next().await {
        let page = page.unwrap();
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Showing "), "the run list is rendered");
        // Rendered at once, each page's scripts carry its own response's nonce.
        assert!(nonces.insert(page.script_nonce()), "a nonce used twice");
    }
}

/// A request that waits longer than the server allows for a database connection is
/// answered "busy" plainly (503 with Retry-After; on the page, a notice that the runs will
/// appear, which the page retries by itself), never a page without its list or a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_cannot_get_a_connection_in_time_is_told_the_server_is_busy() {
    use sea_orm::TransactionTrait;
    let (app, held, cookie) = signed_in_with_pool(1, std::time::Duration::from_millis(300)).await;
    let taken = held.db.conn.begin().await.unwrap();
    let page = get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert_eq!(page.headers[header::RETRY_AFTER], "2");
    assert!(
        page.body.contains("The server is busy right now"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Showing "));
    let api = get(
        &app,
        "/api/list_sync_runs?query=",
        Some(&cookie),
        "application/json",
    )
    .await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert_eq!(api.headers[header::RETRY_AFTER], "2");
    assert!(api.body.contains("Busy"), "{}", api.body);
    drop(taken);
    let page = get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Showing "), "the run list is rendered");
}

/// The router with a pool of `connections` that requests wait `wait` for, and Acme's
/// Organisation Admin signed in.
async fn signed_in_with_pool(
    connections: u32,
    wait: std::time::Duration,
) -> (Router, common::http::Held, String) {
    let pool = server::db::Pool {
        connections: Some(connections),
        wait,
    };
    let (app, held) = app_with_pool(pool).await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .expect("signs in");
    (app, held, cookie)
}

/// The id of the newest run of the signed-in organisation with this status slug.
async fn run_with_status(app: &Router, cookie: &str, status: &str) -> i64 {
    let reply = get(
        app,
        &format!("/api/list_sync_runs?query=status%3D{status}"),
        Some(cookie),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    json["runs"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a {status} run in the demo: {}", reply.body))
}

#[tokio::test]
async fn log_files_for_api_clients_follow_the_page_rules() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use server::db::entities::log_download;
    let (app, held) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let success = run_with_status(&app, &acme, "success").await;
    let failed = run_with_status(&app, &acme, "data_load_failed").await;
    let cancelled = run_with_status(&app, &acme, "cancelled").await;

    let csv = get(
        &app,
        &format!("/api/runs/{success}/logs.csv"),
        Some(&acme),
        "*/*",
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"Sync Logs - ")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(csv
        .body
        .starts_with("\u{feff}Run ID,Entry,Run started (UTC),Configuration,"));
    assert!(csv.body.lines().count() > 1, "one line per record");
    let xlsx = get(
        &app,
        &format!("/api/runs/{failed}/logs.xlsx"),
        Some(&acme),
        "*/*",
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    assert!(xlsx.body.starts_with("PK"), "a zip container");

    // A run without logs, a file that does not exist, an id that is not one.
    let none = get(
        &app,
        &format!("/api/runs/{cancelled}/logs.csv"),
        Some(&acme),
        "*/*",
    )
    .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.contains("has no logs"), "{}", none.body);
    for path in [
        format!("/api/runs/{success}/logs.pdf"),
        "/api/runs/abc/logs.csv".to_string(),
        "/api/runs/999999999/logs.csv".to_string(),
    ] {
        let reply = get(&app, &path, Some(&acme), "*/*").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }

    // Other organisations, other roles, nobody signed in: nothing.
    let globex = sign_in(&app, "org.admin@globex.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let support = sign_in(&app, "support.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let path = format!("/api/runs/{success}/logs.csv");
    for (who, cookie, status) in [
        ("globex", Some(globex.as_str()), StatusCode::NOT_FOUND),
        (
            "support admin",
            Some(support.as_str()),
            StatusCode::FORBIDDEN,
        ),
        ("signed out", None, StatusCode::UNAUTHORIZED),
    ] {
        let reply = get(&app, &path, cookie, "*/*").await;
        assert_eq!(reply.status, status, "{who}");
        assert!(!reply.body.contains("@acme.example"), "{who} sees no data");
    }
    // The details and the log pages answer alike.
    for api in [
        format!("/api/get_run?run_id={success}"),
        format!("/api/get_run_logs?run_id={success}"),
    ] {
        let own = get(&app, &api, Some(&acme), "application/json").await;
        assert_eq!(own.status, StatusCode::OK, "{api}: {}", own.body);
        let other = get(&app, &api, Some(&globex), "application/json").await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{api}");
        assert!(!other.body.contains("acme"), "{api}");
    }
    let page = get(
        &app,
        &format!("/api/get_run_logs?run_id={success}&limit=2&search=%40ACME"),
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(
        json["entries"].as_array().unwrap().len(),
        2,
        "{}",
        page.body
    );
    assert!(json["next_after"].is_i64());
    // By outcome: a known one filters (a Needs Attention run has warnings among many OK
    // entries), anything else is refused with the choices.
    let attention = run_with_status(&app, &acme, "needs_attention").await;
    let mut totals = Vec::new();
    for query in ["", "&outcome=warning"] {
        let path = format!("/api/get_run_logs?run_id={attention}{query}");
        let reply = get(&app, &path, Some(&acme), "application/json").await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let entries = json["entries"].as_array().unwrap();
        if !query.is_empty() {
            assert!(!entries.is_empty(), "{}", reply.body);
            assert!(
                entries.iter().all(|e| e["outcome"] == "warning"),
                "{}",
                reply.body
            );
        }
        totals.push(json["total"].as_u64().unwrap());
    }
    assert!(0 < totals[1] && totals[1] < totals[0], "{totals:?}");
    let bad = get(
        &app,
        &format!("/api/get_run_logs?run_id={attention}&outcome=maybe"),
        Some(&acme),
        "application/json",
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("warnings or errors"), "{}", bad.body);
    // A blocked run's planned deactivations are all of them not applied: asked for one
    // outcome, it says there is none to choose; asked for all, it lists them.
    let blocked = run_with_status(&app, &acme, "above_deactivation_threshold").await;
    for outcome in ["ok", "warning", "problems"] {
        let path = format!("/api/get_run_logs?run_id={blocked}&outcome={outcome}");
        let reply = get(&app, &path, Some(&acme), "application/json").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert!(
            reply
                .body
                .contains("none of its planned deactivations was applied"),
            "{}",
            reply.body
        );
    }
    for query in ["", "&outcome=all"] {
        let path = format!("/api/get_run_logs?run_id={blocked}{query}");
        let reply = get(&app, &path, Some(&acme), "application/json").await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let entries = json["entries"].as_array().unwrap();
        assert!(!entries.is_empty(), "{}", reply.body);
        // Not applied, and sent as such: no outcome they never had.
        assert!(
            entries
                .iter()
                .all(|e| e["outcome"] == "not_applied" && e["applied"] == false),
            "{}",
            reply.body
        );
    }
    // A search finds what the page shows of them.
    let path = format!("/api/get_run_logs?run_id={blocked}&search=Not+applied");
    let reply = get(&app, &path, Some(&acme), "application/json").await;
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert!(json["total"].as_u64().unwrap() > 0, "{}", reply.body);

    // Each file served was recorded for audit; refusals were not.
    let audit = log_download::Entity::find()
        .count(&held.db.conn)
        .await
        .unwrap();
    assert_eq!(audit, 2);
}

/// The page names the viewer's zone in a cookie, as the browser keeps it: a `+` in it
/// (`Etc/GMT+10`) is itself, encoded or not; an unknown zone is UTC. Answers name it as
/// people read it: the place and the offset.
#[tokio::test]
async fn the_zone_cookie_is_read_as_written() {
    let (app, _held) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for (cookie, zone) in [
        // Etc/GMT+10 is ten hours behind UTC (POSIX signs).
        ("tz=Etc/GMT+10", "UTC−10:00"),
        ("tz=Etc/GMT%2B10", "UTC−10:00"),
        ("tz=Asia/Kolkata", "Kolkata time (UTC+05:30)"),
        ("tz=Asia/Calcutta", "Kolkata time (UTC+05:30)"),
        // Where clocks change, both offsets: a list that spans a change reads right.
        (
            "tz=America/New_York",
            "New York time (UTC−05:00, or UTC−04:00 in summer time)",
        ),
        ("tz=Nowhere/Foo", "UTC"),
    ] {
        let reply = get(
            &app,
            "/api/list_sync_runs?query=",
            Some(&format!("{acme}; {cookie}")),
            "application/json",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{cookie}: {}", reply.body);
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(json["time_zone"], zone, "{cookie}");
    }
}

/// Signing in leads back to the Admin Panel page asked for, and nowhere else.
#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for() {
    let (app, _db) = app().await;
    let with_next = |password: &str, next: &str| {
        format!(
            "{password}&next={}",
            next.replace('/', "%2F")
                .replace('?', "%3F")
                .replace('=', "%3D")
        )
    };
    let wanted = "/admin/user-provisioning?status=success";
    let cases = [
        (with_next(demo::DEMO_PASSWORD, wanted), wanted.to_string()),
        // Another site, or not a page of the Admin Panel: the Admin Panel's own home.
        (
            with_next(demo::DEMO_PASSWORD, "//evil.example/admin"),
            "/admin/user-provisioning".to_string(),
        ),
        (
            with_next(demo::DEMO_PASSWORD, "https://evil.example/"),
            "/admin/user-provisioning".to_string(),
        ),
        // A wrong password keeps the page to return to.
        (
            with_next("wrong", wanted),
            "/login?error=invalid&next=%2Fadmin%2Fuser-provisioning%3Fstatus%3Dsuccess".to_string(),
        ),
    ];
    for (password, location) in cases {
        let reply = sign_in_with(&app, "org.admin@acme.example", &password, &[]).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{password}");
        assert_eq!(reply.headers[header::LOCATION], location, "{password}");
    }
}

/// "Load more" shows only when there is more: a last page exactly full has no next page.
#[tokio::test]
async fn a_full_last_page_offers_no_next_page() {
    use sea_orm::ConnectionTrait;
    let (app, held) = app().await;
    let db = &held.db.conn;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let org = "(SELECT organisation_id FROM users WHERE email = 'org.admin@acme.example')";
    let cancel = |n: u32| async move {
        db.execute_unprepared(&format!(
            "UPDATE sync_runs SET status = 'cancelled' WHERE id IN (SELECT id FROM sync_runs \
             WHERE organisation_id = {org} AND status = 'success' ORDER BY id LIMIT {n})"
        ))
        .await
        .unwrap();
    };
    db.execute_unprepared(&format!(
        "UPDATE sync_runs SET status = 'success' WHERE organisation_id = {org} AND status = 'cancelled'"
    ))
    .await
    .unwrap();
    let list = |cursor: Option<String>| {
        let app = app.clone();
        let acme = acme.clone();
        async move {
            let mut path = "/api/list_sync_runs?query=status%3Dcancelled".to_string();
            if let Some(c) = cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let reply = get(&app, &path, Some(&acme), "application/json").await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()
        }
    };
    cancel(50).await;
    let page = list(None).await;
    assert_eq!(page["runs"].as_array().unwrap().len(), 50);
    assert_eq!(page["total"], 50);
    assert!(page["next_cursor"].is_null(), "{}", page["next_cursor"]);

    cancel(1).await;
    let page = list(None).await;
    assert_eq!(page["runs"].as_array().unwrap().len(), 50);
    let next = &page["next_cursor"];
    let cursor = format!("{}.{}", next["sort_at_ms"], next["id"]);
    let last = list(Some(cursor)).await;
    assert_eq!(last["runs"].as_array().unwrap().len(), 1);
    assert!(last["next_cursor"].is_null());
}

#[tokio::test]
async fn the_live_poll_answers_only_what_changed() {
    use sea_orm::ConnectionTrait;
    let (app, held) = app().await;
    let db = &held.db.conn;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let globex = sign_in(&app, "org.admin@globex.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let json = |cookie: String, path: String| {
        let app = app.clone();
        async move {
            let reply = get(&app, &path, Some(&cookie), "application/json").await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()
        }
    };
    let pairs = |rows: &serde_json::Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_i64().unwrap(), r["version"].as_i64().unwrap()))
            .collect::<Vec<_>>()
    };
    let poll = |cookie: &String, since: i64| {
        json(
            cookie.clone(),
            format!("/api/poll_sync_runs?query=&since={since}"),
        )
    };
    let list = json(acme.clone(), "/api/list_sync_runs?query=".into()).await;
    let page = pairs(&list["runs"]);
    let seen = list["changes_seen"].as_i64().unwrap();
    let bump = |id: i64| async move {
        db.execute_unprepared(&format!(
            "UPDATE sync_runs SET version = version + 1 WHERE id = {id}"
        ))
        .await
        .unwrap();
    };

    // Nothing changed: the answer says so and carries nothing.
    assert_eq!(poll(&acme, seen).await, serde_json::json!("Unchanged"));
    // A write that keeps a run's version (nothing the page shows) is not a change.
    db.execute_unprepared(&format!(
        "UPDATE sync_runs SET heartbeat_at_ms = 1 WHERE id = {}",
        page[3].0
    ))
    .await
    .unwrap();
    assert_eq!(poll(&acme, seen).await, serde_json::json!("Unchanged"));

    // A run of the first page changed: it comes back in `first`, at its new version.
    bump(page[3].0).await;
    let changed = poll(&acme, seen).await;
    let changed = &changed["Changed"];
    assert_eq!(pairs(&changed["first"]), vec![(page[3].0, page[3].1 + 1)]);
    assert_eq!(pairs(&changed["others"]), vec![]);
    assert_eq!(changed["total"], list["total"]);
    let later = |changed: &serde_json::Value, before: i64| {
        let seen = changed["Changed"]["seen"].as_i64().unwrap();
        assert!(seen > before, "{seen} after {before}");
        seen
    };
    let seen = later(&serde_json::json!({ "Changed": changed }), seen);

    // An old run changed: it comes back in `others`; the first page is not sent again.
    let oldest = json(
        acme.clone(),
        "/api/list_sync_runs?query=sort%3Doldest".into(),
    )
    .await;
    let oldest = pairs(&oldest["runs"])[0];
    bump(oldest.0).await;
    let changed = poll(&acme, seen).await;
    assert_eq!(pairs(&changed["Changed"]["first"]), vec![]);
    assert_eq!(
        pairs(&changed["Changed"]["others"]),
        vec![(oldest.0, oldest.1 + 1)]
    );
    // A page that says it holds runs only down to the bottom of its first page is not
    // sent the old run, which it could not show; its count of changes moves on all the same.
    let reach = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["started_at_ms"]
                .as_i64()
                .unwrap_or_else(|| r["queued_at_ms"].as_i64().unwrap())
        })
        .min()
        .unwrap();
    let held = json(
        acme.clone(),
        format!("/api/poll_sync_runs?query=&since={seen}&held={reach}"),
    )
    .await;
    assert_eq!(pairs(&held["Changed"]["others"]), vec![]);
    assert_eq!(pairs(&held["Changed"]["first"]), vec![]);
    assert_eq!(held["Changed"]["seen"], changed["Changed"]["seen"]);
    let seen = later(&changed, seen);

    // A new run is new on the first page, and the total counts it.
    let configuration: i64 = db
        .query_one(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT configuration_id FROM sync_runs WHERE id = ?",
            [page[0].0.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE sync_configurations SET enabled = TRUE WHERE id = {configuration}"
    ))
    .await
    .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let new = server::sync::queue::queue_now(db, configuration, now)
        .await
        .unwrap();
    let changed = poll(&acme, seen).await;
    let first: Vec<i64> = pairs(&changed["Changed"]["first"])
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(first, vec![new]);
    assert_eq!(
        changed["Changed"]["total"].as_u64(),
        Some(list["total"].as_u64().unwrap() + 1)
    );
    let seen = later(&changed, seen);

    // Another organisation's changes are its own: Acme's count and runs are not Globex's.
    let theirs = poll(&globex, 0).await;
    let theirs = &theirs["Changed"];
    let acme_ids: Vec<i64> = page
        .iter()
        .map(|(id, _)| *id)
        .chain([new, oldest.0])
        .collect();
    for key in ["first", "others"] {
        assert!(pairs(&theirs[key])
            .iter()
            .all(|(id, _)| !acme_ids.contains(id)));
    }
    assert_eq!(poll(&acme, seen).await, serde_json::json!("Unchanged"));

    // A count the server never gave (a page from before a restore), or a page further
    // behind than one answer carries, reads its runs again.
    assert_eq!(poll(&acme, seen + 1).await, serde_json::json!("StartOver"));
    for n in 0..=app::api::MAX_CHANGES {
        server::sync::queue::queue_now(db, configuration, now + i64::from(n))
            .await
            .unwrap();
    }
    assert_eq!(poll(&acme, seen).await, serde_json::json!("StartOver"));

    // Bad input is a 400 with a message.
    for bad in [
        "since=abc",
        "since=",
        "since=1.5",
        "query=status%3Dbogus&since=1",
        // Signed and overlong numbers.
        "since=-1",
        "since=%2B5",
        "since=1234567890123456789",
        // The page's old question.
        "known=1.1",
        // How far down the page holds runs: a sort instant in digits, nothing else.
        "since=1&held=abc",
        "since=1&held=%2B5",
        "since=1&held=1.5",
        "since=1&held=-",
        "since=1&held=99999999999999999999",
        "since=1&held=1&held=2",
    ] {
        let reply = get(
            &app,
            &format!("/api/poll_sync_runs?{bad}"),
            Some(&acme),
            "application/json",
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn pages_and_answers_carry_security_headers() {
    let (app, _held) = app().await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let page = get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    let nonce = page.script_nonce();
    for part in [
        &format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'") as &str,
        "object-src 'none'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    // Every page, the not-found page and a signed-out one included, has a nonce of its own.
    let mut nonces = std::collections::HashSet::from([nonce]);
    for path in ["/admin/user-provisioning", "/no/such/page", "/login"] {
        let reply = get(&app, path, Some(&cookie), "text/html").await;
        assert!(nonces.insert(reply.script_nonce()), "{path}: a fresh nonce");
    }
    let api = get(&app, "/api/list_configurations", Some(&cookie), "*/*").await;
    assert_eq!(
        api.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    for path in [
        "/api/list_configurations",
        "/healthz",
        "/no/such/page",
        "/login",
    ] {
        let reply = get(&app, path, Some(&cookie), "*/*").await;
        assert_eq!(
            reply.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert_eq!(reply.headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(
            reply.headers[header::REFERRER_POLICY],
            "same-origin",
            "{path}"
        );
        assert!(
            reply.headers.contains_key(header::CONTENT_SECURITY_POLICY),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_unmigrated_database_is_not_ready() {
    let _turn = ONE_RUNTIME_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/empty.db?mode=rwc", dir.path().display());
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("user-provisioning")
        .build();
    let app =
        server::http::startup::router(server::store::SeaStore::new(conn).into_stores(), options);
    let ready = get(&app, "/readyz", None, "text/plain").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    );
    let health = get(&app, "/healthz", None, "text/plain").await;
    assert_eq!(health.status, StatusCode::OK, "alive all the same");
    // Every table is missing: requests fail inside the database, and say nothing of it.
    for (path, accept) in [
        ("/api/list_configurations", "application/json"),
        ("/api/list_sync_runs?query=", "application/json"),
        ("/admin/user-provisioning", "text/html"),
    ] {
        let reply = get(&app, path, Some("up_session=some-token"), accept).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let body = reply.body.to_lowercase();
        for leak in [
            "sessions",
            "select",
            "no such table",
            "sqlite",
            "sqlx",
            "panicked",
            ".rs:",
        ] {
            assert!(!body.contains(leak), "{path} says {leak:?}: {}", reply.body);
        }
    }
    // The API names the kind of error only; the page says it in words and offers a retry.
    let api = get(
        &app,
        "/api/list_configurations",
        Some("up_session=some-token"),
        "application/json",
    )
    .await;
    assert_eq!(api.body, "\"Internal\"");
    let page = get(
        &app,
        "/admin/user-provisioning?status=success",
        Some("up_session=some-token"),
        "text/html",
    )
    .await;
    assert!(
        page.body.contains("Something went wrong on our side")
            && page
                .body
                .contains("href=\"/admin/user-provisioning?status=success\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn metrics_count_runs_by_source_and_status_and_requests_by_route() {
    let (app, _held) = app().await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for _ in 0..3 {
        get(
            &app,
            "/api/poll_sync_runs?query=&since=0",
            Some(&cookie),
            "application/json",
        )
        .await;
    }
    let reply = get(&app, "/metrics", None, "text/plain").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text; version=1.0.0"));
    let value = |name: &str| -> f64 {
        reply
            .body
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{}", reply.body))
    };
    // The demo has a Queued run, and successful runs of each source.
    assert!(value("up_sync_queue_depth") >= 1.0);
    // Alert deliveries by channel and state, and events waiting (none sent here).
    for channel in ["email", "webhook"] {
        for state in ["sent", "pending", "failed"] {
            assert_eq!(
                value(&format!(
                    "up_alert_deliveries{{channel=\"{channel}\",state=\"{state}\"}}"
                )),
                0.0
            );
        }
    }
    assert_eq!(value("up_alert_events_waiting"), 0.0);
    for source in ["sftp", "google_workspace", "workday"] {
        assert!(
            value(&format!(
                "up_sync_runs{{source=\"{source}\",status=\"success\"}}"
            )) > 0.0
        );
    }
    // Counted by this process (other tests of this binary may have polled as well).
    assert!(value("up_http_requests_total{route=\"poll_sync_runs\",code=\"200\"}") >= 3.0);
    // Nothing in it names an organisation or a configuration.
    for name in ACME_CONFIGS.iter().chain(OTHER_CONFIGS.iter()) {
        assert!(!reply.body.contains(name));
    }
    assert!(!reply.body.contains("Acme") && !reply.body.contains("Globex"));
}

#[tokio::test]
async fn a_signed_out_page_is_a_redirect_whatever_the_client_accepts() {
    let (app, _db) = app().await;
    for accept in ["*/*", "text/html", "application/json"] {
        let reply = get(&app, "/admin/user-provisioning?range=7d", None, accept).await;
        assert_eq!(reply.status, StatusCode::FOUND, "Accept: {accept}");
        assert!(
            reply.headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?"),
            "Accept: {accept}"
        );
    }
}

#[tokio::test]
async fn the_server_writes_each_search_into_its_field() {
    let (app, _db) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let run = run_with_status(&app, &acme, "success").await;
    let page = get(
        &app,
        &format!("/admin/user-provisioning/runs/{run}?search=ada%22x&outcome=all"),
        Some(&acme),
        "text/html",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    // Written as the field's value (escaped), so it shows before the page's code loads.
    assert!(
        page.body.contains(r#"value="ada&quot;x""#),
        "the log search's value: {}",
        page.body
    );
    let people = get(
        &app,
        "/admin/user-provisioning/people?q=ada%40acme",
        Some(&acme),
        "text/html",
    )
    .await;
    assert!(
        people.body.contains(r#"value="ada@acme""#),
        "Find a person's value"
    );
}

/// The filter form sent without script names every field, empty or not: the browser is
/// sent on to the tidy link, its other keys kept; a link with a problem is left to the page.
#[tokio::test]
async fn the_plain_filter_form_lands_on_a_tidy_link() {
    let (app, _db) = app().await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for (asked, tidy) in [
        (
            "range=all&from=&to=&sort=newest&source=&config=",
            "/admin/user-provisioning",
        ),
        (
            "range=7d&from=&to=&sort=oldest&source=&config=&status=success",
            "/admin/user-provisioning?range=7d&sort=oldest&status=success",
        ),
        (
            "range=all&from=&to=&status=Success&after=1.2",
            "/admin/user-provisioning?status=success&after=1.2",
        ),
        // The same filter as a person edits it: the page's own link.
        (
            "range=7d&from=2026-10-05",
            "/admin/user-provisioning?range=7d",
        ),
        (
            "status=queued&status=in_progress",
            "/admin/user-provisioning?status=queued%2Cin_progress",
        ),
        ("sort=newest", "/admin/user-provisioning"),
    ] {
        let reply = get(
            &app,
            &format!("/admin/user-provisioning?{asked}"),
            Some(&cookie),
            "text/html",
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{asked}");
        assert_eq!(reply.headers[header::LOCATION], tidy, "{asked}");
    }
    for kept in [
        "range=7d&status=success",
        "range=soon&from=",
        "status=success&sort=oldest",
        "status=queued,in_progress",
    ] {
        let reply = get(
            &app,
            &format!("/admin/user-provisioning?{kept}"),
            Some(&cookie),
            "text/html",
        )
        .await;
        assert_ne!(reply.status, StatusCode::SEE_OTHER, "{kept}");
    }
}

/// An Admin Panel address that names no page is a 404 inside the frame: the viewer's
/// header and sidebar stay, so the way on is where it always is. Signed out, it asks for
/// sign-in first, as any Admin Panel page does.
#[tokio::test]
async fn a_missing_admin_page_keeps_the_frame() {
    let (app, _db) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for path in ["/admin/nope", "/admin/user-provisioning/runs/12/extra"] {
        let page = get(&app, path, Some(&acme), "text/html").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        for shown in [
            "Page not found",
            "Sign out",
            "Acme",
            r#"aria-label="Admin Panel""#,
        ] {
            assert!(page.body.contains(shown), "{path}: {shown}");
        }
    }
    let signed_out = get(&app, "/admin/nope", None, "text/html").await;
    assert_eq!(signed_out.status, StatusCode::FOUND);
    assert_eq!(
        signed_out.headers[header::LOCATION],
        "/login?next=%2Fadmin%2Fnope"
    );
    // Outside the Admin Panel, the page has its own bar.
    let elsewhere = get(&app, "/nowhere", Some(&acme), "text/html").await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert!(elsewhere.body.contains("Page not found") && !elsewhere.body.contains("Sign out"));
}

/// A run's log opened further down (`after=`, as "Show more entries" opens it without
/// script) names entries as the log numbers them, from 1: `after=N` starts at #N+1, past
/// the last it says the last one's number, one entry left is "1 entry", and a page that
/// ends the log offers no more.
#[tokio::test]
async fn a_log_opened_further_down_counts_as_it_numbers() {
    let (app, _held) = app().await;
    let acme = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let list = get(
        &app,
        "/api/list_sync_runs?query=status%3Dsuccess",
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let run = json["runs"][0]["id"].as_i64().unwrap();
    let logs = get(
        &app,
        &format!("/api/get_run_logs?run_id={run}&limit=1"),
        Some(&acme),
        "application/json",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&logs.body).unwrap();
    let total = json["total"].as_u64().expect("the log's size");
    assert!(total > 2, "{}", logs.body);
    let at = |after: u64| format!("/admin/user-provisioning/runs/{run}?outcome=all&after={after}");
    let past = get(&app, &at(total), Some(&acme), "text/html").await;
    assert!(
        past.body
            .contains(&format!("No more entries after entry {total}.")),
        "{}",
        past.body
    );
    let last = get(&app, &at(total - 1), Some(&acme), "text/html").await;
    assert!(
        last.body.contains("Showing 1 entry further down the log"),
        "{}",
        last.body
    );
    assert!(
        last.body.contains(&format!("id=\"entry-{}\"", total - 1)),
        "the last entry"
    );
    assert!(!last.body.contains("Show more entries"), "{}", last.body);
    let from_start = get(&app, &at(0), Some(&acme), "text/html").await;
    assert!(
        from_start.body.contains("id=\"entry-0\""),
        "after=0: from #1"
    );
    let second = get(&app, &at(1), Some(&acme), "text/html").await;
    assert!(
        second.body.contains("id=\"entry-1\"") && !second.body.contains("id=\"entry-0\""),
        "after=1: from #2"
    );
    // A page that ends exactly where the log does offers no next page.
    let json: serde_json::Value = serde_json::from_str(
        &get(
            &app,
            &format!("/api/get_run_logs?run_id={run}&after={}&limit=2", total - 3),
            Some(&acme),
            "application/json",
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(json["entries"].as_array().unwrap().len(), 2);
    assert!(json["next_after"].is_null(), "{json}");
}
