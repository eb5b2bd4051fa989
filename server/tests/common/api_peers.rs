//! What the tests and the bench of the API sources share: a local HTTP server on a free
//! loopback port, a Google service-account key made by openssl, and quick retries.
//! Included by `tests/api_sources.rs` (through `common`) and `benches/api_sources.rs`.

use axum::Router;
use server::sync::source::http::Retry;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The service account's email, as Google would issue it.
pub const CLIENT_EMAIL: &str = "sync@acme-project.iam.gserviceaccount.com";

/// Retries short enough for tests: three attempts, 50 ms apart, waits up to 5 s.
pub fn quick() -> Retry {
    Retry {
        attempts: 3,
        backoff: Duration::from_millis(50),
        max_wait: Duration::from_secs(5),
    }
}

/// Serves `router` on a free loopback port; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An RSA key made by openssl: (PKCS#8 PEM, path of a service-account JSON key holding it).
pub fn service_account(dir: &Path, name: &str) -> (String, PathBuf) {
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
    assert!(ok, "openssl made a key");
    let pem = std::fs::read_to_string(&pem_path).unwrap();
    let key = serde_json::json!({
        "type": "service_account",
        "client_email": CLIENT_EMAIL,
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let key_path = dir.join(format!("{name}.json"));
    std::fs::write(&key_path, key.to_string()).unwrap();
    (pem, key_path)
}
