//! The HTTP router: pages, server functions, static files and health.

use crate::config::WebSettings;
use app::{api::session::SecureCookies, ports::Stores, shell, App};
use axum::{body::Body, extract::Request, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::compression::{predicate::DefaultPredicate, CompressionLayer, Predicate};

/// The whole app with the default web settings (metrics open, cookies `Secure` behind
/// HTTPS); tests call it with a store and default options.
pub fn router(stores: Stores, options: LeptosOptions) -> Router {
    router_with(stores, options, &WebSettings::default())
}

/// The whole app: operations' routes, server functions, pages, static files, and the
/// layers every answer passes through.
pub fn router_with(stores: Stores, options: LeptosOptions, web: &WebSettings) -> Router {
    let secure_cookies = SecureCookies(web.secure_cookies);
    let routes = generate_route_list(App);
    let app = Router::new()
        .merge(operations(&stores, web))
        .route(
            "/api/{*fn_name}",
            server_functions(stores.clone(), secure_cookies),
        )
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(stores.clone());
                provide_context(secure_cookies);
                crate::http::security::provide_request_nonce();
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        // A path that is not a page is a static file, else the app's not-found page.
        .fallback_service(crate::http::assets::service(
            &options,
            leptos_axum::file_and_error_handler_with_context(
                crate::http::security::provide_request_nonce,
                shell,
            ),
        ));
    with_layers(app).with_state(options)
}

/// Liveness (the process answers), readiness (the database answers and is migrated),
/// metrics, and log files: the routes that are not the app's.
fn operations(stores: &Stores, web: &WebSettings) -> Router<LeptosOptions> {
    let health = stores.health.clone();
    let readyz = get(move || async move {
        match health.ready().await {
            Ok(()) => (http::StatusCode::OK, "ready".to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "not ready");
                (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "not ready".to_string(),
                )
            }
        }
    });
    let figures = stores.health.clone();
    // A token set asks scrapers for `Authorization: Bearer <token>`.
    let metrics_token = web.metrics_token.clone().filter(|t| !t.is_empty());
    let metrics = get(move |headers: http::HeaderMap| {
        let figures = figures.clone();
        let token = metrics_token.clone();
        async move { crate::http::metrics::answer(figures.as_ref(), token.as_deref(), &headers).await }
    });
    let log_files = Router::new()
        .route(
            "/api/runs/{run}/{file}",
            get(crate::http::log_files::download),
        )
        .with_state(stores.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", readyz)
        .route("/metrics", metrics)
        .merge(log_files)
}

/// The server functions at `/api/<name>`, each run with the request's stores in context.
/// A path that names no server function is a plain 404: the framework's own answer (400,
/// explaining how server functions are registered) tells a stranger how the server is
/// built.
fn server_functions(
    stores: Stores,
    secure_cookies: SecureCookies,
) -> axum::routing::MethodRouter<LeptosOptions> {
    let known: std::sync::Arc<std::collections::HashSet<&'static str>> = std::sync::Arc::new(
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect(),
    );
    let handler = move |req: Request<Body>| {
        let stores = stores.clone();
        let known = known.clone();
        async move {
            use axum::response::IntoResponse;
            if !known.contains(req.uri().path()) {
                return (http::StatusCode::NOT_FOUND, "Not found.").into_response();
            }
            let context = move || {
                provide_context(stores.clone());
                provide_context(secure_cookies);
            };
            handle_server_fns_with_context(context, req)
                .await
                .into_response()
        }
    };
    get(handler.clone()).post(handler)
}

/// The layers every answer passes through, the innermost first.
fn with_layers(app: Router<LeptosOptions>) -> Router<LeptosOptions> {
    app.layer(axum::middleware::from_fn(status_from_error))
        .layer(axum::middleware::from_fn(tidy_filter_link))
        .layer(axum::middleware::from_fn(without_trailing_slash))
        .layer(axum::middleware::from_fn(
            crate::http::security::same_site_redirects,
        ))
        .layer(axum::middleware::from_fn(
            crate::http::security::same_origin_writes,
        ))
        .layer(axum::middleware::from_fn(
            crate::http::security::no_overlong_segments,
        ))
        .layer(axum::middleware::from_fn(crate::http::security::headers))
        .layer(axum::middleware::from_fn(count_requests))
        // Pages and server functions' answers are compressed as they go; static files
        // were compressed when they were built.
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(crate::http::assets::NotStatic)),
        )
        // Outermost, so that HEAD gets GET's headers as they are sent, compression included.
        .layer(axum::middleware::from_fn(head_as_get))
}

/// A page asked for with a trailing slash (`/admin/user-provisioning/`) is the page
/// without it: a permanent redirect there, rather than a page the routes do not know.
async fn without_trailing_slash(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    // The pages' own paths only: a static folder (`/pkg/`) stays not found.
    let page = matches!(*req.method(), http::Method::GET | http::Method::HEAD)
        && (path.starts_with("/admin/") || path.starts_with("/login/"));
    // (So never a path that would read as another host, `//host`.)
    let trimmed = path.trim_end_matches('/');
    if !page || trimmed == path {
        return next.run(req).await;
    }
    let target = match req.uri().query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_string(),
    };
    axum::response::Redirect::permanent(&target).into_response()
}

/// The Syncs page's filter form, sent without script, names every field, empty or not:
/// the browser is sent on to the link the page itself would write, one worth keeping.
async fn tidy_filter_link(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let tidied = (req.method() == http::Method::GET && req.uri().path() == app::pages::SYNCS_PATH)
        .then(|| req.uri().query().and_then(app::domain::filter::tidied_link))
        .flatten();
    match tidied {
        Some(q) => axum::response::Redirect::to(&app::pages::syncs_url(&q)).into_response(),
        None => next.run(req).await,
    }
}

/// HEAD asks what GET would answer, without the body. Server functions (which the
/// framework routes itself) match their method exactly: a HEAD on one read by GET would
/// be refused as a bad request. So an `/api/` HEAD is answered as GET, marked so that
/// nothing is recorded as read, and sent with GET's headers (its length included) and no
/// body.
async fn head_as_get(
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use http_body::Body as _;
    if req.method() != http::Method::HEAD || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    *req.method_mut() = http::Method::GET;
    req.extensions_mut().insert(app::api::HeadOnly);
    let (mut parts, body) = next.run(req).await.into_parts();
    if let Some(length) = body.size_hint().exact() {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, length.into());
    }
    axum::response::Response::from_parts(parts, Body::empty())
}

/// A request a server function could not even decode (a missing or malformed argument)
/// fails before the function runs, and the framework answers 500 for it. The body is
/// the app's own error all the same: give it the status that error stands for.
async fn status_from_error(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !api || res.status() != http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        if let Ok(status) = http::StatusCode::from_u16(e.status_code()) {
            parts.status = status;
        }
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}

/// Counts every answer by route and status for `/metrics`.
async fn count_requests(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = crate::http::metrics::route_of(req.uri().path());
    let res = next.run(req).await;
    crate::http::metrics::global().count_request(route, res.status().as_u16());
    res
}
