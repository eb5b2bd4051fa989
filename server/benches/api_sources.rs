//! Google Workspace and Workday at 100,000 users: the service's loaders against local HTTP
//! servers that speak the APIs' wire formats, each beside a bare baseline in the same run.
//!
//! `cargo bench -p server --bench api_sources`   (`UP_BENCH_USERS`, default 100000)
//!
//! - Google: 200 pages of `users.list` (500 users each). Ours: `google::load` (token,
//!   paging, mapping, validation). Baseline: reqwest fetching the same pages and parsing
//!   each into `serde_json::Value`, keeping nothing.
//! - Workday: one RaaS report of 100,000 entries. Ours: `workday::load` (the body saved to
//!   a temporary file as it arrives, then read entry by entry). Baseline: the common way,
//!   the whole body in memory parsed into one `serde_json::Value`.
//!
//! For each: wall time, peak heap during the load (above what was allocated before it, by
//! a counting allocator) and, for ours, what the result keeps (the validated people the
//! plan needs). Peak minus kept is what reading costs on top of the people themselves.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use server::sync::settings::{check_google, check_workday, GoogleSettings, WorkdaySettings};
use server::sync::source::{google, workday};
use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

#[path = "../tests/common/api_peers.rs"]
mod api_peers;
#[path = "support/heap.rs"]
mod heap;
use api_peers::{quick, serve, service_account};
use heap::{measure, Measure};

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

fn mb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

/// The pages of `users.list`, made once so the server's own work stays out of the figures.
struct Directory {
    pages: Vec<String>,
}

fn google_user(i: usize) -> Value {
    json!({
        "kind": "admin#directory#user",
        "id": format!("1{i:08}"),
        "primaryEmail": format!("user{i}@acme.example"),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}"), "fullName": format!("Given{i} Family{i}")},
        "isAdmin": false,
        "suspended": i % 97 == 5,
        "archived": false,
        "externalIds": [{"value": format!("E{i}"), "type": "organization"}],
        "organizations": [{"title": "Engineer", "department": format!("Dept {}", i % 40), "primary": true}],
        "relations": if i == 0 { json!([]) } else { json!([{"value": "user0@acme.example", "type": "manager"}]) },
        "orgUnitPath": "/Staff",
        "creationTime": "2021-04-01T09:00:00.000Z",
    })
}

fn directory(users: usize) -> Directory {
    let pages = (0..users.div_ceil(500))
        .map(|p| {
            let chunk: Vec<Value> = (p * 500..((p + 1) * 500).min(users))
                .map(google_user)
                .collect();
            let mut body = json!({"kind": "admin#directory#users", "users": chunk});
            if (p + 1) * 500 < users {
                body["nextPageToken"] = json!(format!("page-{}", p + 1));
            }
            body.to_string()
        })
        .collect();
    Directory { pages }
}

