//! Static files as a release build leaves them: the page's files named by their content and
//! written beside their brotli and gzip forms, the log writer's under fixed names. Each
//! request gets the form it accepts as built (never compressed per request), the named
//! files are kept a year, the others revalidated, and pages name the hashed files.

mod common;

use axum::{body::Body, Router};
use common::http::ONE_RUNTIME_AT_A_TIME;
use common::TestDb;
use http::{header, HeaderMap, Method, Request, StatusCode};
use leptos::prelude::LeptosOptions;
use server::{http::startup, store::SeaStore};
use std::path::Path;
use tower::ServiceExt;

const JS: &str = "user-provisioning.Js_hAsH-1.js";
const WASM: &str = "user-provisioning.WaSm_hAsH-2.wasm";
const CSS: &str = "user-provisioning.CsS_hAsH-3.css";

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn fetch(app: &Router, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Writes a file and, for each suffix given, a "compressed" form whose bytes say which it
/// is (the server must send the file as found, not compress anything itself).
fn write(dir: &Path, name: &str, body: &str, forms: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), body).unwrap();
    for form in forms {
        std::fs::write(
            dir.join(format!("{name}.{form}")),
            format!("{form} of {name}"),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn static_files_are_sent_as_built_and_cached_by_their_names() {
    let _turn = ONE_RUNTIME_AT_A_TIME.lock().await;
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    // Large enough that a compressing server would compress them.
    let big = "x".repeat(4096);
    write(&pkg, JS, &big, &["br", "gz"]);
    write(&pkg, WASM, &big, &["br", "gz"]);
    write(&pkg, CSS, &big, &["br", "gz"]);
    let writer = site.path().join("log-writer");
    write(&writer, "worker.js", &big, &["gz"]);
    write(
        site.path(),
        "favicon.svg",
        &format!("<svg>{big}</svg>"),
        &[],
    );

    // Leptos reads the hashes from a file beside the running binary, as cargo-leptos
    // writes it beside the server's.
    let hash_file = "assets-test-hash.txt";
    let beside = std::env::current_exe().unwrap().with_file_name(hash_file);
    std::fs::write(
        &beside,
        "js: Js_hAsH-1\nwasm: WaSm_hAsH-2\ncss: CsS_hAsH-3\n",
    )
    .unwrap();
    let mut options = LeptosOptions::builder()
        .output_name("user-provisioning")
        .site_root(site.path().to_str().unwrap())
        .hash_file(hash_file.into())
        .build();
    server::http::assets::use_hashed_names(&mut options);
    assert!(
        options.hash_files,
        "the hash file beside the binary is found"
    );
    let db = TestDb::sqlite().await;
    let app = startup::router(SeaStore::new(db.conn.clone()).into_stores(), options);

    // The page names the hashed files, and is itself never kept.
    let page = fetch(&app, Method::GET, "/login", &[("accept", "text/html")]).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.body.clone()).unwrap();
    for name in [JS, WASM, CSS] {
        assert!(html.contains(&format!("/pkg/{name}")), "{name} in {html}");
    }
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));

    // Each encoding as built; identity for a client that accepts none.
    for (accept, form) in [
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (Some("br;q=0, gzip;q=1"), Some("gzip")),
        (Some("zstd"), None),
        (None, None),
    ] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let wasm = fetch(&app, Method::GET, &format!("/pkg/{WASM}"), &headers).await;
        assert_eq!(wasm.status, StatusCode::OK, "{accept:?}");
        assert_eq!(wasm.header(header::CONTENT_ENCODING), form, "{accept:?}");
        let expected = match form {
            Some("br") => format!("br of {WASM}").into_bytes(),
            Some(_) => format!("gz of {WASM}").into_bytes(),
            None => big.clone().into_bytes(),
        };
        assert_eq!(wasm.body, expected, "{accept:?}");
        assert_eq!(wasm.header(header::CONTENT_TYPE), Some("application/wasm"));
        assert_eq!(
            wasm.header(header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable")
        );
        assert!(
            wasm.header(header::VARY)
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{:?}",
            wasm.headers
        );
    }
    for name in [JS, CSS] {
        let file = fetch(
            &app,
            Method::GET,
            &format!("/pkg/{name}"),
            &[("accept-encoding", "br")],
        )
        .await;
        assert_eq!(file.body, format!("br of {name}").into_bytes());
        assert_eq!(
            file.header(header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable")
        );
    }

    // Fixed names are revalidated; a form not built is not made up per request.
    let worker = fetch(
        &app,
        Method::GET,
        "/log-writer/worker.js",
        &[("accept-encoding", "br, gzip")],
    )
    .await;
    assert_eq!(worker.header(header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(worker.body, b"gz of worker.js".to_vec());
    assert_eq!(worker.header(header::CACHE_CONTROL), Some("no-cache"));
    let icon = fetch(
        &app,
        Method::GET,
        "/favicon.svg",
        &[("accept-encoding", "br, gzip")],
    )
    .await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(
        icon.header(header::CONTENT_ENCODING),
        None,
        "not compressed per request"
    );
    assert_eq!(icon.body.len(), big.len() + 11);
    assert_eq!(icon.header(header::CACHE_CONTROL), Some("no-cache"));

    // Revalidation answers 304 with the same policy.
    let modified = worker.header(header::LAST_MODIFIED).unwrap().to_string();
    let again = fetch(
        &app,
        Method::GET,
        "/log-writer/worker.js",
        &[
            ("accept-encoding", "gzip"),
            ("if-modified-since", &modified),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.header(header::CACHE_CONTROL), Some("no-cache"));

    // HEAD answers like GET, without the body.
    let head = fetch(
        &app,
        Method::HEAD,
        &format!("/pkg/{JS}"),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header(header::CONTENT_ENCODING), Some("gzip"));
    assert!(head.body.is_empty());

    // A range is a piece of the file as it is; asked "if still the one I hold"
    // (If-Range), the whole file, which is right whichever the client holds.
    let piece = fetch(&app, Method::GET, "/favicon.svg", &[("range", "bytes=0-4")]).await;
    assert_eq!(piece.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(piece.body, b"<svg>".to_vec());
    // A range that is not one piece of bytes is ignored: the whole file, never a 416.
    for range in ["bytes=0-1,5-6", "bytes=5-2", "bytes=abc", "items=0-1"] {
        let whole = fetch(&app, Method::GET, "/favicon.svg", &[("range", range)]).await;
        assert_eq!(whole.status, StatusCode::OK, "{range}");
        assert_eq!(whole.body.len(), big.len() + 11);
    }
    for validator in [modified.as_str(), "\"some-etag\""] {
        let whole = fetch(
            &app,
            Method::GET,
            "/favicon.svg",
            &[("range", "bytes=0-4"), ("if-range", validator)],
        )
        .await;
        assert_eq!(whole.status, StatusCode::OK, "{validator}");
        assert_eq!(whole.body.len(), big.len() + 11);
    }

    // Files are only read: any other method is refused and sends nothing.
    for (method, path) in [
        (Method::POST, "/favicon.svg"),
        (Method::PUT, &*format!("/pkg/{JS}")),
        (Method::DELETE, "/log-writer/worker.js"),
    ] {
        let refused = fetch(&app, method.clone(), path, &[("accept", "text/html")]).await;
        assert_eq!(
            refused.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(refused.header(header::ALLOW), Some("GET, HEAD"));
        assert_eq!(refused.body, b"Method not allowed.".to_vec());
    }
    // A path that names no file is not found, whatever the method.
    for (method, path) in [
        (Method::POST, "/nowhere"),
        (Method::PUT, "/pkg/../../Cargo.toml"),
    ] {
        let missing = fetch(&app, method.clone(), path, &[]).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(missing.body, b"Not found.".to_vec());
    }

    // What names no file is the app's not-found page, never kept; folders are not listed.
    for (method, path) in [
        (Method::GET, "/pkg/user-provisioning.js"),
        (Method::GET, "/pkg/"),
        (Method::GET, "/pkg"),
        (Method::HEAD, "/nowhere"),
        (Method::GET, "/../Cargo.toml"),
    ] {
        let missing = fetch(
            &app,
            method.clone(),
            path,
            &[("accept", "text/html"), ("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            missing.header(header::CACHE_CONTROL),
            Some("no-store"),
            "{method} {path}"
        );
    }
    std::fs::remove_file(beside).unwrap();
}
