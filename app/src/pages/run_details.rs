use super::run_log::{problems_first, LogPreview, LogQuery, LogsPerQuery};
use crate::{
    api::{get_run, get_run_logs},
    components::{
        DownloadMenu, Downloadable, LoadFailed, NoAccess, RunAlertPanel, RunProgress, StatusBadge,
    },
    domain::{
        format_duration, LogAvailability, LogKind, RunDetail, RunStatus, Trigger, PREVIEW_PAGE,
    },
    error::AppError,
    pages::{per_query::PerQuery, set_status, ViewerResource},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/admin/user-provisioning/runs/{id}`: one run, what its status means, its counts and
/// a searchable preview of its log.
#[component]
pub fn RunDetailsPage() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let params = use_params_map();
    let query = use_query_map();
    let run_id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    let detail = Resource::new(
        move || run_id.get(),
        |id| async move {
            match id {
                Some(id) => get_run(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // The preview's first page for the run and the search and outcome in the URL. It reads
    // the details already loaded rather than asking for them again.
    let log_query = Memo::new(move |_| LogQuery {
        run_id: run_id.get(),
        search: query.with(|q| q.get("search").unwrap_or_default()),
        // Given twice, the search is neither: the page says so, as the API does.
        search_repeated: query.with(|q| q.get_all("search").is_some_and(|all| all.len() > 1)),
        // Given twice, no place in the log: the page says so.
        after: query.with(|q| {
            q.get_all("after")
                .map(|all| all.join(","))
                .unwrap_or_default()
        }),
        // Given twice (an edited address), the outcome is both words: not one the log
        // knows, so the page says so rather than picking one.
        outcome: query.with(|q| {
            q.get_all("outcome")
                .map(|all| all.join(","))
                .unwrap_or_default()
        }),
    });
    let logs = PerQuery::new(log_query, move |q: LogQuery| async move {
        let Some(id) = q.run_id else { return Ok(None) };
        if q.search_repeated {
            return Err(AppError::Validation(
                "This link gives the search more than once: search for one text at a time.".into(),
            ));
        }
        let after = q.after()?;
        // Only runs with logs, or a blocked run's planned deactivations, have a preview;
        // the details say why others have none.
        let d = detail.await?;
        match d.run.status.entries() {
            None => Ok(None),
            Some(_) => get_run_logs(
                id,
                after,
                Some(PREVIEW_PAGE),
                q.search(),
                q.outcome(problems_first(&d)),
            )
            .await
            .map(Some),
        }
    });
    follow_run(detail, logs);
    let back = expect_context::<crate::pages::LastList>();
    view! {
        <Title text="Sync run" />
        <p class="back"><a href=move || back.href()>"← All syncs"</a></p>
        <Transition fallback=|| view! {
            <div aria-busy="true">
                <p class="visually-hidden" role="status">"Loading the run…"</p>
                <div class="skeleton skeleton--title" aria-hidden="true"></div>
                <div class="skeleton skeleton--chart" aria-hidden="true"></div>
            </div>
        }>
            {move || Suspend::new(async move {
                match (viewer.await, detail.await) {
                    (Ok(Some(v)), _) if !v.can_use_provisioning() => view! { {set_status(403)} <NoAccess viewer=v /> }.into_any(),
                    (Ok(Some(_)), Ok(d)) => view! { <Details detail=d logs /> }.into_any(),
                    (Ok(Some(_)), Err(AppError::NotFound)) => view! {
                        {set_status(404)}
                        <h1>"Sync run not found"</h1>
                        <p>"There is no run with this address in your organisation. "
                            <a href="/admin/user-provisioning">"See all syncs"</a> "."</p>
                    }.into_any(),
                    (Ok(Some(_)), Err(e)) => view! {
                        <LoadFailed message=format!("The run could not be loaded: {e}")
                            retry=move |_| detail.refetch() />
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// The page's loop. While the run is Queued or In Progress it asks every few seconds
/// whether the run moved on (only while the tab is visible), and shows the new details when
/// it did: the counts, the log and the Download button appear as the run ends. On every
/// beat it also asks again for a log preview the server was too busy to give.
fn follow_run(detail: Resource<Result<RunDetail, AppError>>, logs: LogsPerQuery) {
    let alive = StoredValue::new(true);
    on_cleanup(move || alive.set_value(false));
    // Once the page has gone, its values are disposed: `alive` reads false.
    let alive = move || alive.try_get_value().unwrap_or(false);
    Effect::new(move || {
        leptos::task::spawn_local(async move {
            let mut beat = 0u32;
            while alive() {
                crate::browser::sleep(1_250).await;
                if !alive() {
                    break;
                }
                logs.retry_if_busy();
                // The run itself every other beat: every 2.5 seconds.
                beat += 1;
                if beat % 2 == 1 {
                    continue;
                }
                let Some(Ok(shown)) = detail.get_untracked() else {
                    continue;
                };
                if !shown.run.status.is_active() || !crate::browser::page_visible() {
                    continue;
                }
                let Ok(now) = get_run(shown.run.id).await else {
                    continue;
                };
                // Only if the page still shows the run as it was asked about.
                let still = alive()
                    && matches!(detail.get_untracked(), Some(Ok(d)) if d.run.id == now.run.id && d.run.version == shown.run.version);
                if still && now.run.version != shown.run.version {
                    // The answer just fetched is shown as it is, and the log preview reads
                    // it when it loads again.
                    detail.set(Some(Ok(now)));
                    logs.reload();
                }
            }
        });
    });
}

/// A run's reason without a closing sentence that the status's meaning, just above it,
/// already says ("Nothing was changed.").
fn without_repeat(reason: &str, meaning: &str) -> String {
    match reason.rsplit_once(". ") {
        Some((head, last)) if meaning.ends_with(last) => format!("{head}."),
        _ => reason.to_string(),
    }
}

#[component]
fn Details(detail: RunDetail, logs: LogsPerQuery) -> impl IntoView {
    let run = detail.run.clone();
    let status = run.status;
    let duration = run
        .duration_ms
        .map(format_duration)
        .unwrap_or_else(|| "—".into());
    let c = run.counts;
    let threshold = (status == RunStatus::AboveDeactivationThreshold).then(|| {
        let users = |n: u32| format!("{n} {}", if n == 1 { "user" } else { "users" });
        let limit = match (detail.threshold_count, detail.threshold_percent) {
            (Some(n), Some(p)) => format!("{} or {p}% of the users it manages", users(n)),
            (Some(n), None) => users(n),
            (None, Some(p)) => format!("{p}% of the users it manages"),
            (None, None) => "not set".into(),
        };
        view! {
            <section class="panel panel--blocked" aria-labelledby="threshold-title">
                <h2 id="threshold-title">"Deactivation threshold"</h2>
                <p>
                    "This run planned " <strong>{format!("{} deactivations", c.planned_deactivations)}</strong>
                    "; the configuration allows at most " {limit} "."
                </p>
            </section>
        }
        .into_any()
    });
    let has_logs = status.logs() != LogAvailability::None;
    let listed = status.entries();
    let problems = problems_first(&detail);
    // Where the callout and the counts lead: the log's entries they speak of.
    let entries_of = move |outcome: &str| {
        format!(
            "{}#log-title",
            LogQuery::path(run.id, problems, "", outcome)
        )
    };
    // A load's error log is all errors: the whole of it is what they lead to.
    let load_errors = listed == Some(LogKind::Errors) && c.errors > 0;
    let to_problems = (problems > 0 || load_errors).then(|| {
        let plural = |n: u32, one: &str| match n {
            1 => one.to_string(),
            _ => format!("{one}s"),
        };
        let what = match (c.warnings, c.errors) {
            (w, 0) => plural(w, "warning"),
            (0, e) => plural(e, "error"),
            (w, e) => format!("{} and {}", plural(w, "warning"), plural(e, "error")),
        };
        let href = if load_errors {
            entries_of("")
        } else {
            entries_of("problems")
        };
        view! { <p><a href=href>{format!("See the {what} in the log below")}</a></p> }
    });
    let log_name = match listed {
        Some(LogKind::Errors) => "Error log",
        Some(LogKind::Planned) => "Planned deactivations",
        _ => "Sync result log",
    };
    // Warnings and errors lead to their entries in the log (a load's errors to the whole
    // of its error log).
    let counts = [
        ("Created", c.created, None),
        ("Updated", c.updated, None),
        ("Deactivated", c.deactivated, None),
        ("Reactivated", c.reactivated, None),
        ("Unchanged", c.unchanged, None),
        ("Skipped", c.skipped, None),
        ("Warnings", c.warnings, Some("warning")),
        ("Errors", c.errors, Some("error")),
    ];
    let results = listed == Some(LogKind::Results);
    view! {
        <header class="page-header">
            <h1>{run.configuration.clone()}</h1>
            <p class="page-header__lead">
                // A run not started yet shows when it was queued, as the list does.
                {run.source.display_name()}
                {if run.started_at_ms.is_some() { " · started " } else { " · queued " }}
                {run.start_display.clone()}
                // Beside the date, how long ago (as of the page's load).
                <span class="muted">
                    " (" {crate::domain::time_ago(crate::browser::now_ms() - run.sort_at_ms())} ")"
                </span>
            </p>
        </header>
        {view! { <section class="panel" aria-labelledby="status-title">
            <h2 id="status-title" class="visually-hidden">"Status"</h2>
            <p class="detail-status"><StatusBadge status id="detail" /></p>
            <p>{status.meaning()}</p>
            <p><strong>"Recommended action: "</strong>{status.recommended_action()}</p>
            {detail.status_reason.clone().map(|r| view! { <p class="reason">{without_repeat(&r, status.meaning())}</p> })}
            {to_problems}
            <RunProgress run=run.clone() />
        </section> }.into_any()}
        {threshold}
        {status.alerts().then(|| view! { <RunAlertPanel run_id=run.id /> })}
        {view! { <div class="detail-grid">
            <section class="panel" aria-labelledby="timings-title">
                <h2 id="timings-title">"Timings"</h2>
                <dl class="facts">
                    <dt>"Queued"</dt><dd>{detail.queued_display.clone()}</dd>
                    <dt>"Started"</dt><dd>{if run.started_at_ms.is_some() { run.start_display.clone() } else { "Not started".into() }}</dd>
                    <dt>"Finished"</dt><dd>{detail.finished_display.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Duration"</dt><dd>{duration}</dd>
                    <dt>"Started by"</dt><dd>{Trigger::started_by(detail.trigger)}</dd>
                </dl>
                <p class="muted">"Times are shown in " {detail.time_zone.clone()}</p>
            </section>
            <section class="panel" aria-labelledby="counts-title">
                <h2 id="counts-title">"Records"</h2>
                <dl class="facts facts--numbers">
                    {counts.into_iter().map(|(label, n, outcome)| {
                        let linked = match outcome {
                            Some(o) if results && n > 0 => Some(o),
                            Some("error") if load_errors => Some(""),
                            _ => None,
                        };
                        view! {
                            <dt>{label}</dt>
                            <dd>{match linked {
                                Some(o) => view! { <a href=entries_of(o) aria-label=format!("{n} {}: show them", label.to_lowercase())>{n}</a> }.into_any(),
                                None => view! { {n} }.into_any(),
                            }}</dd>
                        }
                    }).collect_view()}
                </dl>
            </section>
        </div> }.into_any()}
        {view! { <section class="panel" aria-labelledby="log-title">
            <div class="log-header">
                <h2 id="log-title">{if listed.is_some() { log_name } else { "Logs" }}</h2>
                {has_logs.then(|| view! { <DownloadMenu what=Downloadable::RunLog(run.id) /> }.into_any())}
            </div>
            {(listed == Some(LogKind::Planned)).then(|| view! {
                <p class="muted">"Not applied: these people were left as they were. A blocked run has no log to download."</p>
            })}
            {if listed.is_some() {
                view! { <LogPreview run_id=run.id problems logs planned=listed == Some(LogKind::Planned) /> }.into_any()
            } else {
                view! { <p class="muted">"A run that is " {status.label()} " has no logs."</p> }.into_any()
            }}
        </section> }.into_any()}
    }
}

#[cfg(test)]
mod tests {
    use super::without_repeat;
    use crate::domain::RunStatus;

    #[test]
    fn a_reason_does_not_repeat_what_its_status_says() {
        let meaning = RunStatus::AboveDeactivationThreshold.meaning();
        assert_eq!(
            without_repeat(
                "60 deactivations planned; the threshold is 50 users. Nothing was changed.",
                meaning
            ),
            "60 deactivations planned; the threshold is 50 users."
        );
        let own = "Workday: The source rejected the credentials. Check the password.";
        assert_eq!(
            without_repeat(own, RunStatus::DataLoadFailed.meaning()),
            own
        );
    }
}