async fn token() -> Response {
    axum::Json(json!({"access_token": "bench-token", "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

async fn users(
    State(d): State<Arc<Directory>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer bench-token") {
        return (axum::http::StatusCode::UNAUTHORIZED, "no").into_response();
    }
    let page: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    (
        [("content-type", "application/json; charset=UTF-8")],
        d.pages[page].clone(),
    )
        .into_response()
}

fn report(entries: usize) -> String {
    let entries: Vec<Value> = (0..entries)
        .map(|i| {
            let mut e = json!({
                "Employee_ID": format!("W{i}"),
                "Email_Address": format!("w{i}@acme.example"),
                "First_Name": format!("First{i}"),
                "Last_Name": format!("Last{i}"),
                "Business_Title": "Analyst",
                "Department": {"Descriptor": format!("Dept {}", i % 40), "ID": "ORG-7"},
                "Active": if i % 50 == 3 { "0" } else { "1" },
            });
            if i > 0 {
                e["Manager_ID"] = json!("W0");
            }
            e
        })
        .collect();
    json!({"Report_Entry": entries}).to_string()
}

fn row(what: &str, m: &Measure, kept: bool) {
    println!(
        "| {what} | {:.2} | {} | {} |",
        m.time.as_secs_f64(),
        mb(m.peak),
        if kept { mb(m.kept) } else { "—".into() }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("UP_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();

    // Google Workspace.
    let pages = Arc::new(directory(n));
    let bytes: usize = pages.pages.iter().map(String::len).sum();
    let base = serve(
        Router::new()
            .route("/token", post(token))
            .route("/admin/directory/v1/users", get(users))
            .with_state(pages.clone()),
    )
    .await;
    let settings = check_google(GoogleSettings {
        customer: Some("my_customer".into()),
        admin_email: "it.admin@acme.example".into(),
        service_account_key: format!("file:{}", service_account(dir.path(), "sa").1.display()),
        base_url: Some(base.clone()),
        token_url: Some(format!("{base}/token")),
        timeout_secs: Some(30),
        ..Default::default()
    })
    .unwrap();
    println!(
        "\nGoogle Workspace: {n} users in {} pages ({} MB of JSON)",
        pages.pages.len(),
        mb(bytes)
    );
    println!("| load | seconds | peak heap MB | kept MB |");
    println!("|---|---|---|---|");
    for round in 0..2 {
        // The first round warms connections and the allocator; the second is reported.
        let (loaded, ours) = measure(google::load_with(
            &settings,
            Arc::new(AtomicUsize::new(0)),
            quick(),
        ))
        .await;
        let loaded = loaded.expect("loads");
        assert_eq!(loaded.people.len(), n);
        let (count, bare) = measure(async {
            let mut count = 0;
            let mut token: Option<String> = None;
            loop {
                let mut req = client
                    .get(format!("{base}/admin/directory/v1/users"))
                    .bearer_auth("bench-token")
                    .query(&[("customer", "my_customer"), ("maxResults", "500")]);
                if let Some(t) = &token {
                    req = req.query(&[("pageToken", t)]);
                }
                let body = req.send().await.unwrap().bytes().await.unwrap();
                let page: Value = serde_json::from_slice(&body).unwrap();
                count += page["users"].as_array().map_or(0, Vec::len);
                match page["nextPageToken"].as_str() {
                    Some(t) => token = Some(t.to_string()),
                    None => break count,
                }
            }
        })
        .await;
        assert_eq!(count, n);
        drop(loaded);
        if round == 1 {
            row(
                "ours: `google::load` (token, pages, mapping, validation)",
                &ours,
                true,
            );
            row(
                "bare: reqwest + `serde_json::Value` per page, nothing kept",
                &bare,
                false,
            );
        }
    }

    // Workday.
    let body = Arc::new(report(n));
    let size = body.len();
    let served = body.clone();
    let base = serve(Router::new().route(
        "/ccx/service/customreport2/{tenant}/{owner}/{report}",
        get(move || {
            let body = served.clone();
            async move { ([("content-type", "application/json")], (*body).clone()) }
        }),
    ))
    .await;
    std::env::set_var("UP_BENCH_WD_PW", "bench-pw");
    let settings = check_workday(WorkdaySettings {
        host: "wd5-impl-services1.workday.com".into(),
        tenant: "acme".into(),
        owner: "ISU_Blink".into(),
        report: "Blink_Workers".into(),
        password: "env:UP_BENCH_WD_PW".into(),
        base_url: Some(base.clone()),
        timeout_secs: Some(30),
        ..Default::default()
    })
    .unwrap();
    let url = format!("{base}/ccx/service/customreport2/acme/ISU_Blink/Blink_Workers?format=json");
    println!(
        "\nWorkday: a RaaS report of {n} entries ({} MB of JSON)",
        mb(size)
    );
    println!("| load | seconds | peak heap MB | kept MB |");
    println!("|---|---|---|---|");
    for round in 0..2 {
        let (loaded, ours) = measure(workday::load_with(
            &settings,
            Arc::new(AtomicUsize::new(0)),
            quick(),
        ))
        .await;
        let loaded = loaded.expect("loads");
        assert_eq!(loaded.records, n);
        let (count, bare) = measure(async {
            let body = client
                .get(&url)
                .basic_auth("ISU_Blink", Some("bench-pw"))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let report: Value = serde_json::from_slice(&body).unwrap();
            report["Report_Entry"].as_array().map_or(0, Vec::len)
        })
        .await;
        assert_eq!(count, n);
        drop(loaded);
        if round == 1 {
            row(
                "ours: `workday::load` (streamed to a file, read entry by entry, validated)",
                &ours,
                true,
            );
            row(
                "bare: whole body in memory, one `serde_json::Value`, nothing kept",
                &bare,
                false,
            );
        }
    }
}
