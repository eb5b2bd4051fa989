use crate::{
    api::{get_run, get_run_logs},
    components::{
        DownloadMenu, Downloadable, NoAccess, RunAlertPanel, RunProgress, StatusBadge,
        TableSkeleton,
    },
    domain::{
        format_duration, LogAvailability, LogChoice, LogEntry, LogKind, LogPage, RunDetail,
        RunStatus, Trigger, PREVIEW_PAGE,
    },
    error::AppError,
    export::{action_label, outcome_label},
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
        outcome: query.with(|q| q.get("outcome").unwrap_or_default()),
    });
    let logs = PerQuery::new(log_query, move |q: LogQuery| async move {
        let Some(id) = q.run_id else { return Ok(None) };
        // Only runs with logs, or a blocked run's planned deactivations, have a preview;
        // the details say why others have none.
        let d = detail.await?;
        match d.run.status.entries() {
            None => Ok(None),
            Some(_) => get_run_logs(
                id,
                None,
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
                        <div class="alert alert--error" role="alert">
                            <p>{format!("The run could not be loaded: {e}")}</p>
                            <button type="button" class="button" on:click=move |_| detail.refetch()>"Try again"</button>
                        </div>
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
/// beat it also loads the log preview for a search that its watcher missed (see
/// `PerQuery`).
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
                logs.follow_now();
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

/// The log preview's query: the run, the text searched for and the outcome shown, as in
/// the URL (`?search=…&outcome=warning`); empty when not given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct LogQuery {
    run_id: Option<i64>,
    search: String,
    outcome: String,
}

/// How many problems (warnings and errors) the run's preview opens on: those of a result
/// log; a log of load errors or of planned deactivations is shown whole.
fn problems_first(d: &RunDetail) -> u32 {
    match d.run.status.entries() {
        Some(LogKind::Results) => d.run.counts.warnings + d.run.counts.errors,
        _ => 0,
    }
}

impl LogQuery {
    fn search(&self) -> Option<String> {
        Some(self.search.clone()).filter(|s| !s.is_empty())
    }

    /// The entries shown for a run with `problems`: the URL's choice, else the page's own;
    /// `None` for a word in the URL that names no choice.
    fn choice(&self, problems: u32) -> Option<LogChoice> {
        if self.outcome.is_empty() {
            Some(LogChoice::default_for(problems, !self.search.is_empty()))
        } else {
            LogChoice::from_slug(&self.outcome)
        }
    }

    /// What the server is asked for (an unknown word as it is, for the server to refuse).
    fn outcome(&self, problems: u32) -> Option<String> {
        match self.choice(problems) {
            Some(LogChoice::All) => None,
            Some(c) => Some(c.slug().to_string()),
            None => Some(self.outcome.clone()),
        }
    }

    /// The run's page with `search` and `outcome` in its URL, as the search form sends.
    /// The choice the page would make by itself is left out.
    fn path(run_id: i64, problems: u32, search: &str, outcome: &str) -> String {
        let default = LogChoice::default_for(problems, !search.is_empty());
        let outcome = if outcome == default.slug() {
            ""
        } else {
            outcome
        };
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            q.append_pair("search", search);
        }
        if !outcome.is_empty() {
            q.append_pair("outcome", outcome);
        }
        let q = q.finish();
        let path = format!("/admin/user-provisioning/runs/{run_id}");
        if q.is_empty() {
            path
        } else {
            format!("{path}?{q}")
        }
    }
}

type LogsPerQuery = PerQuery<LogQuery, Option<LogPage>>;

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
    let to_problems = (problems > 0).then(|| {
        let what = match (c.warnings, c.errors) {
            (_, 0) => "warnings",
            (0, _) => "errors",
            _ => "warnings and errors",
        };
        view! { <p><a href=entries_of("problems")>{format!("See the {what} in the log below")}</a></p> }
    });
    let log_name = match listed {
        Some(LogKind::Errors) => "Error log",
        Some(LogKind::Planned) => "Planned deactivations",
        _ => "Sync result log",
    };
    // Warnings and errors lead to their entries in the log (a result log's only: a load's
    // errors are the whole log).
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
                {run.source.display_name()} " · started " {run.start_display.clone()}
                // Beside the date, how long ago (as of the page's load).
                {run.started_at_ms.map(|t| crate::domain::time_ago(crate::browser::now_ms() - t))
                    .map(|ago| view! { <span class="muted">" (" {ago} ")"</span> })}
            </p>
        </header>
        {view! { <section class="panel" aria-labelledby="status-title">
            <h2 id="status-title" class="visually-hidden">"Status"</h2>
            <p class="detail-status"><StatusBadge status id="detail" /></p>
            <p>{status.meaning()}</p>
            <p><strong>"Recommended action: "</strong>{status.recommended_action()}</p>
            {detail.status_reason.clone().map(|r| view! { <p class="reason">{r}</p> })}
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
                        let linked = outcome.filter(|_| results && n > 0);
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
                view! { <LogPreview run_id=run.id problems logs /> }.into_any()
            } else {
                view! { <p class="muted">"A run that is " {status.label()} " has no logs."</p> }.into_any()
            }}
        </section> }.into_any()}
    }
}

