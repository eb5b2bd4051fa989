//! Headers every response carries: no sniffing, no framing, no referrer to other sites, and
//! a Content Security Policy: pages may run only this server's scripts and wasm (and the
//! inline scripts the page itself writes); every other response may run nothing.
//!
//! Leptos also writes a per-response nonce on its inline scripts, but under concurrent
//! requests a page was seen rendered without it (`nonce=""`), which a nonce-only policy
//! turns into a page that never hydrates; the policy therefore names 'self' and
//! 'unsafe-inline' for scripts instead of the nonce.

use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use http::{header, HeaderValue};

const PAGE: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// For responses that are not pages: JSON, files, health checks.
const LOCKED_DOWN: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub async fn headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if page { PAGE } else { LOCKED_DOWN }),
    );
    res
}
