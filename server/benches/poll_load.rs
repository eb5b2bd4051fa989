//! The live view under load, against one server on SQLite with the full demo data:
//!
//! 1. 500 admins, each with a session of their own, poll `poll_sync_runs` every 2.5 s (the
//!    page's pace while a run is active) for 60 s: errors, p50 / p99 / max latency.
//! 2. Saturation, side by side in the same process and driven by the same closed loop of
//!    concurrent clients: the poll server function; a plain axum JSON handler doing the
//!    same work (session, changes, page) through the same code; and, for scale, a plain
//!    handler answering the same bytes without any work. Requests per second and ratios.
//!
//! `cargo bench -p server --bench poll_load`
//! (`UP_BENCH_ADMINS`, `UP_BENCH_SECS`, `UP_BENCH_SATURATE_SECS` to change the shape).

#[path = "support/stats.rs"]
mod stats;

use axum::{extract::Query, response::IntoResponse, routing::get, Json, Router};
use chrono::Utc;
use leptos::prelude::LeptosOptions;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use server::db::entities::{session, user};
use server::{auth::passwords, db, demo, http::startup, store::SeaStore};
use stats::env_number;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Requests per second from `clients` loops sending `request` for `secs`, and the errors.
async fn saturate(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    clients: usize,
    secs: u64,
) -> (f64, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, cookie, stop) = (
                client.clone(),
                url.to_string(),
                cookie.to_string(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let (mut ok, mut errors) = (0usize, 0usize);
                while !stop.load(Ordering::Relaxed) {
                    match client.get(&url).header("cookie", &cookie).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            ok += 1;
                        }
                        _ => errors += 1,
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut errors) = (0, 0);
    for t in tasks {
        let (o, e) = t.await.unwrap();
        ok += o;
        errors += e;
    }
    (ok as f64 / started.elapsed().as_secs_f64(), errors)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let admins = env_number("UP_BENCH_ADMINS", 500) as usize;
    let secs = env_number("UP_BENCH_SECS", 60);
    let saturate_secs = env_number("UP_BENCH_SATURATE_SECS", 10);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/load.db?mode=rwc", dir.path().display());
    let conn = db::connect(&url).await.unwrap();
    demo::seed(&conn, &demo::DemoSize::full(), Utc::now())
        .await
        .unwrap();
    let options = LeptosOptions::builder()
        .output_name("user-provisioning")
        .build();
    let app = startup::router(SeaStore::new(conn.clone()).into_stores(), options);
    let base = serve(app).await;

    // A session per simulated admin, for the two Acme accounts that may use the page.
    let mut cookies = Vec::with_capacity(admins);
    let admins_of_acme: Vec<i64> = user::Entity::find()
        .filter(user::Column::Email.is_in(["org.admin@acme.example", "people.admin@acme.example"]))
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    let now = Utc::now().timestamp_millis();
    for i in 0..admins {
        let token = passwords::new_session_token();
        session::ActiveModel {
            token_hash: Set(passwords::token_hash(&token)),
            user_id: Set(admins_of_acme[i % admins_of_acme.len()]),
            created_at_ms: Set(now),
            expires_at_ms: Set(now + 3_600_000),
            last_seen_at_ms: Set(now),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
        cookies.push(format!("up_session={token}"));
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(admins)
        .build()
        .unwrap();
    // What the page has seen: the first page's count of changes. Then the newest run
    // moves on, as an active run does between two polls: each poll answers that change
    // and the first page.
    let page: serde_json::Value = client
        .get(format!("{base}/api/list_sync_runs?query="))
        .header("cookie", &cookies[0])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let since = page["changes_seen"].as_i64().unwrap();
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared(&format!(
        "UPDATE sync_runs SET version = version + 1 WHERE id = {}",
        page["runs"][0]["id"]
    ))
    .await
    .unwrap();
    // The page says how far down its rows reach: the last row's sort instant.
    let last = &page["runs"][page["runs"].as_array().unwrap().len() - 1];
    let held = last["started_at_ms"]
        .as_i64()
        .or(last["queued_at_ms"].as_i64())
        .unwrap();
    let poll = format!("{base}/api/poll_sync_runs?query=&since={since}&held={held}");

    // 1. Many admins at the page's pace.
    println!("{admins} admins polling every 2.5 s for {secs} s (one run changed since each page's count)…");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = cookies
        .iter()
        .enumerate()
        .map(|(i, cookie)| {
            let (client, poll, cookie) = (client.clone(), poll.clone(), cookie.clone());
            tokio::spawn(async move {
                // Spread the admins over the interval, as real page loads would be.
                tokio::time::sleep(Duration::from_millis((i as u64 * 2500) / admins as u64)).await;
                let mut tick = tokio::time::interval(Duration::from_millis(2500));
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    tick.tick().await;
                    let t = Instant::now();
                    match client.get(&poll).header("cookie", &cookie).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies.push(t.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    println!();
    println!("| admins | seconds | requests | errors | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {admins} | {secs} | {} | {errors} | {} | {} | {} |",
        all.len() + errors,
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default()),
    );

    // 2. Saturation beside a plain handler answering the same bytes.
    let body = client
        .get(&poll)
        .header("cookie", &cookies[0])
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let plain = serve(Router::new().route(
        "/plain",
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    ))
    .await;
    let plain = format!("{plain}/plain");
    let stores = SeaStore::new(conn.clone()).into_stores();
    let same_work = serve(Router::new().route(
        "/poll",
        get(
            move |Query(q): Query<HashMap<String, String>>, parts: http::request::Parts| {
                let stores = stores.clone();
                async move {
                    let ctx = app::api::session::Ctx::for_request(stores, parts);
                    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
                    let held = q.get("held").map(String::as_str);
                    match app::api::runs::poll_changes(&ctx, get("query"), get("since"), held).await
                    {
                        Ok(changes) => Json(changes).into_response(),
                        Err(e) => (
                            http::StatusCode::from_u16(e.status_code()).unwrap(),
                            Json(e),
                        )
                            .into_response(),
                    }
                }
            },
        ),
    ))
    .await;
    let same_work = format!("{same_work}/poll?query=&since={since}&held={held}");
    println!();
    println!("Saturation, 64 concurrent clients, {saturate_secs} s per pass, alternating:");
    println!();
    println!("| pass | poll_sync_runs (server fn) req/s | plain axum handler, same work, req/s | ratio | plain axum, canned bytes, req/s | errors |");
    println!("|---|---|---|---|---|---|");
    for pass in 1..=2 {
        let (ours, e1) = saturate(&client, &poll, &cookies[0], 64, saturate_secs).await;
        let (work, e2) = saturate(&client, &same_work, &cookies[0], 64, saturate_secs).await;
        let (canned, e3) = saturate(&client, &plain, &cookies[0], 64, saturate_secs).await;
        println!(
            "| {pass} | {ours:.0} | {work:.0} | {:.2} | {canned:.0} | {} |",
            ours / work,
            e1 + e2 + e3
        );
    }
}
