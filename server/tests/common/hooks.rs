//! A webhook receiver for the alert tests, on a loopback port: it checks each request's
//! signature as a receiver would, from the documented scheme, and answers 500 to its first
//! requests when told to.
#![allow(dead_code)]

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use hmac::{Hmac, Mac};
use sea_orm::DatabaseConnection;
use server::sync::engine::now_ms;
use std::sync::{Arc, Mutex};

/// The webhooks' shared secret in these tests.
pub const SECRET: &str = "whsec-7f3a9c";

/// A webhook receiver: answers 500 to its first `fail_first` requests, 200 after, and
/// keeps every request.
#[derive(Clone, Default)]
pub struct Hook {
    fail_first: usize,
    /// Never answers: keeps each request waiting a minute.
    hang: bool,
    requests: Arc<Mutex<Vec<HookRequest>>>,
}

#[derive(Debug, Clone)]
pub struct HookRequest {
    pub delivery: String,
    pub signed: bool,
    pub body: serde_json::Value,
    pub answered: u16,
}

impl Hook {
    pub async fn start(fail_first: usize) -> (Hook, String) {
        Self::serve(Hook {
            fail_first,
            ..Default::default()
        })
        .await
    }

    /// A receiver that takes each request and never answers.
    pub async fn hanging() -> (Hook, String) {
        Self::serve(Hook {
            hang: true,
            ..Default::default()
        })
        .await
    }

    async fn serve(hook: Hook) -> (Hook, String) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(hook.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hook, url)
    }

    pub fn requests(&self) -> Vec<HookRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests answered 200.
    pub fn accepted(&self) -> Vec<HookRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.answered == 200)
            .collect()
    }
}

/// Checks the signature as a receiver would, from the documented scheme: HMAC-SHA256 of
/// `"{timestamp}.{body}"` under the shared secret, hex, after `v1=`.
async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let timestamp = header("x-up-timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let signed = header("x-up-signature") == format!("v1={expected}");
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now_ms() / 1000).abs() < 300);
    if hook.hang {
        hook.requests.lock().unwrap().push(HookRequest {
            delivery: header("x-up-delivery"),
            signed: signed && fresh,
            body: serde_json::from_str(&body).unwrap_or_default(),
            answered: 0,
        });
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        return StatusCode::OK;
    }
    let mut requests = hook.requests.lock().unwrap();
    let answered = if requests.len() < hook.fail_first {
        500
    } else {
        200
    };
    requests.push(HookRequest {
        delivery: header("x-up-delivery"),
        signed: signed && fresh,
        body: serde_json::from_str(&body).unwrap_or_default(),
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

/// Sets the organisation's webhook through the operators' configuration file, its secret
/// read from a file.
pub async fn set_webhook(db: &DatabaseConnection, org_name: &str, url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("hook-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let file = format!(
        "[[webhook]]\norganisation = \"{org_name}\"\nurl = \"{url}\"\nsecret = \"file:{}\"\n",
        secret.display()
    );
    let summary = server::operator::import_configurations(db, &file, now_ms())
        .await
        .unwrap();
    assert_eq!(summary.webhooks, vec![format!("{org_name} → {url}")]);
    dir
}
