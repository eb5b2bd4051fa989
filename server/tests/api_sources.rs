//! Google Workspace and Workday against local HTTP servers that speak their documented
//! wire formats: Google's token endpoint (which verifies the RS256 assertion) and
//! `users.list` paged by `pageToken`; a Workday RaaS JSON report behind basic auth.

mod common;

use common::api_peers::{quick, serve, service_account, CLIENT_EMAIL};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::Verifier;
use serde_json::{json, Value};
use server::sync::settings::{check_google, check_workday, GoogleSettings, WorkdaySettings};
use server::sync::source::{google, workday};
use server::sync::validate::{LoadError, Loaded};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "it.admin@acme.example";
fn progress() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// What a throttled answer puts in `Retry-After`.
#[derive(Clone, Copy)]
enum RetryAfter {
    Secs(u64),
    /// An HTTP date (RFC 7231 IMF-fixdate) this far after the moment of answering.
    DateIn(Duration),
}

impl RetryAfter {
    fn header(self) -> String {
        match self {
            RetryAfter::Secs(s) => s.to_string(),
            RetryAfter::DateIn(d) => (chrono::Utc::now() + chrono::Duration::from_std(d).unwrap())
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        }
    }
}

#[derive(Default)]
struct Knobs {
    throttle_first: bool,
    /// `Retry-After` of the throttled first answer (default: 1 second).
    retry_after: Option<RetryAfter>,
    /// Every users.list request with a live token is answered 401 anyway (delegation revoked).
    always_401: bool,
    /// The token endpoint's `expires_in`, which is also how long its tokens live.
    expires_in: Option<u64>,
    /// The Workspace is listed by `domain=` this domain; `customer=` is refused.
    domain: Option<&'static str>,
    expire_after_first_page: bool,
    loop_tokens: bool,
    malformed: bool,
    forbidden: bool,
    always_503: bool,
    slow: bool,
}

struct Google {
    verifier: VerifyingKey<sha2::Sha256>,
    token_url: String,
    users: Vec<Value>,
    tokens: Mutex<HashMap<String, Instant>>,
    token_requests: AtomicUsize,
    user_requests: AtomicUsize,
    /// users.list requests answered 401.
    unauthorized: AtomicUsize,
    knobs: Knobs,
}

fn b64d(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_default()
}

async fn token(
    State(g): State<Arc<Google>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    g.token_requests.fetch_add(1, Ordering::SeqCst);
    let refuse = || {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse();
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse();
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return refuse();
    }
    let header: Value = serde_json::from_slice(&b64d(parts[0])).unwrap_or_default();
    let claims: Value = serde_json::from_slice(&b64d(parts[1])).unwrap_or_default();
    let Ok(signature) = Signature::try_from(b64d(parts[2]).as_slice()) else {
        return refuse();
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let now = chrono::Utc::now().timestamp();
    let valid = header["alg"] == "RS256"
        && g.verifier.verify(signed.as_bytes(), &signature).is_ok()
        && claims["iss"] == CLIENT_EMAIL
        && claims["sub"] == ADMIN
        && claims["scope"] == google::SCOPE
        && claims["aud"] == g.token_url.as_str()
        && claims["exp"]
            .as_i64()
            .is_some_and(|e| e > now && e <= now + 3600);
    if !valid {
        return refuse();
    }
    let n = g.token_requests.load(Ordering::SeqCst);
    let access = format!("ya29.token-{n}");
    let expires_in = g.knobs.expires_in.unwrap_or(3599);
    g.tokens.lock().unwrap().insert(
        access.clone(),
        Instant::now() + Duration::from_secs(expires_in),
    );
    Json(json!({"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}))
        .into_response()
}

async fn users(
    State(g): State<Arc<Google>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = g.user_requests.fetch_add(1, Ordering::SeqCst);
    let unauthorized = || {
        g.unauthorized.fetch_add(1, Ordering::SeqCst);
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": 401, "message": "Invalid Credentials"}})),
        )
            .into_response()
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let live = g
        .tokens
        .lock()
        .unwrap()
        .get(bearer)
        .is_some_and(|exp| *exp > Instant::now());
    let k = &g.knobs;
    if !live || k.always_401 {
        return unauthorized();
    }
    if k.slow {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if k.always_503 {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if k.throttle_first && n == 0 {
        let after = k.retry_after.unwrap_or(RetryAfter::Secs(1)).header();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", after)],
            "slow down",
        )
            .into_response();
    }
    if k.forbidden {
        return (StatusCode::FORBIDDEN, Json(json!({"error": {"code": 403, "message": "Not Authorized to access this resource/api"}}))).into_response();
    }
    if k.malformed {
        return (StatusCode::OK, "{\"users\": [{\"primaryEmail\": ").into_response();
    }
    let bad_request = || {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": 400, "message": "Bad Request"}})),
        )
            .into_response()
    };
    // Exactly one of customer= (only my_customer is known) and domain= (only k.domain).
    match (
        q.get("customer").map(String::as_str),
        q.get("domain").map(String::as_str),
    ) {
        (Some("my_customer"), None) if k.domain.is_none() => {}
        (None, Some(d)) if Some(d) == k.domain => {}
        (None, Some(_)) => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"error": {"code": 404, "message": "Domain not found."}})),
            )
                .into_response()
        }
        _ => return bad_request(),
    }
    if q.get("maxResults").map(String::as_str) != Some("500") {
        return bad_request();
    }
    let page: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let chunk: Vec<Value> = g.users.iter().skip(page * 500).take(500).cloned().collect();
    let more = (page + 1) * 500 < g.users.len();
    if k.expire_after_first_page && page == 0 {
        // Every token issued so far expires now, as if the hour ran out mid-run.
        for exp in g.tokens.lock().unwrap().values_mut() {
            *exp = Instant::now();
        }
    }
    let mut body = json!({"kind": "admin#directory#users", "users": chunk});
    if more {
        let next = if k.loop_tokens { 1 } else { page + 1 };
        body["nextPageToken"] = json!(format!("page-{next}"));
    }
    Json(body).into_response()
}

