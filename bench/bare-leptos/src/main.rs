//! Serves the bare app as the dashboard's server serves its files: precompressed, in the
//! encoding the request accepts.

use axum::{routing::post, Router};
use bare_leptos::{shell, App};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::services::ServeDir;

#[tokio::main]
async fn main() {
    let conf = get_configuration(None).expect("the leptos configuration");
    let options = conf.leptos_options;
    let addr = options.site_addr;
    let files = ServeDir::new(options.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip();
    let app = Router::new()
        .route("/api/{*fn_name}", post(leptos_axum::handle_server_fns))
        .leptos_routes(&options, generate_route_list(App), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback_service(files)
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the port");
    axum::serve(listener, app).await.expect("the server");
}
