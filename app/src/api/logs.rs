//! One run: its details, its log in pages, and downloads of that log.

use crate::{
    domain::{LogFormat, LogPage, RunDetail},
    error::AppError,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The run's details, for its page.
#[server(prefix = "/api", endpoint = "get_run", input = GetUrl)]
pub async fn get_run(run_id: i64) -> Result<RunDetail, AppError> {
    use super::session::*;
    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    server::find_run(&ctx, viewer.organisation_id, run_id).await
}

/// A page of the run's log: entries after `after`, at most `limit` of them, only those
/// that contain `search` and, when `outcome` is given, have that outcome (`ok`, `warning`,
/// `error`; `problems` for warnings and errors; `all`). A blocked run answers with the
/// deactivations it planned and did not apply (all of them: an outcome is refused); runs
/// without logs are refused.
#[server(prefix = "/api", endpoint = "get_run_logs", input = GetUrl)]
pub async fn get_run_logs(
    run_id: i64,
    after: Option<i32>,
    limit: Option<u32>,
    search: Option<String>,
    outcome: Option<String>,
) -> Result<LogPage, AppError> {
    use super::session::*;
    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let search = search
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if search
        .as_ref()
        .is_some_and(|s| s.chars().any(char::is_control))
    {
        return ctx.fail(AppError::Validation(
            "Search without control characters (tabs, line breaks, NUL).".into(),
        ));
    }
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > server::MAX_SEARCH)
    {
        return ctx.fail(AppError::Validation(format!(
            "Search for at most {} characters.",
            server::MAX_SEARCH
        )));
    }
    // `problems` (warnings and errors), one outcome, or `all` (as when none is given).
    let outcomes = match outcome.as_deref().filter(|o| !o.is_empty()) {
        None => Vec::new(),
        Some(slug) => match crate::domain::LogChoice::from_slug(slug) {
            Some(choice) => choice.outcomes(),
            None => {
                let shown: String = slug.chars().filter(|c| !c.is_control()).take(40).collect();
                return ctx.fail(AppError::Validation(format!(
                    "The link asks for \"{shown}\" entries, which this log does not have. Show \
                     all entries, warnings and errors, or only OK entries, warnings or errors."
                )));
            }
        },
    };
    let limit = limit.unwrap_or(crate::domain::PREVIEW_PAGE);
    server::log_page(
        &ctx,
        viewer.organisation_id,
        run_id,
        after,
        limit,
        search,
        outcomes,
    )
    .await
}

/// Records a download of the run's logs (who, which run, which format) and returns what
/// the browser needs to build the file: the run's details and the file's name.
#[server(prefix = "/api", endpoint = "start_log_download")]
pub async fn start_log_download(run_id: i64, format: LogFormat) -> Result<RunDetail, AppError> {
    use super::session::*;
    let ctx = Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let detail = server::find_run(&ctx, viewer.organisation_id, run_id).await?;
    server::logs_of(&ctx, &detail)?;
    ctx.stores
        .runs
        .record_download(run_id, viewer.user_id, format)
        .await
        .map_err(|e| ctx.store_failed(e))?;
    Ok(detail)
}

#[cfg(feature = "ssr")]
pub use server::export_logs;

#[cfg(feature = "ssr")]
mod server {
    use super::super::session::{internal, Ctx};
    use crate::{
        domain::{
            display_start, LogAvailability, LogFormat, LogKind, LogOutcome, LogPage, RunDetail,
            DOWNLOAD_PAGE,
        },
        error::AppError,
        export::{to_file, FileOf, LogSheet},
        ports::LogRequest,
    };
    use chrono::{TimeZone, Utc};

    /// Longest search the log preview accepts.
    pub const MAX_SEARCH: usize = 200;

    /// The run if it belongs to the organisation; 404 otherwise, whether it exists
    /// elsewhere or not.
    pub async fn find_run(
        ctx: &Ctx,
        organisation_id: i64,
        run_id: i64,
    ) -> Result<RunDetail, AppError> {
        let tz = ctx.time_zone();
        let found = ctx
            .stores
            .runs
            .run(organisation_id, run_id)
            .await
            .map_err(|e| ctx.store_failed(e))?;
        let Some(found) = found else {
            return ctx.fail(AppError::NotFound);
        };
        let local = |ms: i64| {
            Utc.timestamp_millis_opt(ms)
                .single()
                .map(|t| t.with_timezone(&tz).naive_local())
        };
        let mut run = found.row;
        let started_local = local(run.sort_at_ms()).unwrap_or_default();
        run.start_display = display_start(started_local);
        Ok(RunDetail {
            queued_display: local(run.queued_at_ms)
                .map(display_start)
                .unwrap_or_default(),
            finished_display: run.finished_at_ms.and_then(local).map(display_start),
            run,
            status_reason: found.status_reason,
            trigger: found.trigger,
            threshold_count: found.threshold_count,
            threshold_percent: found.threshold_percent,
            started_local,
            time_zone: ctx.time_zone_caption(),
            zone_name: ctx.time_zone().name().to_string(),
        })
    }