fn google_user(i: usize) -> Value {
    json!({
        "id": format!("10{i:05}"),
        "primaryEmail": format!("u{i}@acme.example"),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}")},
        "externalIds": [{"value": format!("G{i}"), "type": "organization"}],
        "organizations": [{"title": "Engineer", "department": "R&D", "primary": true}],
        "relations": if i == 0 { json!([]) } else { json!([{"value": "u0@acme.example", "type": "manager"}]) },
        "suspended": i % 100 == 7,
        "archived": false,
    })
}

struct GoogleFixture {
    server: Arc<Google>,
    base: String,
    key_path: PathBuf,
    _dir: tempfile::TempDir,
}

async fn google_server(count: usize, knobs: Knobs) -> GoogleFixture {
    google_server_with((0..count).map(google_user).collect(), knobs).await
}

async fn google_server_with(people: Vec<Value>, knobs: Knobs) -> GoogleFixture {
    let dir = tempfile::tempdir().unwrap();
    let (pem, key_path) = service_account(dir.path(), "sa");
    let public = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .unwrap()
        .to_public_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = Arc::new(Google {
        verifier: VerifyingKey::new(public),
        token_url: format!("{base}/token"),
        users: people,
        tokens: Mutex::new(HashMap::new()),
        token_requests: AtomicUsize::new(0),
        user_requests: AtomicUsize::new(0),
        unauthorized: AtomicUsize::new(0),
        knobs,
    });
    let router = Router::new()
        .route("/token", post(token))
        .route("/admin/directory/v1/users", get(users))
        .with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    GoogleFixture {
        server,
        base,
        key_path,
        _dir: dir,
    }
}

fn google_settings(f: &GoogleFixture) -> GoogleSettings {
    GoogleSettings {
        customer: Some("my_customer".into()),
        admin_email: ADMIN.into(),
        service_account_key: format!("file:{}", f.key_path.display()),
        base_url: Some(f.base.clone()),
        token_url: Some(format!("{}/token", f.base)),
        timeout_secs: Some(2),
        ..Default::default()
    }
}

async fn load_google(settings: GoogleSettings) -> Result<Loaded, LoadError> {
    google::load_with(&check_google(settings).unwrap(), progress(), quick()).await
}

#[tokio::test]
async fn google_reads_every_page_with_a_verified_service_account() {
    let f = google_server(1203, Knobs::default()).await;
    let loaded = load_google(google_settings(&f)).await.expect("loads");
    assert_eq!(loaded.people.len(), 1203, "three pages of up to 500");
    assert_eq!(f.server.user_requests.load(Ordering::SeqCst), 3);
    assert_eq!(
        f.server.token_requests.load(Ordering::SeqCst),
        1,
        "one token for the run"
    );
    let p5 = loaded
        .people
        .iter()
        .find(|p| p.external_id == "G5")
        .unwrap();
    assert_eq!(p5.email, "u5@acme.example");
    assert_eq!(
        (p5.first_name.as_str(), p5.last_name.as_str()),
        ("Given5", "Family5")
    );
    assert_eq!(p5.title.as_deref(), Some("Engineer"));
    assert_eq!(
        p5.manager_id.as_deref(),
        Some("G0"),
        "the manager's email becomes their Employee ID"
    );
    let suspended = loaded
        .people
        .iter()
        .find(|p| p.external_id == "G7")
        .unwrap();
    assert!(!suspended.active);
    assert!(loaded.notes.is_empty() && loaded.skipped.is_empty());
}

