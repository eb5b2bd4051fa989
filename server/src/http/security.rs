//! Headers every response carries: no sniffing, no framing, no referrer to other sites, no
//! caching of an organisation's data, and a Content Security Policy: pages may run only
//! this server's scripts and wasm, and the inline scripts that carry the response's nonce
//! (minted here per request, written by Leptos on every inline script it renders); the
//! log-file writer's worker may run its own script and wasm; every other response may run
//! nothing.

use axum::{
    body::Body,
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// A page's policy; `{nonce}` stands for the response's nonce.
const PAGE: &str = "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// For the log-file writer's Web Worker, whose script brings its own policy: it may load
/// its module's script and wasm from this server, and nothing else.
const WORKER: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     connect-src 'self'; base-uri 'none'";
/// For responses that are not pages: JSON, files, health checks.
const LOCKED_DOWN: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The nonce of one response's inline scripts, carried from [`headers`] to the render in
/// the request's extensions.
#[derive(Clone)]
pub struct ScriptNonce(Nonce);

/// For the render (as additional context): the request's nonce replaces the one Leptos
/// mints itself, so the scripts it writes carry the nonce the policy names.
pub fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ScriptNonce>().cloned());
    if let Some(ScriptNonce(nonce)) = nonce {
        provide_context(nonce);
    }
}

