//! Reading an organisation's sync history.

use crate::{
    domain::{ConfigurationSummary, RunChanges, RunChart, RunPage},
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
    use crate::domain::Cursor;

    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let filter = server::filter_of(&ctx, viewer.organisation_id, &query).await?;
    let after = match cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(str::parse::<Cursor>)
    {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return ctx.fail(AppError::Validation(format!("{e}; reload the page."))),
    };
    // The first page says how many changes its runs had seen, read before them: a change
    // made while they are read is then one the live view asks for, never one it misses.
    let changes_seen = match after {
        Some(_) => None,
        None => Some(
            ctx.stores
                .runs
                .change_count(viewer.organisation_id)
                .await
                .map_err(|e| ctx.store_failed(e))?,
        ),
    };
    let page = server::page(&ctx, viewer.organisation_id, filter, after).await?;
    Ok(RunPage {
        changes_seen,
        ..page
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
        .map_err(|e| ctx.store_failed(e))
}

/// What changed since the page read its runs: `since` is the organisation's count of
/// changes the page has seen (from its first page, then from each answer). Nothing
/// changed is one lookup; otherwise the answer holds the filter's first page's new and
/// changed rows, the organisation's other changed runs, and the filter's total.
///
/// `held` says how far down the list the page holds runs ([`crate::domain::HeldRuns`]'s
/// parameter): only changes to runs it may hold come back. Without it (a page from before
/// polls said it, or one with no rows), every changed run does.
#[server(prefix = "/api", endpoint = "poll_sync_runs", input = GetUrl)]
pub async fn poll_sync_runs(
    query: String,
    since: String,
    held: Option<String>,
) -> Result<RunChanges, AppError> {
    let ctx = super::session::Ctx::capture()?;
    poll_changes(&ctx, &query, &since, held.as_deref()).await
}

/// What [`poll_sync_runs`] answers, for a request's context: also called by plain HTTP
/// handlers (the load benchmark compares the two).
#[cfg(feature = "ssr")]
pub async fn poll_changes(
    ctx: &super::session::Ctx,
    query: &str,
    since: &str,
    held: Option<&str>,
) -> Result<RunChanges, AppError> {
    let (viewer, seen) = ctx.require_provisioning_with_changes().await?;
    let filter = server::filter_of(ctx, viewer.organisation_id, query).await?;
    server::check_scope(ctx, viewer.organisation_id, &filter).await?;
    // The count is the page's own copy of a number the server gave: plain digits.
    // Anything else did not come from the page, and is refused rather than guessed at.
    let since =
        (!since.is_empty() && since.len() <= 18 && since.bytes().all(|b| b.is_ascii_digit()))
            .then(|| since.parse::<i64>().ok())
            .flatten();
    let Some(since) = since else {
        return ctx.fail(AppError::Validation(
            "The page's count of changes was not understood; reload the page.".into(),
        ));
    };
    let Ok(held) = crate::domain::HeldRuns::from_param(held, filter.sort) else {
        return ctx.fail(AppError::Validation(
            "The page's account of the runs it holds (held=) was not understood; reload the page."
                .into(),
        ));
    };
    let runs = &ctx.stores.runs;
    let organisation_id = viewer.organisation_id;
    if seen == since {
        return Ok(RunChanges::Unchanged);
    }
    if seen < since {
        return Ok(RunChanges::StartOver);
    }
    let changed = runs
        .runs_changed_since(organisation_id, since, held, MAX_CHANGES)
        .await
        .map_err(|e| ctx.store_failed(e))?;
    let Some(mut changed) = changed else {
        return Ok(RunChanges::StartOver);
    };
    // Read after the changes, so the first page is at least as new as any of them.
    let page = server::page(ctx, organisation_id, filter, None).await?;
    let changed_ids: std::collections::HashSet<i64> = changed.iter().map(|r| r.id).collect();
    let first: Vec<_> = page
        .runs
        .into_iter()
        .filter(|r| changed_ids.contains(&r.id))
        .collect();
    let on_first: std::collections::HashSet<i64> = first.iter().map(|r| r.id).collect();
    changed.retain(|r| !on_first.contains(&r.id));
    // Only the rows that travel back need their start written.
    server::write_starts(ctx, &mut changed);
    Ok(RunChanges::Changed {
        seen,
        first,
        others: changed,
        total: page.total,
    })
}

/// The overview chart for the filter in `query`: its runs per day of the viewer's
/// calendar and status, with each day's average duration, over the chart's days.
#[server(prefix = "/api", endpoint = "sync_runs_chart", input = GetUrl)]
pub async fn sync_runs_chart(query: String) -> Result<RunChart, AppError> {
    let ctx = super::session::Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let filter = server::filter_of(&ctx, viewer.organisation_id, &query).await?;
    server::chart(&ctx, viewer.organisation_id, filter).await
}

#[cfg(feature = "ssr")]
pub use server::{chart_request, write_starts, ChartRequest};

/// The most changed runs one poll answers; a page further behind reads its runs again.
pub const MAX_CHANGES: u32 = 500;

#[cfg(feature = "ssr")]
mod server {
    use super::super::session::Ctx;
    use super::PAGE_SIZE;
    use crate::domain::{
        display_start, offset_spans, ChartSpan, Cursor, RunChart, RunFilter, RunPage, SyncRunRow,
    };
    use crate::error::AppError;
    use crate::ports::{ListRuns, ScopeProblem};
    use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
    use chrono_tz::Tz;

    /// The instant a day of the viewer's calendar starts.
    fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A day that starts in a DST gap begins at the first instant that exists.
        tz.from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    }

    /// What is wrong with the filter's configuration, in words for the admin.
    fn scope_problem_text(filter: &RunFilter, problem: ScopeProblem) -> String {
        let name = crate::domain::visible(filter.configuration.as_deref().unwrap_or_default());
        match (problem, filter.source) {
            (ScopeProblem::OtherSource(kind), Some(source)) => format!(
                "The configuration \"{name}\" imports from {}, not {}. Choose one of the {} configurations, or All sources.",
                kind.display_name(),
                source.display_name(),
                source.display_name(),
            ),
            _ => format!(
                "There is no configuration named \"{name}\". Choose one from the Configuration list."
            ),
        }
    }

    /// Refuses a filter whose configuration cannot be read as asked, keeping the rest
    /// (the source too: it is the configuration that does not fit).
    fn refuse_scope<T>(
        ctx: &Ctx,
        filter: &RunFilter,
        problem: ScopeProblem,
    ) -> Result<T, AppError> {
        let kept = RunFilter {
            configuration: None,
            ..filter.clone()
        };
        ctx.fail(AppError::BadFilter {
            problems: vec![scope_problem_text(filter, problem)],
            kept: kept.to_query(),
        })
    }

    /// What is wrong with the filter's configuration among the organisation's, if anything
    /// (the list is read only when the filter names a configuration).
    async fn scope_problem(
        ctx: &Ctx,
        organisation_id: i64,
        filter: &RunFilter,
    ) -> Result<Option<ScopeProblem>, AppError> {
        let Some(name) = filter.configuration.as_deref() else {
            return Ok(None);
        };
        let known = ctx
            .stores
            .runs
            .configurations(organisation_id)
            .await
            .map_err(|e| ctx.store_failed(e))?;
        Ok(match known.iter().find(|c| c.name == name) {
            None => Some(ScopeProblem::UnknownName),
            Some(c) => filter
                .source
                .filter(|s| *s != c.source)
                .map(|_| ScopeProblem::OtherSource(c.source)),
        })
    }

    /// Refuses a filter whose configuration the organisation does not have, or that is of
    /// another source than the filter's: for a request that reads no runs to find out (a
    /// poll that finds nothing new), which must answer as the list and chart do.
    pub async fn check_scope(
        ctx: &Ctx,
        organisation_id: i64,
        filter: &RunFilter,
    ) -> Result<(), AppError> {
        match scope_problem(ctx, organisation_id, filter).await? {
            Some(problem) => refuse_scope(ctx, filter, problem),
            None => Ok(()),
        }
    }

    /// The filter in a page's query. A query with problems is refused with every one of
    /// them (its configuration's too) and the parts that can be kept.
    pub async fn filter_of(
        ctx: &Ctx,
        organisation_id: i64,
        query: &str,
    ) -> Result<RunFilter, AppError> {
        let mut reading = RunFilter::read(query);
        if reading.problems.is_empty() {
            return Ok(reading.filter);
        }
        let mut problems: Vec<String> = reading.problems.iter().map(ToString::to_string).collect();
        if let Some(problem) = scope_problem(ctx, organisation_id, &reading.filter).await? {
            problems.push(scope_problem_text(&reading.filter, problem));
            reading.filter.configuration = None;
        }
        ctx.fail(AppError::BadFilter {
            problems,
            kept: reading.filter.to_query(),
        })
    }

    /// A chart's days, the store request for its runs, and the viewer's UTC offsets over
    /// their window (see [`crate::domain::offset_spans`]).
    pub type ChartRequest = (ChartSpan, ListRuns, Vec<(i64, i64)>);

    /// What the store is asked for a filter's chart: its days, the runs' window and
    /// scope, and the viewer's UTC offsets over that window. `None` when the chart has no
    /// days (a range wholly in the future).
    pub fn chart_request(
        tz: Tz,
        now: DateTime<Utc>,
        organisation_id: i64,
        filter: RunFilter,
    ) -> Option<ChartRequest> {
        let today = now.with_timezone(&tz).date_naive();
        let span = ChartSpan::for_range(&filter.range, today)?;
        let ms = |day: NaiveDate| local_midnight(tz, day).timestamp_millis();
        let end_day = span.last.succ_opt().unwrap_or(span.last);
        // The chart's days, narrowed to the filter's own window (Last 7 Days starts now, a
        // week ago, not at that day's midnight).
        let (since, until) = filter.range.window(now, |d| local_midnight(tz, d));
        let (first_ms, end_ms) = (ms(span.first), ms(end_day));
        let since_ms = since.map_or(first_ms, |s| s.timestamp_millis().max(first_ms));
        let until_ms = until.map_or(end_ms, |u| u.timestamp_millis().min(end_ms));
        let midnights: Vec<i64> = span.days().skip(1).chain([end_day]).map(ms).collect();
        let offsets = offset_spans(since_ms, &midnights, |t| {
            let utc = Utc.timestamp_millis_opt(t).single().unwrap_or(now);
            i64::from(
                tz.offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ) * 1000
        });
        let request = ListRuns {
            organisation_id,
            filter,
            since_ms: Some(since_ms),
            until_ms: Some(until_ms),
            after: None,
            limit: 0,
        };
        Some((span, request, offsets))
    }

    /// The overview chart of the organisation's runs matching the filter.
    pub async fn chart(
        ctx: &Ctx,
        organisation_id: i64,
        filter: RunFilter,
    ) -> Result<RunChart, AppError> {
        let Some((span, request, offsets)) =
            chart_request(ctx.time_zone(), Utc::now(), organisation_id, filter)
        else {
            return Ok(RunChart::from_counts(None, &[]));
        };
        match ctx
            .stores
            .runs
            .count_run_days(&request, &offsets)
            .await
            .map_err(|e| ctx.store_failed(e))?
        {
            Ok(counts) => Ok(RunChart::from_counts(Some(span), &counts)),
            Err(problem) => refuse_scope(ctx, &request.filter, problem),
        }
    }

    /// A page of the organisation's runs for the filter, after `after` when given.
    pub async fn page(
        ctx: &Ctx,
        organisation_id: i64,
        filter: RunFilter,
        after: Option<Cursor>,
    ) -> Result<RunPage, AppError> {
        let tz = ctx.time_zone();
        let (since, until) = filter
            .range
            .window(Utc::now(), |day| local_midnight(tz, day));
        let request = ListRuns {
            organisation_id,
            filter,
            since_ms: since.map(|t| t.timestamp_millis()),
            until_ms: until.map(|t| t.timestamp_millis()),
            after,
            // One run past the page tells whether there is a next page: a last page that
            // is exactly full offers no "Load more" that would find nothing.
            limit: PAGE_SIZE + 1,
        };
        let found = ctx
            .stores
            .runs
            .list_runs(&request)
            .await
            .map_err(|e| ctx.store_failed(e))?;
        if let Some(problem) = found.scope_problem {
            return refuse_scope(ctx, &request.filter, problem);
        }
        let mut runs = found.runs;
        let more = runs.len() > PAGE_SIZE as usize;
        runs.truncate(PAGE_SIZE as usize);
        write_starts(ctx, &mut runs);
        let next_cursor = more.then(|| runs.last()).flatten().map(SyncRunRow::cursor);
        Ok(RunPage {
            runs,
            next_cursor,
            total: found.total,
            time_zone: ctx.time_zone_caption(),
            changes_seen: None,
            answered_at_ms: Utc::now().timestamp_millis(),
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
