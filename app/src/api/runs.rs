//! Reading an organisation's sync history.

use crate::{
    domain::{ConfigurationSummary, RunChanges, RunPage},
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
    use crate::domain::{Cursor, RunFilter};

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
    server::page(&ctx, viewer.organisation_id, filter, after).await
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

/// Runs that are new or changed since the page's copies: the page sends the id and row
/// version of the rows that can still change (its first page and any Queued or In
/// Progress run), `id.version` comma-separated; the answer holds only rows that differ,
/// with the filter's current total.
#[server(prefix = "/api", endpoint = "poll_sync_runs", input = GetUrl)]
pub async fn poll_sync_runs(query: String, known: String) -> Result<RunChanges, AppError> {
    let ctx = super::session::Ctx::capture()?;
    poll_changes(&ctx, &query, &known).await
}

/// What [`poll_sync_runs`] answers, for a request's context: also called by plain HTTP
/// handlers (the load benchmark compares the two).
#[cfg(feature = "ssr")]
pub async fn poll_changes(
    ctx: &super::session::Ctx,
    query: &str,
    known: &str,
) -> Result<RunChanges, AppError> {
    use super::session::internal;
    use crate::domain::RunFilter;
    use std::collections::HashMap;

    let viewer = ctx.require_provisioning().await?;
    let filter = match RunFilter::from_query(query) {
        Ok(f) => f,
        Err(e) => return ctx.fail(e.into()),
    };
    let mut held = HashMap::new();
    for pair in known.split(',').filter(|p| !p.is_empty()) {
        let parsed = pair
            .split_once('.')
            .and_then(|(id, v)| Some((id.parse::<i64>().ok()?, v.parse::<i64>().ok()?)));
        match parsed {
            Some((id, version)) if held.len() < MAX_KNOWN => {
                held.insert(id, version);
            }
            Some(_) => {
                return ctx.fail(AppError::Validation(format!(
                    "A page can follow at most {MAX_KNOWN} runs; reload the page."
                )))
            }
            None => {
                return ctx.fail(AppError::Validation(
                    "The page's list of runs was not understood; reload the page.".into(),
                ))
            }
        }
    }
    let first = server::page(ctx, viewer.organisation_id, filter, None).await?;
    let on_first: std::collections::HashSet<i64> = first.runs.iter().map(|r| r.id).collect();
    let others: Vec<i64> = held
        .keys()
        .copied()
        .filter(|id| !on_first.contains(id))
        .collect();
    let mut rows = first.runs;
    let mut rest = ctx
        .stores
        .runs
        .runs_by_id(viewer.organisation_id, &others)
        .await
        .map_err(internal)?;
    server::write_starts(ctx, &mut rest);
    rows.extend(rest);
    rows.retain(|r| held.get(&r.id) != Some(&r.version));
    Ok(RunChanges {
        rows,
        total: first.total,
    })
}

/// The most rows one poll may ask about.
pub const MAX_KNOWN: usize = 500;

#[cfg(feature = "ssr")]
mod server {
    use super::super::session::{internal, Ctx};
    use super::PAGE_SIZE;
    use crate::domain::{display_start, Cursor, RunFilter, RunPage, SyncRunRow};
    use crate::error::AppError;
    use crate::ports::ListRuns;
    use chrono::{TimeZone, Utc};

    /// A page of the organisation's runs for the filter, after `after` when given.
    pub async fn page(
        ctx: &Ctx,
        organisation_id: i64,
        filter: RunFilter,
        after: Option<Cursor>,
    ) -> Result<RunPage, AppError> {
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
            organisation_id,
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
        write_starts(ctx, &mut runs);
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

    /// Writes each row's start in the viewer's time zone.
    pub fn write_starts(ctx: &Ctx, runs: &mut [SyncRunRow]) {
        let tz = ctx.time_zone();
        for run in runs {
            if let Some(utc) = Utc.timestamp_millis_opt(run.sort_at_ms()).single() {
                run.start_display = display_start(utc.with_timezone(&tz).naive_local());
            }
        }
    }
}
