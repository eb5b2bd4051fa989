//! The app's router driven in process, as a browser or an API client would: requests,
//! replies, sign-in.

use super::TestDb;
use axum::{body::Body, Router};
use chrono::Utc;
use http::{header, Request, StatusCode};
use leptos::prelude::LeptosOptions;
use server::{demo, http::startup, store::SeaStore};
use tower::ServiceExt;

/// Leptos keeps some reactive state per process, and rendering from two tokio runtimes
/// at once (one per test) can leave a page waiting forever for a resource that the other
/// runtime woke. A server has one runtime; here each test holds this lock for its whole
/// life, so the tests in this file render one at a time.
pub static ONE_RUNTIME_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a test keeps alive while it uses the router: its database and its turn.
pub struct Held {
    pub db: TestDb,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

pub async fn app() -> (Router, Held) {
    app_with_pool(server::db::Pool::default()).await
}

/// The router on the demo data, its database opened with this pool.
pub async fn app_with_pool(pool: server::db::Pool) -> (Router, Held) {
    app_with(pool, &server::config::WebSettings::default()).await
}

/// The router on the demo data, with this pool and these web settings.
pub async fn app_with(pool: server::db::Pool, web: &server::config::WebSettings) -> (Router, Held) {
    let turn = ONE_RUNTIME_AT_A_TIME.lock().await;
    let db = TestDb::sqlite_with(pool).await;
    demo::seed(&db.conn, &demo::DemoSize::small(), Utc::now())
        .await
        .unwrap();
    let options = LeptosOptions::builder()
        .output_name("user-provisioning")
        .build();
    (
        startup::router_with(SeaStore::new(db.conn.clone()).into_stores(), options, web),
        Held { db, _turn: turn },
    )
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Posts the sign-in form, with any extra headers, and returns the reply.
pub async fn sign_in_with(
    app: &Router,
    email: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = Request::post("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let body = format!("email={}&password={password}", email.replace('@', "%40"));
    send(app, req.body(Body::from(body)).unwrap()).await
}

/// The session cookie a reply sets, whole (with its attributes).
pub fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("up_session=") && !c.starts_with("up_session=;"))
        .map(str::to_owned)
}

/// Signs in through the HTML form endpoint and returns the session cookie.
pub async fn sign_in(app: &Router, email: &str, password: &str) -> Option<String> {
    let reply = sign_in_with(app, email, password, &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::FOUND,
        "sign-in answers with a redirect"
    );
    session_cookie(&reply).map(|c| {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        c.split(';').next().unwrap().to_string()
    })
}

pub async fn get(app: &Router, path: &str, cookie: Option<&str>, accept: &str) -> Reply {
    let mut req = Request::get(path).header(header::ACCEPT, accept);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(app, req.body(Body::empty()).unwrap()).await
}

impl Reply {
    /// The nonce the page's policy names for scripts, after checking that every inline
    /// script of the page carries it and that the policy allows no other inline script.
    pub fn script_nonce(&self) -> String {
        let csp = self.headers[http::header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no nonce in {csp}"))
            .to_string();
        assert!(nonce.len() >= 22, "a nonce of 128 bits: {nonce}");
        let mut inline = 0;
        for tag in self.body.split("<script").skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            if tag.contains(" src=") {
                continue;
            }
            inline += 1;
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "an inline script without the response's nonce {nonce}: <script{tag}>"
            );
        }
        assert!(inline >= 2, "the page's inline scripts were found");
        nonce
    }
}