#[tokio::test]
async fn google_waits_when_throttled_and_signs_in_again_when_the_token_expires() {
    let f = google_server(
        1203,
        Knobs {
            throttle_first: true,
            ..Default::default()
        },
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        load_google(google_settings(&f)).await.unwrap().people.len(),
        1203
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(f.server.user_requests.load(Ordering::SeqCst), 4);

    let f = google_server(
        1203,
        Knobs {
            expire_after_first_page: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        load_google(google_settings(&f)).await.unwrap().people.len(),
        1203
    );
    assert_eq!(
        f.server.token_requests.load(Ordering::SeqCst),
        2,
        "a fresh token mid-run"
    );
}

#[tokio::test]
async fn google_failures_are_told_plainly_and_never_show_credentials() {
    let fails = |knobs: Knobs| async move {
        let f = google_server(1203, knobs).await;
        let pem = std::fs::read_to_string(&f.key_path).unwrap();
        let e = load_google(google_settings(&f)).await.unwrap_err().0;
        assert!(!e.contains("PRIVATE KEY") && !e.contains("ya29"), "{e}");
        // No line of the key (its JSON holds the PEM with escaped line breaks) either.
        for line in pem.split("\\n").filter(|l| l.len() >= 16) {
            assert!(!e.contains(line), "{e}");
        }
        e
    };
    let e = fails(Knobs {
        forbidden: true,
        ..Default::default()
    })
    .await;
    assert!(e.contains("refused to list users: 403 Forbidden"), "{e}");
    let e = fails(Knobs {
        malformed: true,
        ..Default::default()
    })
    .await;
    assert!(e.contains("not valid JSON"), "{e}");
    let e = fails(Knobs {
        loop_tokens: true,
        ..Default::default()
    })
    .await;
    assert!(e.contains("page token it had already sent"), "{e}");
    let e = fails(Knobs {
        always_503: true,
        ..Default::default()
    })
    .await;
    assert!(
        e.contains("kept answering 503 Service Unavailable after 3 attempts"),
        "{e}"
    );
    let e = fails(Knobs {
        slow: true,
        ..Default::default()
    })
    .await;
    assert!(e.contains("did not answer in time"), "{e}");

    // A key the token service does not know.
    let f = google_server(10, Knobs::default()).await;
    let (_, other_key) = service_account(f._dir.path(), "other");
    let mut s = google_settings(&f);
    s.service_account_key = format!("file:{}", other_key.display());
    let e = load_google(s).await.unwrap_err().0;
    assert!(
        e.contains("refused the service account's sign-in (invalid_grant)"),
        "{e}"
    );

    // The same key as PKCS#1 (`BEGIN RSA PRIVATE KEY`) signs in as well; a key file
    // without its client_email says which field it lacks.
    let dir = f._dir.path();
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&f.key_path).unwrap()).unwrap();
    std::fs::write(dir.join("sa8.pem"), key["private_key"].as_str().unwrap()).unwrap();
    let converted = std::process::Command::new("openssl")
        .args(["rsa", "-traditional", "-in"])
        .arg(dir.join("sa8.pem"))
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    let pkcs1 = String::from_utf8(converted.stdout).unwrap();
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"), "{pkcs1}");
    for (name, edit) in [("pkcs1", true), ("no-email", false)] {
        let mut key = key.clone();
        if edit {
            key["private_key"] = pkcs1.clone().into();
        } else {
            key.as_object_mut().unwrap().remove("client_email");
        }
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, key.to_string()).unwrap();
        let mut s = google_settings(&f);
        s.service_account_key = format!("file:{}", path.display());
        let loaded = load_google(s).await;
        if edit {
            assert!(loaded.is_ok(), "a PKCS#1 key signs in");
        } else {
            let e = loaded.unwrap_err().0;
            assert!(e.contains(r#"missing field "client_email""#), "{e}");
        }
    }

    let mut s = google_settings(&f);
    s.base_url = Some("http://127.0.0.1:9".into());
    let e = load_google(s).await.unwrap_err().0;
    assert!(e.contains("connection was refused"), "{e}");

    let mut s = google_settings(&f);
    s.base_url = Some("http://no-such-host.invalid".into());
    let e = load_google(s).await.unwrap_err().0;
    assert!(
        e.contains("could not be found (DNS)") || e.contains("did not answer in time"),
        "{e}"
    );

    let mut s = google_settings(&f);
    s.service_account_key = "env:UP_TEST_NO_SUCH_KEY".into();
    let e = load_google(s).await.unwrap_err().0;
    assert!(e.contains("UP_TEST_NO_SUCH_KEY is not set"), "{e}");

    let f = google_server(0, Knobs::default()).await;
    let e = load_google(google_settings(&f)).await.unwrap_err().0;
    assert!(e.contains("holds no users"), "{e}");
}

#[tokio::test]
async fn google_honours_retry_after_given_as_an_http_date() {
    let f = google_server(
        1203,
        Knobs {
            throttle_first: true,
            retry_after: Some(RetryAfter::DateIn(Duration::from_secs(2))),
            ..Default::default()
        },
    )
    .await;
    let started = Instant::now();
    let loaded = load_google(google_settings(&f)).await.expect("loads");
    let waited = started.elapsed();
    assert_eq!(loaded.people.len(), 1203);
    // The date is 2 s ahead in whole seconds: 1-2 s of waiting, where the 50 ms backoff
    // would be used if the date were not understood.
    assert!(waited >= Duration::from_millis(500), "waited {waited:?}");
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    assert_eq!(
        f.server.user_requests.load(Ordering::SeqCst),
        4,
        "429, then 3 pages"
    );
}

#[tokio::test]
async fn google_gives_up_at_once_when_asked_to_wait_longer_than_max_wait() {
    // Longer than Retry::max_wait (5 s): the run ends at once rather than wait an hour.
    let f = google_server(
        1203,
        Knobs {
            throttle_first: true,
            retry_after: Some(RetryAfter::DateIn(Duration::from_secs(3600))),
            ..Default::default()
        },
    )
    .await;
    let started = Instant::now();
    let e = load_google(google_settings(&f)).await.unwrap_err().0;
    assert!(started.elapsed() < Duration::from_secs(2), "did not wait");
    assert!(
        e.contains("Google Workspace asked to wait 3600 seconds before trying again (too busy); the sync will try at its next run.")
            || e.contains("Google Workspace asked to wait 3599 seconds before trying again (too busy); the sync will try at its next run."),
        "{e}"
    );
    assert_eq!(
        f.server.user_requests.load(Ordering::SeqCst),
        1,
        "no second try"
    );
}

#[tokio::test]
async fn google_signs_in_once_more_on_a_401_then_says_so_plainly() {
    let f = google_server(
        10,
        Knobs {
            always_401: true,
            ..Default::default()
        },
    )
    .await;
    let e = load_google(google_settings(&f)).await.unwrap_err().0;
    assert!(
        e.contains("Google Workspace refused to list users: 401 Unauthorized (the credentials were refused)"),
        "{e}"
    );
    assert!(e.contains(ADMIN), "names the admin acted as: {e}");
    assert!(!e.contains("ya29") && !e.contains("PRIVATE KEY"), "{e}");
    assert_eq!(
        f.server.token_requests.load(Ordering::SeqCst),
        2,
        "exactly one fresh sign-in after the 401"
    );
    assert_eq!(f.server.user_requests.load(Ordering::SeqCst), 2);
    assert_eq!(f.server.unauthorized.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn google_lists_by_domain_and_names_an_unknown_customer_or_domain() {
    let f = google_server(
        1203,
        Knobs {
            domain: Some("acme.example"),
            ..Default::default()
        },
    )
    .await;
    // The server refuses customer= here, so this loads only if domain= was sent instead.
    let mut s = google_settings(&f);
    s.customer = None;
    s.domain = Some("acme.example".into());
    let loaded = load_google(s).await.expect("loads by domain");
    assert_eq!(loaded.people.len(), 1203);
    assert_eq!(f.server.user_requests.load(Ordering::SeqCst), 3);

    let mut s = google_settings(&f);
    s.customer = None;
    s.domain = Some("other.example".into());
    let e = load_google(s).await.unwrap_err().0;
    assert!(
        e.contains("Google Workspace did not find the domain \"other.example\" (404 Not Found)."),
        "{e}"
    );

    let f = google_server(10, Knobs::default()).await;
    let mut s = google_settings(&f);
    s.customer = Some("C03nosuch".into());
    let e = load_google(s).await.unwrap_err().0;
    assert!(
        e.contains("Google Workspace did not find the customer \"C03nosuch\" (400 Bad Request)."),
        "{e}"
    );
    assert!(!e.contains("ya29"), "{e}");
}

#[tokio::test]
async fn google_refreshes_a_short_lived_token_before_it_expires() {
    // A token that lives 60 s is never "good for at least another minute": the client
    // signs in again before each page rather than wait for a 401.
    let f = google_server(
        1203,
        Knobs {
            expires_in: Some(60),
            ..Default::default()
        },
    )
    .await;
    let loaded = load_google(google_settings(&f)).await.expect("loads");
    assert_eq!(loaded.people.len(), 1203);
    assert_eq!(
        f.server.token_requests.load(Ordering::SeqCst),
        3,
        "one sign-in per page"
    );
    assert_eq!(
        f.server.user_requests.load(Ordering::SeqCst),
        3,
        "no page asked twice"
    );
    assert_eq!(
        f.server.unauthorized.load(Ordering::SeqCst),
        0,
        "never a 401"
    );
}

#[tokio::test]
async fn google_users_map_archived_departments_and_employee_ids() {
    let mut users: Vec<Value> = (0..5).map(google_user).collect();
    for (i, u) in users.iter_mut().enumerate() {
        // A login_id ahead of the organization id: the configured type decides.
        u["externalIds"] = json!([
            {"value": format!("L{i}"), "type": "login_id"},
            {"value": format!("G{i}"), "type": "organization"},
            {"value": format!("E{i}"), "type": "custom", "customType": "EmployeeNumber"},
        ]);
    }
    users[1]["archived"] = json!(true);
    users[2]["organizations"] = json!([
        {"title": "Intern", "department": "Sales", "primary": false},
        {"title": "Staff Engineer", "department": "Platform", "primary": true},
    ]);
    users[3].as_object_mut().unwrap().remove("externalIds");
    users[4]["externalIds"] = json!([
        {"value": "  ", "type": "organization"},
        {"value": "L4", "type": "login_id"},
    ]);
    let f = google_server_with(users, Knobs::default()).await;
    let by_email = |l: &Loaded, email: &str| {
        l.people
            .iter()
            .find(|p| p.email == email)
            .unwrap_or_else(|| panic!("{email} loaded"))
            .clone()
    };

    // Defaults: the organization id; no id, no person.
    let l = load_google(google_settings(&f)).await.unwrap();
    assert_eq!(l.records, 5);
    let ids: Vec<&str> = l.people.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["G0", "G1", "G2"]);
    assert!(by_email(&l, "u0@acme.example").active);
    let archived = by_email(&l, "u1@acme.example");
    assert!(!archived.active, "archived: true is inactive");
    assert_eq!(archived.department.as_deref(), Some("R&D"));
    assert_eq!(archived.manager_id.as_deref(), Some("G0"));
    let two_orgs = by_email(&l, "u2@acme.example");
    assert_eq!(
        (two_orgs.title.as_deref(), two_orgs.department.as_deref()),
        (Some("Staff Engineer"), Some("Platform")),
        "the primary organization"
    );
    let skipped: Vec<(Option<&str>, &str)> = l
        .skipped
        .iter()
        .map(|s| (s.email.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("u3@acme.example"), "No Employee ID. Record skipped."),
            (Some("u4@acme.example"), "No Employee ID. Record skipped."),
        ]
    );

    // employee_id_type picks that externalIds entry, managers included.
    let mut s = google_settings(&f);
    s.employee_id_type = Some("login_id".into());
    let l = load_google(s).await.unwrap();
    let ids: Vec<&str> = l.people.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["L0", "L1", "L2", "L4"]);
    assert_eq!(
        by_email(&l, "u4@acme.example").manager_id.as_deref(),
        Some("L0")
    );
    assert_eq!(l.skipped.len(), 1);

    // A custom type is named by its customType.
    let mut s = google_settings(&f);
    s.employee_id_type = Some("EmployeeNumber".into());
    let l = load_google(s).await.unwrap();
    let ids: Vec<&str> = l.people.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["E0", "E1", "E2"]);
    assert_eq!(
        by_email(&l, "u2@acme.example").manager_id.as_deref(),
        Some("E0")
    );

    // employee_id_fallback = "id": Google's own id where there is no (non-blank) Employee ID.
    let mut s = google_settings(&f);
    s.employee_id_fallback = Some("id".into());
    let l = load_google(s).await.unwrap();
    let ids: Vec<&str> = l.people.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["G0", "G1", "G2", "1000003", "1000004"]);
    assert_eq!(
        by_email(&l, "u3@acme.example").manager_id.as_deref(),
        Some("G0")
    );
    assert!(l.skipped.is_empty());
}

