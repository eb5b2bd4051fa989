use crate::{
    api::{list_configurations, list_sync_runs, sync_runs_chart},
    components::{
        after_of, query_after, AlertSwitch, FilterBar, FilterPills, FindPerson, MoreForm, NoAccess,
        RunsChart, RunsTable, TableSkeleton,
    },
    domain::{ConfigurationSummary, Cursor, RunChart, RunFilter, RunPage, SyncRunRow, Viewer},
    error::AppError,
    pages::{
        bad_link::BadLink,
        live_view::{heard_ago, Live},
        per_query::PerQuery,
        LastList, ViewerResource,
    },
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    hooks::{use_location, use_navigate},
    NavigateOptions,
};

/// `/admin/user-provisioning`: the organisation's sync history.
#[component]
pub fn SyncsPage() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    // Resources are made here, before any Suspense, so that the server and the browser
    // create them in the same order and hydration finds their data. For a viewer without
    // access the server answers 403 and nothing of them is shown.
    let location = use_location();
    // The page leaving (for a run's details, say) still sees the next URL before it is
    // gone: it keeps its own query then, rather than loading the unfiltered list and chart
    // for a URL that is not its own.
    let query = Memo::new(move |kept: Option<&String>| {
        match (location.pathname.get() == SYNCS_PATH, kept) {
            (false, Some(kept)) => kept.clone(),
            _ => location.search.get(),
        }
    });
    // Remembered as the list to go back to from a run's details (in the browser only:
    // effects do not run on the server).
    let last_list = expect_context::<LastList>();
    Effect::new(move || last_list.seen(syncs_url(&query.get())));
    let configurations = Resource::new(|| (), |_| list_configurations());
    let first_page = PerQuery::new(query, load_first_page);
    let chart = PerQuery::new(query, load_chart);
    view! {
        <Title text="User Provisioning" />
        <Transition fallback=|| view! { <PageSkeleton /> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(v)) if v.can_use_provisioning() => {
                        view! { <SyncHistory query configurations first_page chart /> }.into_any()
                    }
                    Ok(Some(v)) => view! { <NoAccessPage viewer=v /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NoAccessPage(viewer: Viewer) -> impl IntoView {
    super::set_status(403);
    view! { <NoAccess viewer /> }
}

/// The path of the Syncs page, which its filters extend with a query string.
pub(super) const SYNCS_PATH: &str = "/admin/user-provisioning";

/// The Syncs page's URL for a filter's query string.
/// Whether `url` is the Syncs list's, with or without a query (and nothing else: it is
/// an address to lead back to).
pub(super) fn is_syncs_url(url: &str) -> bool {
    url.strip_prefix(SYNCS_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
}

pub(super) fn syncs_url(query: &str) -> String {
    if query.is_empty() {
        SYNCS_PATH.to_string()
    } else {
        format!("{SYNCS_PATH}?{query}")
    }
}

/// The table's first page for a URL query: the filter's first, or the one after its
/// `after=` (the address "Load more" opens without script). A filter with problems is
/// refused by the server with all of them (an unknown configuration's included), as a 400.
async fn load_first_page(q: String) -> Result<RunPage, AppError> {
    let after = after_of(&q);
    list_sync_runs(q, after).await
}

/// The filter's newest runs: the page's query without its `after=`.
fn newest_url(q: &str) -> String {
    syncs_url(&RunFilter::read(q).filter.to_query())
}

/// The chart for a URL query; `None` for a query that is not a filter, which is explained
/// once, above the table.
async fn load_chart(q: String) -> Result<Option<RunChart>, AppError> {
    if !RunFilter::read(&q).problems.is_empty() {
        return Ok(None);
    }
    sync_runs_chart(q).await.map(Some)
}

type ConfigurationsResource = Resource<Result<Vec<ConfigurationSummary>, AppError>>;

/// Grey blocks in the shape of the page while its first data is on the way.
#[component]
fn PageSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton-page" aria-busy="true">
            <p class="visually-hidden" role="status">"Loading sync runs…"</p>
            <div class="skeleton skeleton--title"></div>
            <div class="skeleton skeleton--filters"></div>
            <TableSkeleton rows=6 />
        </div>
    }
}

#[component]
fn SyncHistory(
    query: Memo<String>,
    configurations: ConfigurationsResource,
    first_page: PerQuery<String, RunPage>,
    chart: PerQuery<String, Option<RunChart>>,
) -> impl IntoView {
    // The URL is the filter's only home: read it, and write changes back to it. The
    // controls show what of a bad link can be used; the table lists what cannot.
    let reading = Memo::new(move |_| RunFilter::read(&query.get()));
    let parsed = Memo::new(move |_| reading.with(|r| r.filter.clone()));
    let filter = Signal::derive(move || parsed.get());
    // Dates given From after To stay in the controls, marked, to be mended there.
    let controls = Memo::new(move |_| reading.with(|r| r.controls()));
    let dates_problem =
        Signal::derive(move || reading.with(|r| r.dates_problem().map(|p| p.to_string())));
    let navigate = use_navigate();
    let on_change = Callback::new(move |f: RunFilter| {
        navigate(
            &syncs_url(&f.to_query()),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    });

    // Pages fetched with "Load more" after the first; reset whenever the filter changes.
    let more = RwSignal::new(Vec::<SyncRunRow>::new());
    let next = RwSignal::new(None::<Option<Cursor>>);
    let loading_more = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    // The live view's newer copies of rows, runs that appeared since, and the total.
    let live = Live::new();
    let refocus = RwSignal::new(None::<String>);
    // What the page holds beyond its first page, forgotten when it reads its runs anew.
    let forget = move || {
        more.set(Vec::new());
        next.set(None);
        more_error.set(None);
        live.reset();
    };
    Effect::watch(move || query.get(), move |_, _, _| forget(), false);
    // Every row as the page shows it now, for the poll (untracked: read, not watched).
    // `None` while the rows on screen are not the current filter's.
    // With the count of changes those rows have seen.
    let shown_now = move || {
        let page = first_page.current_untracked()?;
        let seen = live.seen.get_untracked().or(page.changes_seen)?;
        let mut all = live.fresh.get_untracked();
        all.extend(page.runs);
        all.extend(more.get_untracked());
        Some((seen, live.latest(all)))
    };
    let follow = move || {
        first_page.follow_now();
        chart.follow_now();
    };
    // The page fell too far behind to catch up by changes: it reads its runs again.
    let start_over = move || {
        forget();
        first_page.reload();
        chart.reload();
    };
    live.start(query, filter, shown_now, follow, start_over);
    let clock = live.clock;

    let load_more = move |first_cursor: Option<Cursor>| {
        // The rows on screen are the previous filter's: their cursor is not this one's.
        if untrack(|| first_page.behind()) {
            return;
        }
        let cursor = next.get_untracked().unwrap_or(first_cursor);
        let Some(cursor) = cursor else { return };
        loading_more.set(true);
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = list_sync_runs(q.clone(), Some(cursor.to_string())).await;
            // The filter changed meanwhile (or the page went away): these runs are not its
            // own, and the new filter's "Load more" starts afresh.
            if query.try_get_untracked().as_ref() != Some(&q) {
                loading_more.try_set(false);
                return;
            }
            match answer {
                Ok(page) => {
                    more.update(|m| m.extend(page.runs));
                    next.set(Some(page.next_cursor));
                    more_error.set(None);
                }
                Err(e) if crate::browser::signed_in_again(&e) => {}
                Err(e) => more_error.set(Some(e.to_string())),
            }
            loading_more.set(false);
        });
    };

    view! {
        <header class="page-header">
            <h1>"User Provisioning"</h1>
            <p class="page-header__lead">
                "Automated user syncs from your HR and identity sources, live. "
                <a href="/admin/user-provisioning/help">"What the statuses mean, logs and access"</a>
            </p>
            <div class="page-header__tools">
                <FindPerson />
                <AlertSwitch />
            </div>
        </header>
        // Read inside a Transition, so the server renders the options before the page is
        // sent and hydration finds the same ones.
        <Transition fallback=|| view! { <section class="filters" aria-busy="true"></section> }>
            {move || Suspend::new(async move {
                let loaded = configurations.await;
                // A configuration the organisation does not have, or one of another source
                // than the link's, is a problem of the link (the table says so), not a
                // filter in use: the controls and pills leave it out, and the next change
                // drops it. Both sides render this with the list.
                let known = loaded.as_ref().ok().cloned();
                let shown = Signal::derive(move || {
                    let mut f = controls.get();
                    if let (Some(name), Some(known)) = (&f.configuration, &known) {
                        let fits = known.iter().any(|c| {
                            &c.name == name && f.source.is_none_or(|s| s == c.source)
                        });
                        if !fits {
                            f.configuration = None;
                        }
                    }
                    f
                });
                let configurations = loaded.unwrap_or_default();
                // The pills are the filters in use: never dates that cannot be used.
                let in_use = Signal::derive(move || {
                    let mut f = shown.get();
                    f.range = filter.with(|f| f.range);
                    f
                });
                view! {
                    <FilterBar filter=shown configurations on_change link_problem=dates_problem />
                    <FilterPills filter=in_use on_change link=syncs_url />
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <div class="skeleton skeleton--chart" aria-hidden="true"></div> }>
            {move || Suspend::new(async move {
                chart.ready().await;
                let drawn = move || match chart.shown() {
                    Some((drawn_for, Ok(Some(first)))) => {
                        // The live view's newer chart for the same filter, else the one loaded.
                        let shown = Signal::derive(move || {
                            live.chart
                                .get()
                                .filter(|(q, _)| *q == drawn_for)
                                .map(|(_, c)| c)
                                .unwrap_or_else(|| first.clone())
                        });
                        view! { <RunsChart chart=shown filter on_change refocus /> }.into_any()
                    }
                    // A filter the server cannot use is explained once, above the table.
                    None | Some((_, Ok(None) | Err(AppError::Validation(_) | AppError::BadFilter { .. }))) => ().into_any(),
                    Some((_, Err(e))) => view! {
                        <div class="chart alert alert--error" role="alert">
                            <p>{format!("The chart could not be loaded: {e}")}</p>
                            <button type="button" class="button" on:click=move |_| chart.reload()>
                                "Try again"
                            </button>
                        </div>
                    }.into_any(),
                };
                // Drawn for the previous filter until the current one's is here.
                view! {
                    <div class="results" aria-busy=move || chart.behind().then_some("true")>
                        {drawn}
                    </div>
                }
            })}
        </Transition>
        <Transition fallback=|| view! {
            <p class="visually-hidden" role="status">"Loading sync runs…"</p>
            <TableSkeleton rows=6 />
        }>
            {move || Suspend::new(async move {
                first_page.ready().await;
                let listed = move || match first_page.shown() {
                    None => view! { <TableSkeleton rows=6 /> }.into_any(),
                    // A link with problems: each one, and the ways out (its usable parts, or none).
                    Some((_, Err(AppError::BadFilter { problems, kept }))) => view! {
                        <BadLink problems kept />
                    }.into_any(),
                    // A place in the list (`after=`) the page did not give: its newest runs.
                    Some((q, Err(AppError::Validation(_)))) if after_of(&q).is_some() => view! {
                        <div class="alert alert--error" role="alert">
                            <p>"This link's place in the list (after=) is not one the page gave."</p>
                            <a class="button" href=newest_url(&q)>"Newest runs"</a>
                        </div>
                    }.into_any(),
                    Some((_, Err(e @ AppError::Validation(_)))) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{e.to_string()}</p>
                            <a class="button" href=SYNCS_PATH>"Clear filters"</a>
                        </div>
                    }.into_any(),
                    // The page asks again by itself (see `PerQuery::follow`).
                    Some((_, Err(AppError::Busy))) => view! {
                        <div class="alert" role="status">
                            <p>"The server is busy right now. The sync runs will appear as soon as it answers."</p>
                            <button type="button" class="button" on:click=move |_| first_page.reload()>
                                "Try again"
                            </button>
                        </div>
                    }.into_any(),
                    // Anything else may pass: the way out is to ask again.
                    Some((_, Err(e))) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{format!("The sync runs could not be loaded: {e}")}</p>
                            <button type="button" class="button" on:click=move |_| first_page.reload()>
                                "Try again"
                            </button>
                        </div>
                    }.into_any(),
                    Some((q, Ok(page))) => {
                        // Opened at a place further down the list (`after=`): older runs,
                        // without the live view's news, which belongs to the newest.
                        let older = after_of(&q).is_some().then(|| newest_url(&q));
                        let first_runs = page.runs.clone();
                        let first_cursor = page.next_cursor;
                        let total = page.total.unwrap_or_default();
                        let rows = Signal::derive(move || {
                            let mut all = live.fresh.get();
                            all.extend(first_runs.iter().cloned());
                            all.extend(more.get());
                            live.updates.track();
                            live.latest(all)
                        });
                        let total = move || live.total.get().unwrap_or(total);
                        let shown = move || rows.with(|r| r.len());
                        let has_more = move || next.get().unwrap_or(first_cursor).is_some();
                        let canonical = RunFilter::read(&q).filter.to_query();
                        let more_query = Signal::derive(move || {
                            let cursor = next.get().unwrap_or(first_cursor);
                            query_after(&canonical, &cursor.map(|c| c.to_string()).unwrap_or_default())
                        });
                        let interactive = RwSignal::new(false);
                        Effect::new(move || interactive.set(true));
                        // An empty list stays live: the first run to appear replaces the message.
                        let empty = move || rows.with(Vec::is_empty);
                        let filtered = !filter.get_untracked().is_default();
                        let hint = filter.with_untracked(|f| {
                            if f.source.is_some() || f.configuration.is_some() {
                                "Try a wider date range, fewer statuses, or another source or configuration."
                            } else {
                                "Try a wider date range or fewer statuses."
                            }
                        });
                        view! {
                            <Show when=empty>
                                {if filtered {
                                    view! {
                                        <div class="empty">
                                            <h2>"No runs match these filters"</h2>
                                            <p>{hint}</p>
                                            <button type="button" class="button" on:click=move |_| on_change.run(RunFilter::default())>
                                                "Clear filters"
                                            </button>
                                        </div>
                                    }.into_any()
                                } else {
                                    view! {
                                        <div class="empty">
                                            <h2>"No sync runs yet"</h2>
                                            <p>"Runs appear here as soon as a sync configuration starts importing."</p>
                                        </div>
                                    }.into_any()
                                }}
                            </Show>
                            {move || live.trouble.get().map(|e| view! {
                                <p class="alert alert--warning" role="status">
                                    {format!("Live updates paused: {e} Retrying automatically.")}
                                </p>
                            })}
                            <Show when=move || !empty()>
                                {match older.clone() {
                                    None => view! {
                                        <p class="count">
                                            <span aria-live="polite">
                                                {move || {
                                                    let total = total();
                                                    let runs = if total == 1 { "run" } else { "runs" };
                                                    format!("Showing {} of {total} {runs}", shown())
                                                }}
                                            </span>
                                            " · "
                                            <span class="count__heard">
                                                {move || heard_ago(clock.get() - live.heard.get())}
                                            </span>
                                        </p>
                                    }.into_any(),
                                    Some(newest) => view! {
                                        <p class="count">
                                            <span aria-live="polite">
                                                {move || format!("Showing {} older runs", shown())}
                                            </span>
                                            " · "
                                            <a href=newest>"Newest runs"</a>
                                        </p>
                                    }.into_any(),
                                }}
                                <p class="visually-hidden" role="status">{move || live.news.get()}</p>
                                <RunsTable runs=rows time_zone=page.time_zone.clone() clock arrived=live.arrived answered_at_ms=page.answered_at_ms />
                            </Show>
                            {move || more_error.get().map(|e| view! { <p class="alert alert--error" role="alert">{e}</p> })}
                            <Show when=has_more>
                                <MoreForm action=SYNCS_PATH.to_string() query=more_query
                                    on_more=Callback::new(move |_| load_more(first_cursor))>
                                    <button type="submit"
                                        class="button load-more"
                                        data-interactive=move || interactive.get().then_some("true")
                                        disabled=move || loading_more.get()
                                    >
                                        {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                                    </button>
                                </MoreForm>
                            </Show>
                        }.into_any()
                    }
                };
                // The previous filter's runs, dimmed, until the current one's are here.
                view! {
                    <div class="results" aria-busy=move || first_page.behind().then_some("true")>
                        {listed}
                    </div>
                }
            })}
        </Transition>
    }
}