pub async fn headers(mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let nonce = Nonce::new();
    req.extensions_mut().insert(ScriptNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let csp = policy(&path, content_type);
    let csp_value = if csp == PAGE {
        // The nonce is URL-safe base64: always a valid header value.
        HeaderValue::from_str(&PAGE.replace("{nonce}", &nonce))
            .unwrap_or_else(|_| HeaderValue::from_static(LOCKED_DOWN))
    } else {
        HeaderValue::from_static(csp)
    };
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
    h.insert(header::CONTENT_SECURITY_POLICY, csp_value);
    // Pages and server functions carry an organisation's data: no cache, shared or the
    // browser's own, keeps a copy. Static files keep the file server's validators.
    let private = csp == PAGE || path.starts_with("/api/");
    if private && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A server function asked for by a plain form answers with a redirect back to the
/// `Referer`, which a request can set to anything: a redirect never leaves this site.
///
/// A page that redirects (signed out, say) is a redirect for every client: the framework
/// sets the status only for requests that accept HTML, and a page asked for with
/// `Accept: */*` would otherwise answer 200 with a `Location`. (Server functions keep
/// their 200: the page's code follows the header itself.)
pub async fn same_site_redirects(req: Request<Body>, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let page = !req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if page && res.status().is_success() && res.headers().contains_key(header::LOCATION) {
        *res.status_mut() = http::StatusCode::FOUND;
    }
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    if location.is_some_and(|l| !is_same_site(l, host.as_deref())) {
        tracing::warn!(location = ?location, "off-site redirect replaced");
        res.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
    }
    res
}

/// A path on this site (`/x`, not `//host/x` or `/\host`), or an address whose host is
/// the request's own.
fn is_same_site(location: &str, host: Option<&str>) -> bool {
    if let Some(path) = location.strip_prefix('/') {
        return !path.starts_with(['/', '\\']);
    }
    let Some(rest) = location
        .strip_prefix("https://")
        .or_else(|| location.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    host.is_some_and(|h| !authority.contains('@') && authority.eq_ignore_ascii_case(h))
}

/// No file or route has a path segment this long, nor a path this long: the answer is a
/// plain 404 before any handler tries (and fails, noisily) to open a file by that name.
/// (A file system refuses a name over 255 bytes, and a path over 4,096.)
pub async fn no_overlong_segments(req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1_024 || path.split('/').any(|segment| segment.len() > 255) {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    }
    next.run(req).await
}

/// The Content Security Policy of the response to `path`: pages get the page's, the log
/// writer's worker script its own, everything else none at all.
fn policy(path: &str, content_type: Option<&str>) -> &'static str {
    if content_type.is_some_and(|v| v.starts_with("text/html")) {
        PAGE
    } else if path == app::browser::LOG_WRITER_WORKER {
        WORKER
    } else {
        LOCKED_DOWN
    }
}

/// Refuses requests that change something (sign-in, sign-out, recording a download…) when a
/// browser says they come from another site: a page elsewhere cannot act with the
/// viewer's cookie. The session cookie is `SameSite=Lax` as well; this holds even where a
/// browser does not honour that. Clients that are not browsers send neither header and
/// carry their own credentials, so they pass.
///
/// Every `/api/` request is held to the same rule, reads included: serving a log file
/// records a download, and a read another site could send with the viewer's cookie would
/// tell it (by its answer or its redirect) whether the viewer is signed in and which run
/// ids exist.
pub async fn same_origin_writes(req: Request<Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) && !api;
    if safe || from_this_site(req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(
        path = req.uri().path(),
        origin = ?req.headers().get(header::ORIGIN),
        "cross-site request refused"
    );
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

/// Whether the browser's own account of where a request comes from allows it.
fn from_this_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Current browsers say it outright; proxies cannot change what the browser saw.
    match text("sec-fetch-site") {
        Some("same-origin") | Some("none") => return true,
        Some("cross-site") | Some("same-site") => return false,
        _ => {}
    }
    if let Some(origin) = text("origin") {
        // `Origin: null` (a sandboxed frame, a cross-site redirect) is never this site.
        let Some(authority) = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
        else {
            return false;
        };
        // Behind a proxy the public host may arrive as X-Forwarded-Host (the first of a
        // list is the client's) or in Forwarded's host=.
        let forwarded_host = text("forwarded").and_then(|f| {
            f.split([';', ','])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("host"))
                .map(|(_, v)| v.trim_matches('"'))
        });
        let first_forwarded =
            text("x-forwarded-host").map(|h| h.split(',').next().unwrap_or("").trim());
        return [text("host"), first_forwarded, forwarded_host]
            .into_iter()
            .flatten()
            .any(|host| host.eq_ignore_ascii_case(authority));
    }
    // Neither header: not a browser, and no ambient cookie to abuse.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn redirects_stay_on_this_site() {
        let host = Some("127.0.0.1:3000");
        for ok in [
            "/",
            "/admin/user-provisioning?range=7d",
            "http://127.0.0.1:3000/login",
            "https://127.0.0.1:3000",
        ] {
            assert!(is_same_site(ok, host), "{ok}");
        }
        for bad in [
            "https://evil.example/?",
            "//evil.example/x",
            "/\\evil.example",
            "http://127.0.0.1:3000@evil.example/",
            "http://127.0.0.1:30000/",
            "javascript:alert(1)",
            "evil.example",
        ] {
            assert!(!is_same_site(bad, host), "{bad}");
        }
        assert!(!is_same_site("http://127.0.0.1:3000/", None));
    }

    #[test]
    fn same_origin_passes() {
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(from_this_site(&headers(&[
            ("host", "internal:3000"),
            ("x-forwarded-host", "admin.example.com"),
            ("origin", "https://admin.example.com")
        ])));
    }

    #[test]
    fn other_origins_are_refused() {
        for origin in [
            "https://evil.example",
            "http://127.0.0.1:3001",
            "null",
            "http://127.0.0.1:3000.evil.example",
        ] {
            let mut h = headers(&[("host", "127.0.0.1:3000")]);
            h.insert("origin", HeaderValue::from_str(origin).unwrap());
            assert!(!from_this_site(&h), "{origin}");
        }
    }

    #[test]
    fn proxies_and_browsers_are_believed_in_that_order() {
        // The proxy rewrote Host and sent a list; the browser said same-origin.
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://admin.example.com"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "admin.example.com, internal-lb"),
            ("origin", "https://admin.example.com")
        ])));
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            (
                "forwarded",
                "for=1.2.3.4;host=admin.example.com;proto=https"
            ),
            ("origin", "https://admin.example.com")
        ])));
        // Fetch Metadata saying cross-site wins over a matching Origin.
        assert!(!from_this_site(&headers(&[
            ("host", "a.example"),
            ("origin", "https://a.example"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn only_the_worker_script_may_run_code_outside_pages() {
        let js = Some("text/javascript");
        assert_eq!(policy("/log-writer/worker.js", js), WORKER);
        assert!(WORKER.contains("script-src 'self' 'wasm-unsafe-eval'"));
        for path in [
            "/log-writer/log_writer.js",
            "/pkg/user-provisioning.js",
            "/api/x",
        ] {
            assert_eq!(policy(path, js), LOCKED_DOWN, "{path}");
        }
        // A missing worker script is answered by the HTML not-found page.
        assert_eq!(
            policy("/log-writer/worker.js", Some("text/html; charset=utf-8")),
            PAGE
        );
    }

    #[test]
    fn without_origin_fetch_metadata_decides() {
        assert!(from_this_site(&headers(&[("host", "a")])));
        assert!(from_this_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(from_this_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(!from_this_site(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!from_this_site(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
    }
}