// Workday.

struct Workday {
    password: String,
    entries: Vec<Value>,
    requests: AtomicUsize,
    throttle_first: bool,
    /// `Retry-After` of the throttled first answer (default: 1 second).
    retry_after: Option<RetryAfter>,
    body: Option<&'static str>,
    /// Answer this status to every request (after checking the credentials).
    status: Option<StatusCode>,
    /// Wait this long before answering.
    delay: Option<Duration>,
    /// Answer 200 to an authorised request for the report, then fail to deliver all of it.
    cut_off: Option<CutOff>,
}

/// How the report stops arriving. These are served over a bare TCP socket, since a
/// well-behaved HTTP server will not send a body shorter than its Content-Length.
#[derive(Clone, Copy, Debug)]
enum CutOff {
    /// `Content-Length` of the whole report; half of it is sent, then the connection closes.
    ShortContentLength,
    /// Chunked; a chunk announced as the whole report carries half of it, then the
    /// connection closes (no terminating zero-length chunk).
    ChunkedStops,
    /// `Content-Length` of the whole report; half of it is sent, then nothing more while
    /// the connection stays open.
    Stalls,
}

impl Workday {
    /// The `Authorization` header of the Integration System User.
    fn credentials(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("ISU_Blink:{}", self.password))
        )
    }
}

