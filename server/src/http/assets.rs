//! Static files: the page's script, wasm and stylesheet, the log writer's worker and module,
//! the icons. Each is compressed once, when it is built (brotli and gzip files beside it,
//! written by `.ci/release.sh`), and a request gets the encoding it accepts as written
//! then: nothing is compressed per request.
//!
//! The page's files are named by their content (cargo-leptos `hash-files`), so a name
//! always means the same bytes: browsers keep them a year and never ask again. Files whose
//! names stay the same from build to build (the log writer's, which its worker script
//! names, and the icons) are kept but revalidated on each use. Pages and data are never
//! kept at all (see `security::headers`).

use axum::{
    extract::{Request, State},
    handler::Handler,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, StatusCode};
use leptos::prelude::LeptosOptions;
use std::path::Path;
use tower_http::{compression::Predicate, services::ServeDir};

const FOREVER: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Marks a response as a static file sent as built, so the compression layer leaves it be.
#[derive(Clone, Copy)]
pub struct StaticFile;

/// cargo-leptos writes the page's file names (`hash.txt`) beside the binary it builds
/// when it names files by content; the binary, started without cargo-leptos, learns here
/// that the names it must write into pages carry those hashes.
pub fn use_hashed_names(options: &mut LeptosOptions) {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
    if beside_binary.is_some_and(|file| file.is_file()) {
        options.hash_files = true;
    }
}

/// The site's files, for the router's fallback: a path that names no file is the app's
/// own not-found page (`not_found`), whatever the method.
pub fn service<H, T>(options: &LeptosOptions, not_found: H) -> axum::routing::MethodRouter
where
    H: Handler<T, LeptosOptions>,
    T: 'static,
{
    let not_found = not_found.with_state(options.clone());
    let files = ServeDir::new(Path::new(options.site_root.as_ref()))
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found.clone());
    let policy = Policy {
        pkg: options.site_pkg_dir_route_base(),
        hashed: options.hash_files,
    };
    // Files are only read, with GET or HEAD; any other method is answered here: the
    // not-found handler (Leptos's) would send a file whatever the method.
    let site_root = Path::new(options.site_root.as_ref()).to_path_buf();
    axum::routing::get_service(files)
        .fallback(move |uri: http::Uri| {
            let is_file = names_a_file(&site_root, uri.path());
            async move {
                if is_file {
                    (
                        StatusCode::METHOD_NOT_ALLOWED,
                        [(header::ALLOW, "GET, HEAD")],
                        "Method not allowed.",
                    )
                        .into_response()
                } else {
                    (StatusCode::NOT_FOUND, "Not found.").into_response()
                }
            }
        })
        .layer(axum::middleware::from_fn_with_state(policy, cache_policy))
}

#[derive(Clone)]
struct Policy {
    /// `/pkg/`: where the page's files are.
    pkg: String,
    /// Whether their names carry their content's hash.
    hashed: bool,
}

async fn cache_policy(State(policy): State<Policy>, mut req: Request, next: Next) -> Response {
    let forever = policy.hashed && req.uri().path().starts_with(&policy.pkg);
    // `If-Range` asks for the range only if the file is still the one the client holds;
    // the file server does not check it, and might send a piece of a newer file to be
    // joined to an older one. The whole file instead is always right (RFC 9110, 13.1.5).
    // A Range the file server cannot serve as one piece (another unit, several ranges, a
    // malformed one) is ignored, as RFC 9110 (14.2) has it, rather than refused with 416.
    let one_piece = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(single_byte_range);
    if req.headers().contains_key(header::IF_RANGE) || !one_piece {
        req.headers_mut().remove(header::RANGE);
    }
    let mut res = next.run(req).await;
    let sent_as_file = matches!(
        res.status(),
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) && !res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !sent_as_file {
        return res;
    }
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if forever { FOREVER } else { REVALIDATE }),
    );
    // The same address answers in brotli, gzip or neither, by the request's
    // Accept-Encoding: a cache must key on it.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    res.extensions_mut().insert(StaticFile);
    res
}

/// Whether `path` names a file of the site (never one outside it).
fn names_a_file(site_root: &Path, path: &str) -> bool {
    let relative = path.trim_start_matches('/');
    !relative.split('/').any(|s| s == ".." || s.contains('\\'))
        && site_root.join(relative).is_file()
}

/// `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, with first ≤ last.
fn single_byte_range(range: &str) -> bool {
    let Some((first, last)) = range.strip_prefix("bytes=").and_then(|r| r.split_once('-')) else {
        return false;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (number(first.trim()), number(last.trim())) {
        (Some(f), Some(l)) => f <= l,
        (Some(_), None) => last.trim().is_empty(),
        (None, Some(_)) => first.trim().is_empty(),
        (None, None) => false,
    }
}

/// For the compression layer: static files are sent as built, never compressed again.
#[derive(Clone, Copy)]
pub struct NotStatic;

impl Predicate for NotStatic {
    fn should_compress<B: http_body::Body>(&self, response: &http::Response<B>) -> bool {
        response.extensions().get::<StaticFile>().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::single_byte_range;

    #[test]
    fn only_a_single_byte_range_is_served_as_a_piece() {
        for served in ["bytes=0-4", "bytes=5-", "bytes=-100", "bytes=7-7"] {
            assert!(single_byte_range(served), "{served}");
        }
        for ignored in [
            "bytes=0-1,5-6",
            "bytes=5-2",
            "bytes=abc",
            "items=0-1",
            "bytes=-",
            "bytes=",
            "",
        ] {
            assert!(!single_byte_range(ignored), "{ignored}");
        }
    }
}
