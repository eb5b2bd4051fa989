//! Reading an organisation's sync history.

use crate::{
    domain::{ConfigurationSummary, RunPage},
    error::AppError,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// Rows per page of the runs table.
pub const PAGE_SIZE: u32 = 50;

/// One page of the organisation's runs for the filter in `query` (the page's URL query),
/// after `cursor` (from the previous page) when given.
#[server(prefix = "/api", endpoint = "list_sync_runs", input = GetUrl)]
pub async fn list_sync_runs(query: String, cursor: Option<String>) -> Result<RunPage, AppError> {
    use super::session::*;
    use crate::domain::{display_start, Cursor, RunFilter, SyncRunRow};
    use crate::ports::ListRuns;
    use chrono::{TimeZone, Utc};

    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let filter = match RunFilter::from_query(&query) {
        Ok(f) => f,
        Err(e) => return ctx.fail(e.into()),
    };
    let after = match cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(str::parse::<Cursor>)
    {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return ctx.fail(AppError::Validation(format!("{e}; reload the page."))),
    };
    let tz = ctx.time_zone();
    let (since, until) = filter.range.window(Utc::now(), |day| {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A day that starts in a DST gap begins at the first instant that exists.
        tz.from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    });
    let request = ListRuns {
        organisation_id: viewer.organisation_id,
        filter,
        since_ms: since.map(|t| t.timestamp_millis()),
        until_ms: until.map(|t| t.timestamp_millis()),
        after,
        limit: PAGE_SIZE,
    };
    let found = ctx
        .stores
        .runs
        .list_runs(&request)
        .await
        .map_err(internal)?;
    if found.unknown_configuration {
        let name = request.filter.configuration.unwrap_or_default();
        return ctx.fail(AppError::Validation(format!(
            "There is no configuration named \"{name}\". Choose one from the Configuration list."
        )));
    }
    let mut runs = found.runs;
    for run in &mut runs {
        let start = run.sort_at_ms();
        if let Some(utc) = Utc.timestamp_millis_opt(start).single() {
            run.start_display = display_start(utc.with_timezone(&tz).naive_local());
        }
    }
    let next_cursor = (runs.len() as u32 == PAGE_SIZE)
        .then(|| runs.last())
        .flatten()
        .map(SyncRunRow::cursor);
    Ok(RunPage {
        runs,
        next_cursor,
        total: found.total,
        time_zone: tz.name().to_string(),
    })
}

/// The organisation's sync configurations, for the Configuration filter.
#[server(prefix = "/api", endpoint = "list_configurations", input = GetUrl)]
pub async fn list_configurations() -> Result<Vec<ConfigurationSummary>, AppError> {
    use super::session::*;
    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    ctx.stores
        .runs
        .configurations(viewer.organisation_id)
        .await
        .map_err(internal)
}