    /// Which log the run has to download; a run without one is refused with the reason.
    pub fn logs_of(ctx: &Ctx, detail: &RunDetail) -> Result<LogKind, AppError> {
        match detail.run.status.logs() {
            LogAvailability::None => ctx.fail(AppError::Validation(format!(
                "A run that is {} has no logs to download.",
                detail.run.status.label()
            ))),
            LogAvailability::SyncResults => Ok(LogKind::Results),
            LogAvailability::Errors => Ok(LogKind::Errors),
        }
    }

    /// Which entries the run's page lists: its log, or a blocked run's planned
    /// deactivations; other runs are refused with the reason.
    fn entries_of(ctx: &Ctx, detail: &RunDetail) -> Result<LogKind, AppError> {
        match detail.run.status.entries() {
            Some(kind) => Ok(kind),
            None => ctx.fail(AppError::Validation(format!(
                "A run that is {} has no logs.",
                detail.run.status.label()
            ))),
        }
    }

    pub async fn log_page(
        ctx: &Ctx,
        organisation_id: i64,
        run_id: i64,
        after: Option<i32>,
        limit: u32,
        search: Option<String>,
        outcomes: Vec<LogOutcome>,
    ) -> Result<LogPage, AppError> {
        let detail = find_run(ctx, organisation_id, run_id).await?;
        let kind = entries_of(ctx, &detail)?;
        // A blocked run applied none of its entries: there is no outcome to pick among.
        if kind == LogKind::Planned && !outcomes.is_empty() {
            return ctx.fail(AppError::Validation(
                "This run was blocked, so none of its planned deactivations was applied and \
                 they have no outcome to choose from. Show all entries."
                    .into(),
            ));
        }
        let limit = limit.clamp(1, DOWNLOAD_PAGE);
        // One entry more than asked for tells whether there is a next page.
        let request = LogRequest {
            run_id,
            kind,
            after,
            limit: limit + 1,
            search,
            outcomes,
        };
        let (mut entries, total) = ctx
            .stores
            .runs
            .log_entries(&request)
            .await
            .map_err(|e| ctx.store_failed(e))?;
        // A blocked run's entries say what it would have done, and that it did not.
        if kind == LogKind::Planned {
            for e in &mut entries {
                e.message = crate::domain::not_applied_message(&e.message);
                e.applied = false;
            }
        }
        let next_after = (entries.len() as u32 > limit)
            .then(|| {
                entries.truncate(limit as usize);
                entries.last().map(|e| e.sequence)
            })
            .flatten();
        Ok(LogPage {
            run: detail.run,
            entries,
            total,
            next_after,
        })
    }

    /// The whole log of a run as a file, for API clients: the same checks and the same
    /// writers as the browser's downloads, and the same audit record.
    pub async fn export_logs(
        ctx: &Ctx,
        run_id: i64,
        format: LogFormat,
    ) -> Result<(String, Vec<u8>), AppError> {
        let viewer = ctx.require_provisioning().await?;
        let detail = find_run(ctx, viewer.organisation_id, run_id).await?;
        let kind = logs_of(ctx, &detail)?;
        let mut entries = Vec::new();
        let mut after = None;
        loop {
            let request = LogRequest {
                run_id,
                kind,
                after,
                limit: DOWNLOAD_PAGE,
                search: None,
                outcomes: Vec::new(),
            };
            let (page, _) = ctx
                .stores
                .runs
                .log_entries(&request)
                .await
                .map_err(|e| ctx.store_failed(e))?;
            let full = page.len() as u32 == DOWNLOAD_PAGE;
            after = page.last().map(|e| e.sequence);
            entries.extend(page);
            if !full {
                break;
            }
        }
        if !ctx.head_only() {
            ctx.stores
                .runs
                .record_download(run_id, viewer.user_id, format)
                .await
                .map_err(|e| ctx.store_failed(e))?;
        }
        let name = detail.file_name(format);
        // Writing a large workbook takes a while: keep it off the request threads.
        let bytes = tokio::task::spawn_blocking(move || {
            let sheet = LogSheet {
                of: FileOf::Run,
                run_id: detail.run.id,
                run_started: detail.started_local,
                time_zone: &detail.zone_name,
                configuration: &detail.run.configuration,
                entries: &entries,
            };
            to_file(format, sheet)
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        Ok((name, bytes))
    }
}
