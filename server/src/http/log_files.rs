//! `GET /api/runs/{id}/logs.csv` and `logs.xlsx`: a run's whole log as a file, for API
//! clients. Same session, same permissions, same writers and same audit record as the
//! downloads the browser builds.

use app::{
    api::{logs::export_logs, session::Ctx},
    domain::LogFormat,
    error::AppError,
    ports::Stores,
};
use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

pub async fn download(
    State(stores): State<Stores>,
    Path((run, file)): Path<(String, String)>,
    request: Request<Body>,
) -> Response {
    let format = match file.as_str() {
        "logs.csv" => LogFormat::Csv,
        "logs.xlsx" => LogFormat::Xlsx,
        _ => return refuse(AppError::NotFound),
    };
    let Ok(run_id) = run.parse::<i64>() else {
        return refuse(AppError::NotFound);
    };
    let (parts, _) = request.into_parts();
    let ctx = Ctx::for_request(stores, parts);
    match export_logs(&ctx, run_id, format).await {
        Ok((name, bytes)) => {
            let content_type = format.media_type();
            let disposition = format!("attachment; filename=\"{name}\"");
            let mut res = (StatusCode::OK, bytes).into_response();
            let headers = res.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => refuse(e),
    }
}

/// The error as server functions answer it: its status and its JSON, nothing internal.
fn refuse(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&e).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
