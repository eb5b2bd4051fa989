//! Security at the HTTP level: every server function and endpoint for every role and
//! access condition, in the viewer's own organisation and against another's ids; sessions
//! (rotation, idle and absolute expiry, `Secure`); sign-in throttling; cross-site writes.

mod common;

use axum::{body::Body, Router};
use common::http::*;
use http::{header, Request, StatusCode};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use server::db::entities::{
    organisation, session, sign_in_failure, sync_configuration, sync_run, user,
};
use server::{auth::passwords, demo};

/// Opens a session for a user straight in the store (sign-in itself is tested below).
async fn session_for(db: &DatabaseConnection, user_id: i64) -> String {
    let token = passwords::new_session_token();
    let now = chrono::Utc::now().timestamp_millis();
    session::ActiveModel {
        token_hash: Set(passwords::token_hash(&token)),
        user_id: Set(user_id),
        created_at_ms: Set(now),
        expires_at_ms: Set(now + 3_600_000),
        last_seen_at_ms: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    format!("up_session={token}")
}

async fn org_id(db: &DatabaseConnection, name: &str) -> i64 {
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A run of the organisation that has logs (Success), to ask for by id.
async fn run_with_logs(db: &DatabaseConnection, org: i64) -> Option<i64> {
    sync_run::Entity::find()
        .filter(sync_run::Column::OrganisationId.eq(org))
        .filter(sync_run::Column::Status.eq("success"))
        .order_by_asc(sync_run::Column::Id)
        .one(db)
        .await
        .unwrap()
        .map(|r| r.id)
}

async fn configuration_names(db: &DatabaseConnection, org: i64) -> Vec<String> {
    sync_configuration::Entity::find()
        .filter(sync_configuration::Column::OrganisationId.eq(org))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// A same-site POST of a form, as the page sends server-function calls.
async fn post(app: &Router, path: &str, form: &str, cookie: Option<&str>) -> Reply {
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(app, req.body(Body::from(form.to_owned())).unwrap()).await
}

/// Every way to read a run or its logs, for one run id.
fn run_requests(run: i64) -> Vec<(&'static str, String)> {
    vec![
        ("GET", format!("/api/get_run?run_id={run}")),
        ("GET", format!("/api/get_run_logs?run_id={run}")),
        ("GET", format!("/api/runs/{run}/logs.csv")),
        ("GET", format!("/api/runs/{run}/logs.xlsx")),
        (
            "POST",
            format!("/api/start_log_download?run_id={run}&format=Csv"),
        ),
        ("PAGE", format!("/admin/user-provisioning/runs/{run}")),
    ]
}

/// Requests that are not about one run.
fn list_requests() -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/api/list_sync_runs?query=".to_string()),
        (
            "GET",
            "/api/list_sync_runs?query=status%3Dsuccess".to_string(),
        ),
        ("GET", "/api/list_configurations".to_string()),
        ("GET", "/api/sync_runs_chart?query=".to_string()),
        // Every change the organisations' runs ever had.
        ("GET", "/api/poll_sync_runs?query=&since=0".to_string()),
        ("PAGE", "/admin/user-provisioning".to_string()),
    ]
}

async fn call(app: &Router, method: &str, path: &str, cookie: Option<&str>) -> Reply {
    match method {
        "POST" => {
            let (path, form) = path.split_once('?').unwrap();
            post(app, path, form, cookie).await
        }
        "PAGE" => get(app, path, cookie, "text/html").await,
        _ => get(app, path, cookie, "application/json").await,
    }
}

#[tokio::test]
async fn every_endpoint_for_every_role_access_condition_and_organisation() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let acme = org_id(db, "Acme").await;
    let globex = org_id(db, "Globex").await;
    let initech = org_id(db, "Initech").await; // User Provisioning not enabled
                                               // Initech's history exists but its admins may not see it: give it a run with logs.
    if run_with_logs(db, initech).await.is_none() {
        db.execute_unprepared(&format!(
            "UPDATE sync_runs SET status = 'success' WHERE id = \
             (SELECT MIN(id) FROM sync_runs WHERE organisation_id = {initech})"
        ))
        .await
        .unwrap();
    }
    let other_run = run_with_logs(db, globex).await.unwrap();
    let globex_names = configuration_names(db, globex).await;
    let globex_emails = "@globex.example";

    // Signed out: 401 from the API, the sign-in page for pages.
    let acme_run = run_with_logs(db, acme).await.unwrap();
    for (method, path) in run_requests(acme_run).into_iter().chain(list_requests()) {
        for cookie in [None, Some("up_session=forged")] {
            let reply = call(&app, method, &path, cookie).await;
            if method == "PAGE" {
                assert_eq!(reply.status, StatusCode::FOUND, "{path} {cookie:?}");
                // The sign-in page, leading back to the page asked for.
                assert_eq!(
                    reply.headers[header::LOCATION],
                    app::domain::sign_in_path(None, &path),
                    "{path}"
                );
                assert!(reply.headers[header::LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/login?next=%2Fadmin%2F"));
            } else {
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} {cookie:?}");
            }
            assert!(!reply.body.contains("@acme.example"), "{path}");
        }
    }

    let mut checked = 0;
    for (org, enabled) in [(acme, true), (initech, false)] {
        let own_run = run_with_logs(db, org).await.unwrap();
        let own_names = configuration_names(db, org).await;
        for role in app::domain::Role::ALL {
            for enrolled in [true, false] {
                let email = format!("{role}.{enrolled}.{org}@matrix.example");
                let u = user::ActiveModel {
                    organisation_id: Set(org),
                    email: Set(email.clone()),
                    first_name: Set("Matrix".into()),
                    last_name: Set(role.label().into()),
                    active: Set(true),
                    role: Set(role.slug().into()),
                    sync_service_enrolled: Set(enrolled),
                    created_at_ms: Set(0),
                    updated_at_ms: Set(0),
                    ..Default::default()
                }
                .insert(db)
                .await
                .unwrap();
                let cookie = session_for(db, u.id).await;
                let allowed = enabled && enrolled && role.may_use_provisioning();
                let who = format!("{email} (allowed: {allowed})");

                for (method, path) in list_requests() {
                    let reply = call(&app, method, &path, Some(&cookie)).await;
                    // Another organisation's data never appears, whatever the answer.
                    for name in &globex_names {
                        assert!(!reply.body.contains(name.as_str()), "{who} {path}: {name}");
                    }
                    assert!(!reply.body.contains(globex_emails), "{who} {path}");
                    if allowed {
                        assert_eq!(reply.status, StatusCode::OK, "{who} {path}: {}", reply.body);
                    } else {
                        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {path}");
                        for name in &own_names {
                            assert!(!reply.body.contains(name.as_str()), "{who} {path}: {name}");
                        }
                        assert!(!reply.body.contains("\"runs\""), "{who} {path}");
                    }
                    if allowed && path.starts_with("/api/poll_sync_runs") {
                        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                        let changed = &json["Changed"];
                        assert!(
                            ["first", "others"]
                                .iter()
                                .flat_map(|key| changed[key].as_array().unwrap())
                                .all(|r| r["id"].as_i64() != Some(other_run)),
                            "{who}: the poll never returns another organisation's run"
                        );
                    }
                    checked += 1;
                }
                for (run, own) in [(own_run, true), (other_run, false)] {
                    for (method, path) in run_requests(run) {
                        let reply = call(&app, method, &path, Some(&cookie)).await;
                        let expected = match (allowed, own) {
                            (false, _) => StatusCode::FORBIDDEN,
                            (true, true) => StatusCode::OK,
                            // Another organisation's run does not exist for this viewer.
                            (true, false) => StatusCode::NOT_FOUND,
                        };
                        assert_eq!(reply.status, expected, "{who} {path}: {}", reply.body);
                        if !(allowed && own) {
                            for name in own_names.iter().chain(&globex_names) {
                                assert!(
                                    !reply.body.contains(name.as_str()),
                                    "{who} {path}: {name}"
                                );
                            }
                            assert!(!reply.body.contains("@acme.example"), "{who} {path}");
                            assert!(!reply.body.contains(globex_emails), "{who} {path}");
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    // 2 organisations × 7 roles × 2 enrolment states × (6 list + 2 × 6 run requests).
    assert_eq!(checked, 2 * 7 * 2 * (6 + 12));
    // Downloads recorded: only the allowed viewers' own runs (2 roles, one each).
    let audit = server::db::entities::log_download::Entity::find()
        .all(db)
        .await
        .unwrap();
    assert_eq!(
        audit.len(),
        2 * 3,
        "two roles × (CSV file, XLSX file, start_log_download)"
    );
}

async fn viewer_status(app: &Router, cookie: &str) -> StatusCode {
    get(
        app,
        "/api/list_configurations",
        Some(cookie),
        "application/json",
    )
    .await
    .status
}

/// A cookie header with a byte that is not ASCII in some other cookie (a browser extension's,
/// say) keeps the session, and a quoted time zone is read without its quotes.
#[tokio::test]
async fn a_stray_byte_in_another_cookie_leaves_the_session_alone() {
    let (app, _held) = app().await;
    let session = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let mut cookies = session.into_bytes();
    cookies.extend_from_slice(b"; other=caf\xe4; tz=\"Asia%2FKolkata\"");
    let req = Request::get("/admin/user-provisioning")
        .header(header::ACCEPT, "text/html")
        .header(
            header::COOKIE,
            http::HeaderValue::from_bytes(&cookies).unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    let page = common::http::send(&app, req).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Kolkata time"), "{}", page.body);
}

/// An operator's settings for the web layer: a site declared HTTPS-only marks its cookies
/// `Secure` even where no proxy says so; a metrics token is asked of scrapers.
#[tokio::test]
async fn web_settings_mark_cookies_secure_and_guard_metrics() {
    let web = server::config::WebSettings {
        metrics_token: Some("s3cret".into()),
        secure_cookies: true,
        ..Default::default()
    };
    let (app, _held) = common::http::app_with(server::db::Pool::default(), &web).await;
    let reply = sign_in_with(&app, "org.admin@acme.example", demo::DEMO_PASSWORD, &[]).await;
    let cookie = session_cookie(&reply).unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let open = get(&app, "/metrics", None, "text/plain").await;
    assert_eq!(open.status, StatusCode::UNAUTHORIZED);
    let req = Request::get("/metrics")
        .header("authorization", "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(common::http::send(&app, req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_rotate_expire_when_idle_or_old_and_are_secure_over_https() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let email = "org.admin@acme.example";

    // A new sign-in ends the session the browser held before (a planted one included).
    let first = sign_in(&app, email, demo::DEMO_PASSWORD).await.unwrap();
    let reply = sign_in_with(&app, email, demo::DEMO_PASSWORD, &[("cookie", &first)]).await;
    let second = session_cookie(&reply).unwrap();
    let second = second.split(';').next().unwrap().to_string();
    assert_ne!(first, second, "a new token on every sign-in");
    assert_eq!(viewer_status(&app, &first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(viewer_status(&app, &second).await, StatusCode::OK);

    // Plain HTTP: no Secure (a local run would lose its cookie); behind HTTPS: Secure.
    assert!(!session_cookie(&reply).unwrap().contains("Secure"));
    let https = sign_in_with(
        &app,
        email,
        demo::DEMO_PASSWORD,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let https_cookie = session_cookie(&https).unwrap();
    assert!(https_cookie.contains("; Secure"), "{https_cookie}");
    assert!(https_cookie.contains("HttpOnly") && https_cookie.contains("SameSite=Lax"));

    // Use moves the idle clock, at most once a minute.
    let now = chrono::Utc::now().timestamp_millis();
    let token_hash = |c: &str| passwords::token_hash(c.trim_start_matches("up_session="));
    let set_times = |cookie: String, last_seen: i64, expires: i64| {
        let db = db.clone();
        async move {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAtMs, last_seen.into())
                .col_expr(session::Column::ExpiresAtMs, expires.into())
                .filter(session::Column::TokenHash.eq(token_hash(&cookie)))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    let last_seen = |cookie: String| {
        let db = db.clone();
        async move {
            session::Entity::find()
                .filter(session::Column::TokenHash.eq(token_hash(&cookie)))
                .one(&db)
                .await
                .unwrap()
                .map(|s| s.last_seen_at_ms)
        }
    };
    set_times(second.clone(), now - 50 * 60_000, now + 3_600_000).await;
    assert_eq!(viewer_status(&app, &second).await, StatusCode::OK);
    let touched = last_seen(second.clone()).await.unwrap();
    assert!(
        touched >= now,
        "used 50 minutes after the last use: touched"
    );

    // Idle for over an hour: ended, though its twelve hours are not up.
    set_times(second.clone(), now - 61 * 60_000, now + 3_600_000).await;
    assert_eq!(viewer_status(&app, &second).await, StatusCode::UNAUTHORIZED);
    // Busy but past its absolute end: ended too.
    let third = sign_in(&app, email, demo::DEMO_PASSWORD).await.unwrap();
    set_times(third.clone(), now, now - 1).await;
    assert_eq!(viewer_status(&app, &third).await, StatusCode::UNAUTHORIZED);
    let page = get(&app, "/admin/user-provisioning", Some(&third), "text/html").await;
    assert_eq!(page.status, StatusCode::FOUND);
    // Ended sessions are swept at the next sign-in.
    sign_in(&app, email, demo::DEMO_PASSWORD).await.unwrap();
    assert_eq!(last_seen(third).await, None);
    assert_eq!(last_seen(second).await, None);
}

#[tokio::test]
async fn repeated_wrong_passwords_throttle_that_email_only() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let email = "people.admin@acme.example";
    for _ in 0..server::auth::throttle::MAX_FAILURES {
        let reply = sign_in_with(&app, email, "wrong", &[]).await;
        assert_eq!(reply.headers[header::LOCATION], "/login?error=invalid");
    }
    // Now even the right password is not checked, and no session opens.
    let reply = sign_in_with(&app, email, demo::DEMO_PASSWORD, &[]).await;
    let location = reply.headers[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with("/login?error=throttled&") && location.contains("&minutes="),
        "{location}"
    );
    assert!(session_cookie(&reply).is_none());
    let page = get(&app, location, None, "text/html").await;
    assert!(
        page.body
            .contains("Too many sign-in attempts for this email. Try again in 15 minutes."),
        "{}",
        page.body
    );
    // Other accounts are not held up.
    assert!(sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .is_some());
    // Unknown emails are counted the same way (nothing tells them apart).
    for _ in 0..server::auth::throttle::MAX_FAILURES {
        sign_in_with(&app, "nobody@acme.example", "x", &[]).await;
    }
    let reply = sign_in_with(&app, "nobody@acme.example", "x", &[]).await;
    assert!(reply.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .contains("throttled"));
    // Once the failures are older than the window, the right password works again and
    // the slate is wiped.
    sign_in_failure::Entity::update_many()
        .col_expr(
            sign_in_failure::Column::AtMs,
            (chrono::Utc::now().timestamp_millis() - server::auth::throttle::WINDOW_MS).into(),
        )
        .filter(sign_in_failure::Column::Email.eq(email))
        .exec(db)
        .await
        .unwrap();
    assert!(sign_in(&app, email, demo::DEMO_PASSWORD).await.is_some());
    let left = sign_in_failure::Entity::find()
        .filter(sign_in_failure::Column::Email.eq(email))
        .all(db)
        .await
        .unwrap();
    assert!(left.is_empty());
}

#[tokio::test]
async fn cross_site_writes_are_refused_and_change_nothing() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let acme = org_id(db, "Acme").await;
    let run = run_with_logs(db, acme).await.unwrap();
    let cross = |path: &str, body: String, origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, cookie.as_str());
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req.body(Body::from(body)).unwrap()
    };
    let attempts = [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("cross-site")),
    ];
    for (origin, site) in attempts {
        for (path, body) in [
            ("/api/sign_out", String::new()),
            (
                "/api/start_log_download",
                format!("run_id={run}&format=Csv"),
            ),
            (
                "/api/sign_in",
                "email=org.admin%40acme.example&password=demo-password".to_string(),
            ),
        ] {
            let reply = send(&app, cross(path, body, origin, site)).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path} {origin:?} {site:?}"
            );
            assert!(reply.headers.get(header::SET_COOKIE).is_none());
            assert!(!reply.body.contains("acme"), "{}", reply.body);
        }
    }
    // Nothing happened: still signed in, no download recorded.
    assert_eq!(viewer_status(&app, &cookie).await, StatusCode::OK);
    let audit = server::db::entities::log_download::Entity::find()
        .all(db)
        .await
        .unwrap();
    assert!(audit.is_empty());
    // The same requests from the page itself go through.
    let ok = send(
        &app,
        cross(
            "/api/start_log_download",
            format!("run_id={run}&format=Csv"),
            Some("http://127.0.0.1:3000"),
            Some("same-origin"),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // Reads are never refused for their origin (links from elsewhere open the page).
    let page = send(
        &app,
        Request::get("/admin/user-provisioning")
            .header(header::COOKIE, cookie.as_str())
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn guesses_sent_side_by_side_share_one_allowance() {
    let (app, _held) = app().await;
    let email = "group.admin@acme.example";
    let tries: Vec<_> = (0..12)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { sign_in_with(&app, email, "wrong", &[]).await })
        })
        .collect();
    let (mut checked, mut throttled) = (0, 0);
    for t in tries {
        let reply = t.await.unwrap();
        let location = reply.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string();
        if location == "/login?error=invalid" {
            checked += 1;
        } else if location.starts_with("/login?error=throttled") {
            throttled += 1;
        } else {
            panic!("unexpected {location}");
        }
    }
    assert!(
        checked <= server::auth::throttle::MAX_FAILURES,
        "{checked} guesses were checked"
    );
    assert_eq!(checked + throttled, 12);
}

/// Right passwords for one email sent side by side (two tabs, a script) each open a
/// session: another sign-in forgiving the email's failures may delete this attempt's row
/// the moment it is written, and the sign-in goes on without reading it back. A trigger
/// plays the other sign-in, deleting every attempt as it is written.
#[tokio::test]
async fn a_sign_in_whose_attempt_is_forgiven_at_once_still_opens_a_session() {
    let (app, held) = app().await;
    held.db
        .conn
        .execute_unprepared(
            "CREATE TRIGGER forgiven_at_once AFTER INSERT ON sign_in_failures \
             BEGIN DELETE FROM sign_in_failures WHERE id = NEW.id; END",
        )
        .await
        .unwrap();
    let reply = sign_in_with(&app, "org.admin@acme.example", demo::DEMO_PASSWORD, &[]).await;
    assert!(
        session_cookie(&reply).is_some(),
        "a right password was refused: {:?}",
        reply.headers.get(header::LOCATION)
    );
}

/// Another site can neither read a server function with the viewer's cookie nor bounce
/// the viewer elsewhere through one, nothing with an organisation's data is cached, and
/// an absurd path is a plain 404.
#[tokio::test]
async fn the_delivery_layer_keeps_answers_private_and_on_site() {
    let (app, held) = app().await;
    let db = &held.db.conn;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let run = run_with_logs(db, org_id(db, "Acme").await).await.unwrap();
    let ask = |site: Option<&str>, referer: &str| {
        let mut req = Request::get(format!("/api/get_run?run_id={run}"))
            .header(header::ACCEPT, "text/html")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::REFERER, referer)
            .header(header::COOKIE, cookie.as_str());
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        req.body(Body::empty()).unwrap()
    };
    // Asked from another site: refused before it runs, whatever it would have answered.
    for site in ["cross-site", "same-site"] {
        let reply = send(&app, ask(Some(site), "https://evil.example/")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{site}");
        assert!(reply.headers.get(header::LOCATION).is_none());
        assert!(!reply.body.contains("Acme"), "{}", reply.body);
    }
    // Asked by a client that sends no browser headers but a forged Referer: any redirect
    // it gets stays on this site.
    for referer in [
        "https://evil.example/",
        "//evil.example/",
        "http://127.0.0.1:3000@evil.example/",
    ] {
        let reply = send(&app, ask(None, referer)).await;
        if let Some(location) = reply.headers.get(header::LOCATION) {
            let location = location.to_str().unwrap();
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "{referer} → {location}"
            );
        }
    }
    // The page itself still reads it.
    let mine = send(
        &app,
        ask(
            Some("same-origin"),
            "http://127.0.0.1:3000/admin/user-provisioning",
        ),
    )
    .await;
    assert!(
        mine.status.is_success() || mine.status.is_redirection(),
        "{}",
        mine.status
    );

    // No copy of a page or a server function's answer is kept; static files may be.
    let page = get(&app, "/admin/user-provisioning", Some(&cookie), "text/html").await;
    assert_eq!(page.status, StatusCode::OK);
    let api = get(
        &app,
        &format!("/api/get_run?run_id={run}"),
        Some(&cookie),
        "application/json",
    )
    .await;
    for reply in [&page, &api] {
        assert_eq!(
            reply
                .headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
    }
    let signed_out = get(&app, "/api/get_run?run_id=1", None, "application/json").await;
    assert_eq!(
        signed_out.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );

    // A segment longer than any file name, or a path longer than any file's of short
    // segments: a plain 404, signed in or not.
    for long in [
        format!("/pkg/{}", "a".repeat(300)),
        format!("/pkg/{}", "a/".repeat(2_100)),
    ] {
        for c in [None, Some(cookie.as_str())] {
            let reply = get(&app, &long, c, "text/html").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(reply.body, "Not found.");
        }
    }

    // A server function that does not exist is a plain 404 too, never the framework's
    // account of how server functions are registered.
    for c in [None, Some(cookie.as_str())] {
        for path in ["/api/nope", "/api/get_run/extra"] {
            let reply = get(&app, path, c, "application/json").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(reply.body, "Not found.", "{path}");
        }
        // No name at all: the app's not-found page.
        let reply = get(&app, "/api/", c, "application/json").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert!(!reply.body.contains("server function"));
    }

    // HEAD on a server function read by GET answers as GET does, without the body.
    let head = send(
        &app,
        Request::head(format!("/api/get_run?run_id={run}"))
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, cookie.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(head.status, api.status);
    assert!(head.body.is_empty());
    for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
        assert_eq!(head.headers.get(&name), api.headers.get(&name), "{name}");
    }
    // What is only asked about is not recorded as read: a log file, a person's search.
    let recorded = |table: &'static str| async move {
        let row = db
            .query_one(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    for (path, table) in [
        (format!("/api/runs/{run}/logs.csv"), "log_downloads"),
        (
            "/api/find_person?q=someone%40acme.example".to_string(),
            "person_searches",
        ),
        (
            // Another search: the same one again within minutes is the same look.
            "/admin/user-provisioning/people?q=someone.else%40acme.example".to_string(),
            "person_searches",
        ),
    ] {
        let before = recorded(table).await;
        let asked = |method: http::Method| {
            Request::builder()
                .method(method)
                .uri(path.as_str())
                .header(header::COOKIE, cookie.as_str())
                .body(Body::empty())
                .unwrap()
        };
        let head = send(&app, asked(http::Method::HEAD)).await;
        assert_eq!(head.status, StatusCode::OK, "{path}");
        assert!(head.body.is_empty());
        assert_eq!(recorded(table).await, before, "HEAD {path}");
        let get = send(&app, asked(http::Method::GET)).await;
        assert_eq!(get.status, StatusCode::OK, "{path}");
        assert_eq!(recorded(table).await, before + 1, "GET {path}");
    }
}

/// A page asked for with a trailing slash is sent to the page without it (its query kept),
/// never to another host; the pages themselves then answer as usual.
#[tokio::test]
async fn a_trailing_slash_leads_to_the_page_and_never_off_site() {
    let (app, _held) = app().await;
    let cookie = sign_in(&app, "org.admin@acme.example", demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let ask = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie.as_str())
            .body(Body::empty())
            .unwrap()
    };
    for (path, to) in [
        ("/admin/user-provisioning/", "/admin/user-provisioning"),
        (
            "/admin/user-provisioning/?status=success",
            "/admin/user-provisioning?status=success",
        ),
        (
            "/admin/user-provisioning/runs/1//",
            "/admin/user-provisioning/runs/1",
        ),
    ] {
        let reply = send(&app, ask(path)).await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(reply.headers[header::LOCATION], to, "{path}");
    }
    for path in ["//evil.example/", "/\\evil.example/"] {
        let reply = send(&app, ask(path)).await;
        if let Some(location) = reply.headers.get(header::LOCATION) {
            let location = location.to_str().unwrap();
            assert!(
                !location.starts_with("//") && !location.starts_with("/\\"),
                "{path} → {location}"
            );
        }
    }
    let page = send(&app, ask("/admin/user-provisioning")).await;
    assert_eq!(page.status, StatusCode::OK);
}
