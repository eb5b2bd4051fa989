//! Google Workspace and Workday against local HTTP servers that speak their documented
//! wire formats: Google's token endpoint (which verifies the RS256 assertion) and
//! `users.list` paged by `pageToken`; a Workday RaaS JSON report behind basic auth.

mod common;

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
use server::sync::source::http::Retry;
use server::sync::source::{google, workday};
use server::sync::validate::{LoadError, Loaded};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "it.admin@acme.example";
const CLIENT_EMAIL: &str = "sync@acme-project.iam.gserviceaccount.com";

fn quick() -> Retry {
    Retry {
        attempts: 3,
        backoff: Duration::from_millis(50),
        max_wait: Duration::from_secs(5),
    }
}

fn progress() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An RSA key made by openssl: (PKCS#8 PEM, path of a service-account JSON key holding it).
fn service_account(dir: &Path, name: &str) -> (String, PathBuf) {
    let pem_path = dir.join(format!("{name}.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem_path)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs")
        .success();
    assert!(ok);
    let pem = std::fs::read_to_string(&pem_path).unwrap();
    let key = json!({
        "type": "service_account",
        "client_email": CLIENT_EMAIL,
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let key_path = dir.join(format!("{name}.json"));
    std::fs::write(&key_path, key.to_string()).unwrap();
    (pem, key_path)
}

#[derive(Default)]
struct Knobs {
    throttle_first: bool,
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
    g.tokens
        .lock()
        .unwrap()
        .insert(access.clone(), Instant::now() + Duration::from_secs(3600));
    Json(json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

async fn users(
    State(g): State<Arc<Google>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = g.user_requests.fetch_add(1, Ordering::SeqCst);
    let unauthorized = || {
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
    if !live {
        return unauthorized();
    }
    let k = &g.knobs;
    if k.slow {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if k.always_503 {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if k.throttle_first && n == 0 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
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
    if q.get("customer").map(String::as_str) != Some("my_customer")
        || q.get("maxResults").map(String::as_str) != Some("500")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": 400, "message": "Bad Request"}})),
        )
            .into_response();
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
        users: (0..count).map(google_user).collect(),
        tokens: Mutex::new(HashMap::new()),
        token_requests: AtomicUsize::new(0),
        user_requests: AtomicUsize::new(0),
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

// Workday.

struct Workday {
    password: String,
    entries: Vec<Value>,
    requests: AtomicUsize,
    throttle_first: bool,
    body: Option<&'static str>,
    /// Answer this status to every request (after checking the credentials).
    status: Option<StatusCode>,
    /// Wait this long before answering.
    delay: Option<Duration>,
}

async fn report(
    State(w): State<Arc<Workday>>,
    axum::extract::Path((tenant, owner, report)): axum::extract::Path<(String, String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = w.requests.fetch_add(1, Ordering::SeqCst);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("ISU_Blink:{}", w.password))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    if (tenant.as_str(), owner.as_str(), report.as_str()) != ("acme", "ISU_Blink", "Blink_Workers")
        || q.get("format").map(String::as_str) != Some("json")
    {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    if w.throttle_first && n == 0 {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response();
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

fn workday(entries: usize) -> Workday {
    Workday {
        password: "wd-secret-pw".into(),
        entries: (0..entries).map(worker).collect(),
        requests: AtomicUsize::new(0),
        throttle_first: false,
        body: None,
        status: None,
        delay: None,
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