/// What an entry changed: old → new where the run kept the values, else the fields' names.
fn changes_label(e: &LogEntry) -> Option<String> {
    let mut label = String::new();
    crate::export::write_entry_changes(e, &mut label);
    Some(label).filter(|l| !l.is_empty())
}

/// The person history of the entry's person: by Employee ID, else by email.
fn history_link(e: &LogEntry) -> Option<String> {
    let key = e.employee_id.as_deref().or(e.email.as_deref())?;
    Some(crate::components::people_path(key)).filter(|_| !key.trim().is_empty())
}

/// The log, a page at a time, with a search and a choice of outcome that live in the URL
/// (`?search=…&outcome=warning`). A run with `problems` opens on them.
#[component]
fn LogPreview(run_id: i64, problems: u32, logs: LogsPerQuery) -> impl IntoView {
    let search = Memo::new(move |_| logs.query().with(|q| q.search.clone()));
    let choice = Memo::new(move |_| logs.query().with(|q| q.choice(problems)));
    let navigate = leptos_router::hooks::use_navigate();
    let text = RwSignal::new(search.get_untracked());
    Effect::watch(
        move || search.get(),
        move |s, _, _| text.set(s.clone()),
        false,
    );
    // The form's two fields go to the URL together, as the form sends them without script.
    let go = move |outcome: String| {
        let wanted = text.get_untracked();
        navigate(
            &LogQuery::path(run_id, problems, wanted.trim(), &outcome),
            Default::default(),
        );
    };
    let go = StoredValue::new(go);
    // A search keeps the entries chosen (warnings and errors, say) as the page shows them.
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let shown = choice.get_untracked().unwrap_or(LogChoice::All);
        go.with_value(|go| go(shown.slug().to_string()));
    };
    let path = move |search: &str, outcome: &str| LogQuery::path(run_id, problems, search, outcome);
    view! {
        <form class="log-search" role="search" method="get" on:submit=on_search>
            <label for="log-search">"Search the log"</label>
            <input id="log-search" name="search" type="search" maxlength="200" prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                placeholder="Email, employee ID, action or message" />
            <label for="log-outcome">"Show"</label>
            // An outcome the page does not know shows as "All entries", as the server
            // renders it.
            <select id="log-outcome" name="outcome"
                prop:value=move || choice.get().unwrap_or(LogChoice::All).slug()
                on:change=move |ev| go.with_value(|go| go(event_target_value(&ev)))>
                {LogChoice::ALL.into_iter().map(|c| view! {
                    <option value=c.slug() selected=move || choice.get().unwrap_or(LogChoice::All) == c>{c.label()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button">"Search"</button>
        </form>
        <Transition fallback=|| view! {
            <p class="visually-hidden" role="status">"Loading the log…"</p>
            <TableSkeleton rows=4 />
        }>
            {move || Suspend::new(async move {
                logs.ready().await;
                let listed = move || match logs.shown() {
                    None => view! { <TableSkeleton rows=4 /> }.into_any(),
                    // An outcome the page does not know (an edited address): the way out is
                    // the whole log.
                    Some((_, Err(e @ AppError::Validation(_)))) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{e.to_string()}</p>
                            <a href=path("", "all")>"Show all entries"</a>
                        </div>
                    }.into_any(),
                    Some((_, Err(e))) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{format!("The log could not be loaded: {e}")}</p>
                            <button type="button" class="button" on:click=move |_| logs.reload()>"Try again"</button>
                        </div>
                    }.into_any(),
                    // An answer from before the run had a log: its log is on its way.
                    Some((_, Ok(None))) => view! { <TableSkeleton rows=4 /> }.into_any(),
                    Some((q, Ok(Some(page)))) if page.entries.is_empty() => {
                        let chosen = q.choice(problems).filter(|c| *c != LogChoice::All);
                        let searched = !q.search.is_empty();
                        let message = match (searched, chosen) {
                            (false, None) => "This log is empty.".to_string(),
                            (false, Some(c)) => format!("This log has no {}.", c.in_sentence()),
                            (true, None) => "No log entries match this search.".to_string(),
                            (true, Some(c)) => format!("No {} match this search.", c.in_sentence()),
                        };
                        let kept = chosen.map_or("all", LogChoice::slug);
                        // Clearing the search keeps the outcome; "Show all entries" clears both.
                        view! {
                            <div class="empty">
                                <p>{message}</p>
                                {searched.then(|| view! {
                                    <a href=path("", kept)>"Clear the search"</a>
                                })}
                                {(searched || chosen.is_some()).then(|| view! {
                                    " " <a href=path("", "all")>"Show all entries"</a>
                                })}
                            </div>
                        }.into_any()
                    }
                    Some((q, Ok(Some(page)))) => {
                        // A run's problems first: what they are, and the way to everything.
                        let lead = (q.choice(problems) == Some(LogChoice::Problems)).then(|| view! {
                            <p class="log-lead">
                                "Showing this run's warnings and errors. "
                                <a href=path(&q.search, "all")>"Show all entries"</a>
                            </p>
                        });
                        view! {
                            {lead}
                            <LogTable run_id page search=q.search() outcome=q.outcome(problems) />
                        }.into_any()
                    }
                };
                // The previous search's entries, dimmed, until the current one's are here.
                view! {
                    <div class="results" aria-busy=move || logs.behind().then_some("true")>
                        {listed}
                    </div>
                }
            })}
        </Transition>
    }
}

/// One search's entries: its first page, and the pages "Show more entries" adds. A new
/// search or outcome (or the run's final log) replaces the whole table, so pages of
/// different searches never mix.
#[component]
fn LogTable(
    run_id: i64,
    page: LogPage,
    search: Option<String>,
    outcome: Option<String>,
) -> impl IntoView {
    let first = page.entries;
    let total = page.total.unwrap_or_default();
    let more = RwSignal::new(Vec::<LogEntry>::new());
    let next = RwSignal::new(page.next_after);
    let loading = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    let rows = Signal::derive(move || {
        let mut all = first.clone();
        all.extend(more.get());
        all
    });
    let query = StoredValue::new((search, outcome));
    // A person's history links to an entry (`#entry-7`): shown once its row is here.
    Effect::new(crate::browser::show_target);
    let load_more = move |_| {
        let Some(after) = next.get_untracked() else {
            return;
        };
        loading.set(true);
        let (search, outcome) = query.get_value();
        leptos::task::spawn_local(async move {
            let answer =
                get_run_logs(run_id, Some(after), Some(PREVIEW_PAGE), search, outcome).await;
            // The table may have been replaced meanwhile; its signals are gone with it.
            match answer {
                Ok(page) => {
                    more.try_update(|m| m.extend(page.entries));
                    next.try_set(page.next_after);
                    more_error.try_set(None);
                }
                Err(e) => {
                    more_error.try_set(Some(e.to_string()));
                }
            }
            loading.try_set(false);
        });
    };
    view! {
        <p class="count" aria-live="polite">{move || format!("Showing {} of {} entries", rows.with(Vec::len), total)}</p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Log entries">
            <table class="runs log">
                <thead><tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Source record"</th>
                    <th scope="col">"Employee ID"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"Message"</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|e| e.sequence let:e>
                        <tr class=format!("log__row log__row--{}", e.outcome) id=format!("entry-{}", e.sequence)>
                            <td>{e.sequence + 1}</td>
                            <td>{e.record.clone().unwrap_or_default()}</td>
                            <td>{e.employee_id.clone().unwrap_or_default()}</td>
                            <td>{e.email.clone().unwrap_or_default()}</td>
                            <td>{action_label(&e.action).into_owned()}</td>
                            <td>{outcome_label(&e.outcome).into_owned()}</td>
                            <td class="log__message">
                                {e.message.clone()}
                                {changes_label(&e).map(|c| view! { <span class="muted">" Changed: " {c}</span> })}
                                {history_link(&e).map(|href| view! { " " <a class="history-link" href=href>"History of this person"</a> })}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
        {move || more_error.get().map(|e| view! { <p class="alert alert--error" role="alert">{e}</p> })}
        <Show when=move || next.get().is_some()>
            <button type="button" class="button load-more" disabled=move || loading.get() on:click=load_more>
                {move || if loading.get() { "Loading…" } else { "Show more entries" }}
            </button>
        </Show>
    }
}