async fn report(
    State(w): State<Arc<Workday>>,
    axum::extract::Path((tenant, owner, report)): axum::extract::Path<(String, String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = w.requests.fetch_add(1, Ordering::SeqCst);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(w.credentials().as_str())
    {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    if (tenant.as_str(), owner.as_str(), report.as_str()) != ("acme", "ISU_Blink", "Blink_Workers")
        || q.get("format").map(String::as_str) != Some("json")
    {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    if w.throttle_first && n == 0 {
        let after = w.retry_after.unwrap_or(RetryAfter::Secs(1)).header();
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", after)], "").into_response();
    }
    if let Some(d) = w.delay {
        tokio::time::sleep(d).await;
    }
    if let Some(status) = w.status {
        return (status, "no").into_response();
    }
    if let Some(body) = w.body {
        return (StatusCode::OK, body).into_response();
    }
    Json(json!({"Report_Entry": w.entries})).into_response()
}

fn worker(i: usize) -> Value {
    let mut e = json!({
        "Employee_ID": format!("W{i}"),
        "Email_Address": format!("w{i}@acme.example"),
        "First_Name": format!("First{i}"),
        "Last_Name": format!("Last{i}"),
        "Business_Title": "Analyst",
        "Department": {"Descriptor": "Finance", "ID": "ORG-7"},
        "Active": if i % 50 == 3 { "0" } else { "1" },
    });
    if i > 0 {
        e["Manager_ID"] = json!("W0");
    }
    e
}

async fn workday_server(w: Workday) -> (Arc<Workday>, String) {
    let w = Arc::new(w);
    if let Some(how) = w.cut_off {
        return (w.clone(), cut_off_server(w, how).await);
    }
    let base = serve(
        Router::new()
            .route(
                "/ccx/service/customreport2/{tenant}/{owner}/{report}",
                get(report),
            )
            .with_state(w.clone()),
    )
    .await;
    (w, base)
}

/// Speaks just enough HTTP/1.1 by hand to answer the report request (checking the path
/// and the credentials like [`report`]) with a body that never fully arrives.
async fn cut_off_server(w: Arc<Workday>, how: CutOff) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let w = w.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|x| x == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                w.requests.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&head).into_owned();
                let mut lines = head.split("\r\n");
                let request_line = lines.next().unwrap_or("");
                let authorised = lines.any(|l| {
                    l.split_once(':').is_some_and(|(name, value)| {
                        name.eq_ignore_ascii_case("authorization")
                            && value.trim() == w.credentials()
                    })
                });
                let known = request_line
                    == "GET /ccx/service/customreport2/acme/ISU_Blink/Blink_Workers?format=json HTTP/1.1";
                if !(authorised && known) {
                    let _ = socket
                        .write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let body = json!({"Report_Entry": w.entries}).to_string();
                let half = &body.as_bytes()[..body.len() / 2];
                let head = match how {
                    CutOff::ShortContentLength | CutOff::Stalls => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    ),
                    CutOff::ChunkedStops => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
                        body.len()
                    ),
                };
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                // Half the report, in pieces, so some of it has been read when it stops.
                for piece in half.chunks(16 * 1024) {
                    if socket.write_all(piece).await.is_err() {
                        return;
                    }
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                if let CutOff::Stalls = how {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    base
}

fn workday(entries: usize) -> Workday {
    Workday {
        password: "wd-secret-pw".into(),
        entries: (0..entries).map(worker).collect(),
        requests: AtomicUsize::new(0),
        throttle_first: false,
        retry_after: None,
        body: None,
        status: None,
        delay: None,
        cut_off: None,
    }
}

fn workday_settings(base: &str, password_env: &str) -> WorkdaySettings {
    WorkdaySettings {
        host: "wd5-impl-services1.workday.com".into(),
        tenant: "acme".into(),
        owner: "ISU_Blink".into(),
        report: "Blink_Workers".into(),
        password: format!("env:{password_env}"),
        base_url: Some(base.into()),
        timeout_secs: Some(5),
        ..Default::default()
    }
}

async fn load_workday(settings: WorkdaySettings) -> Result<Loaded, LoadError> {
    workday::load_with(&check_workday(settings).unwrap(), progress(), quick()).await
}

#[tokio::test]
async fn workday_reads_the_report_entry_by_entry() {
    std::env::set_var("UP_TEST_WD_PW", "wd-secret-pw");
    let (w, base) = workday_server(Workday {
        throttle_first: true,
        ..workday(2500)
    })
    .await;
    let loaded = load_workday(workday_settings(&base, "UP_TEST_WD_PW"))
        .await
        .expect("loads");
    assert_eq!(
        w.requests.load(Ordering::SeqCst),
        2,
        "a 429 with Retry-After, then the report"
    );
    assert_eq!(loaded.people.len(), 2500);
    let p = &loaded.people[3];
    assert_eq!(
        (p.external_id.as_str(), p.email.as_str()),
        ("W3", "w3@acme.example")
    );
    assert_eq!(
        p.department.as_deref(),
        Some("Finance"),
        "a reference's descriptor"
    );
    assert_eq!(p.title.as_deref(), Some("Analyst"));
    assert_eq!(p.manager_id.as_deref(), Some("W0"));
    assert!(!p.active, "Active: 0");
}

#[tokio::test]
async fn workday_failures_are_told_plainly() {
    std::env::set_var("UP_TEST_WD_PW2", "wd-secret-pw");
    std::env::set_var("UP_TEST_WD_WRONG", "not-it-123");
    let (_, base) = workday_server(workday(10)).await;
    let e = load_workday(workday_settings(&base, "UP_TEST_WD_WRONG"))
        .await
        .unwrap_err()
        .0;
    assert!(
        e.contains("refused the Integration System User ISU_Blink's credentials (401"),
        "{e}"
    );
    assert!(!e.contains("not-it-123"));
    let mut s = workday_settings(&base, "UP_TEST_WD_PW2");
    s.report = "No_Such_Report".into();
    let e = load_workday(s).await.unwrap_err().0;
    assert!(
        e.contains("did not find the report ISU_Blink/No_Such_Report in tenant acme (404"),
        "{e}"
    );
    for (body, words) in [
        (
            "{\"Report_Entry\": [{\"Employee_ID\": \"W1\",",
            "not valid JSON",
        ),
        ("{\"Entries\": []}", "no Report_Entry list"),
        ("[1, 2, 3]", "not valid JSON"),
        (
            "{\"Report_Entry\": [42]}",
            "Entry 1 of the Workday report is not an object",
        ),
        ("{\"Report_Entry\": []}", "holds no users"),
        (
            "{\"Report_Entry\": [{\"Worker\": \"Ann\"}]}",
            "No Employee ID",
        ),
    ] {
        let (_, base) = workday_server(Workday {
            body: Some(body),
            ..workday(0)
        })
        .await;
        let e = load_workday(workday_settings(&base, "UP_TEST_WD_PW2"))
            .await
            .unwrap_err()
            .0;
        assert!(e.contains(words), "{body}: {e}");
    }
}

#[tokio::test]
async fn workday_transport_failures_are_told_plainly() {
    std::env::set_var("UP_TEST_WD_PW4", "wd-secret-pw");
    let check = |e: LoadError, words: &str| {
        assert!(e.0.contains(words), "expected {words:?} in {:?}", e.0);
        assert!(!e.0.contains("wd-secret-pw"), "{}", e.0);
    };
    let (_, base) = workday_server(Workday {
        status: Some(StatusCode::FORBIDDEN),
        ..workday(1)
    })
    .await;
    check(
        load_workday(workday_settings(&base, "UP_TEST_WD_PW4"))
            .await
            .unwrap_err(),
        "lacks permission to run it",
    );
    let (w, base) = workday_server(Workday {
        status: Some(StatusCode::SERVICE_UNAVAILABLE),
        ..workday(1)
    })
    .await;
    check(
        load_workday(workday_settings(&base, "UP_TEST_WD_PW4"))
            .await
            .unwrap_err(),
        "kept answering 503 Service Unavailable after 3 attempts",
    );
    assert_eq!(w.requests.load(Ordering::SeqCst), 3, "bounded attempts");
    let (_, base) = workday_server(Workday {
        delay: Some(Duration::from_secs(4)),
        ..workday(1)
    })
    .await;
    let mut slow = workday_settings(&base, "UP_TEST_WD_PW4");
    slow.timeout_secs = Some(1);
    check(
        load_workday(slow).await.unwrap_err(),
        "did not answer in time",
    );
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    check(
        load_workday(workday_settings(
            &format!("http://{closed}"),
            "UP_TEST_WD_PW4",
        ))
        .await
        .unwrap_err(),
        "the connection was refused",
    );
}

#[tokio::test]
async fn workday_gives_up_at_once_when_asked_to_wait_too_long() {
    std::env::set_var("UP_TEST_WD_PW7", "wd-secret-pw");
    for (after, waits) in [
        (RetryAfter::Secs(3600), &[3600][..]),
        // An HTTP date 10 minutes ahead: 599 or 600 seconds in whole seconds.
        (
            RetryAfter::DateIn(Duration::from_secs(600)),
            &[599, 600][..],
        ),
    ] {
        let (w, base) = workday_server(Workday {
            throttle_first: true,
            retry_after: Some(after),
            ..workday(10)
        })
        .await;
        let started = Instant::now();
        let e = load_workday(workday_settings(&base, "UP_TEST_WD_PW7"))
            .await
            .unwrap_err()
            .0;
        assert!(started.elapsed() < Duration::from_secs(2), "did not wait");
        assert!(
            waits
                .iter()
                .any(|s| e.contains(&format!("Workday asked to wait {s} seconds"))),
            "{waits:?}: {e}"
        );
        assert!(
            e.contains(
                "seconds before trying again (too busy); the sync will try at its next run."
            ),
            "{e}"
        );
        assert!(!e.contains("wd-secret-pw"), "{e}");
        assert_eq!(w.requests.load(Ordering::SeqCst), 1, "no second try");
    }
}

#[tokio::test]
async fn a_workday_report_cut_off_mid_stream_fails_plainly() {
    std::env::set_var("UP_TEST_WD_PW8", "wd-secret-pw");
    let broke =
        "The connection to Workday broke while the report was arriving; nothing was changed.";
    let stopped = "Workday stopped sending the report part-way; nothing was changed.";
    for (how, words) in [
        (CutOff::ShortContentLength, broke),
        (CutOff::ChunkedStops, broke),
        (CutOff::Stalls, stopped),
    ] {
        let (w, base) = workday_server(Workday {
            cut_off: Some(how),
            ..workday(2000)
        })
        .await;
        let mut s = workday_settings(&base, "UP_TEST_WD_PW8");
        s.timeout_secs = Some(1);
        let started = Instant::now();
        let e = load_workday(s).await.unwrap_err().0;
        assert_eq!(e, words, "{how:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "{how:?}");
        assert_eq!(w.requests.load(Ordering::SeqCst), 1, "{how:?}");
        let credentials = w.credentials();
        for secret in ["wd-secret-pw", credentials.trim_start_matches("Basic ")] {
            assert!(!e.contains(secret), "{e}");
        }
    }
}

#[tokio::test]
async fn a_workday_terminated_field_is_read_by_default() {
    std::env::set_var("UP_TEST_WD_PW5", "wd-secret-pw");
    let entries = (0..4)
        .map(|i| {
            let mut e = worker(i);
            let o = e.as_object_mut().unwrap();
            o.remove("Active");
            o.insert("Terminated".into(), json!(if i == 2 { "1" } else { "0" }));
            e
        })
        .collect();
    let (_, base) = workday_server(Workday {
        entries,
        ..workday(0)
    })
    .await;
    let loaded = load_workday(workday_settings(&base, "UP_TEST_WD_PW5"))
        .await
        .unwrap();
    let active: Vec<bool> = loaded.people.iter().map(|p| p.active).collect();
    assert_eq!(active, [true, true, false, true]);
}

/// A source that fails ends its run as Data Load Failed with the reason as an error log
/// entry, and nothing of the credentials in either.
async fn api_failures_end_the_run_as_data_load_failed(db: &sea_orm::DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    let s = common::sync::setup(db, "Acme", "unused.csv").await;
    std::env::set_var("UP_TEST_WD_PW6", "wd-secret-pw");
    std::env::set_var("UP_TEST_WD_WRONG6", "not-it-456");
    let (_, wd_base) = workday_server(workday(5)).await;
    let g = google_server(
        5,
        Knobs {
            forbidden: true,
            ..Knobs::default()
        },
    )
    .await;
    for (kind, settings, words) in [
        (
            "workday",
            serde_json::to_string(&workday_settings(&wd_base, "UP_TEST_WD_WRONG6")).unwrap(),
            "refused the Integration System User ISU_Blink's credentials",
        ),
        (
            "google_workspace",
            serde_json::to_string(&google_settings(&g)).unwrap(),
            "refused to list users: 403 Forbidden",
        ),
    ] {
        db.execute(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                "UPDATE sync_configurations SET source_kind = $1, settings = $2 WHERE id = $3"
            } else {
                "UPDATE sync_configurations SET source_kind = ?, settings = ? WHERE id = ?"
            },
            [kind.into(), settings.into(), s.config.into()],
        ))
        .await
        .unwrap();
        let users_before = common::sync::users(db, s.org).await;
        let run = common::sync::sync_now(db, s.config).await;
        assert_eq!(run.status, "data_load_failed", "{kind}");
        let reason = run.status_reason.clone().unwrap_or_default();
        assert!(reason.contains(words), "{kind}: {reason}");
        let logs = common::sync::logs(db, run.id).await;
        assert_eq!(logs.len(), 1, "{kind}: one error entry");
        let entry = format!("{:?}", logs[0]);
        assert!(entry.contains(words), "{kind}: {entry}");
        for secret in ["not-it-456", "wd-secret-pw", "PRIVATE KEY", "ya29"] {
            assert!(
                !entry.contains(secret) && !reason.contains(secret),
                "{kind}: {secret}"
            );
        }
        assert_eq!(
            common::sync::users(db, s.org).await,
            users_before,
            "{kind}: nothing changed"
        );
    }
}

on_both_backends!(api_failures, api_failures_end_the_run_as_data_load_failed);

/// Both API sources through the engine, stored as configurations, on SQLite and PostgreSQL.
async fn api_runs_end_in_success(db: &sea_orm::DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    let s = common::sync::setup(db, "Acme", "unused.csv").await;
    let g = google_server(600, Knobs::default()).await;
    std::env::set_var("UP_TEST_WD_PW3", "wd-secret-pw");
    let (_, wd_base) = workday_server(workday(300)).await;
    for (kind, settings, created) in [
        // Suspended / inactive people are not created: 6 in each.
        (
            "google_workspace",
            serde_json::to_string(&google_settings(&g)).unwrap(),
            594,
        ),
        (
            "workday",
            serde_json::to_string(&workday_settings(&wd_base, "UP_TEST_WD_PW3")).unwrap(),
            294,
        ),
    ] {
        db.execute(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                "UPDATE sync_configurations SET source_kind = $1, settings = $2 WHERE id = $3"
            } else {
                "UPDATE sync_configurations SET source_kind = ?, settings = ? WHERE id = ?"
            },
            [kind.into(), settings.into(), s.config.into()],
        ))
        .await
        .unwrap();
        // Each source manages its own people: a fresh organisation's worth per kind.
        db.execute_unprepared("UPDATE users SET managed_by_configuration_id = NULL")
            .await
            .unwrap();
        db.execute_unprepared("DELETE FROM users").await.unwrap();
        let run = common::sync::sync_now(db, s.config).await;
        assert_eq!(
            run.status,
            "success",
            "{kind}: {:?}",
            common::sync::logs(db, run.id).await.first()
        );
        assert_eq!(run.created, created, "{kind}");
    }
}

on_both_backends!(api_runs, api_runs_end_in_success);
