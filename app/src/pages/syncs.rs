use crate::{
    api::{list_configurations, list_sync_runs, sync_runs_chart},
    components::{FilterBar, FilterPills, NoAccess, RunsChart, RunsTable, TableSkeleton},
    domain::{ConfigurationSummary, Cursor, RunChart, RunFilter, RunPage, SyncRunRow, Viewer},
    error::AppError,
    pages::{per_query::PerQuery, ViewerResource},
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
    let query = Memo::new(move |_| location.search.get());
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
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::FORBIDDEN);
    }
    view! { <NoAccess viewer /> }
}

/// The path of the Syncs page, which its filters extend with a query string.
const SYNCS_PATH: &str = "/admin/user-provisioning";

/// The table's first page for a URL query. A filter the page cannot parse is explained
/// without asking the server.
async fn load_first_page(q: String) -> Result<RunPage, AppError> {
    RunFilter::from_query(&q).map_err(AppError::from)?;
    list_sync_runs(q, None).await
}

/// The chart for a URL query; `None` for a query that is not a filter, which is explained
/// once, above the table.
async fn load_chart(q: String) -> Result<Option<RunChart>, AppError> {
    if RunFilter::from_query(&q).is_err() {
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
    // The URL is the filter's only home: parse it, and write changes back to it.
    let parsed = Memo::new(move |_| RunFilter::from_query(&query.get()));
    let filter = Signal::derive(move || parsed.get().unwrap_or_default());
    let navigate = use_navigate();
    let on_change = Callback::new(move |f: RunFilter| {
        let q = f.to_query();
        let path = if q.is_empty() {
            SYNCS_PATH.to_string()
        } else {
            format!("{SYNCS_PATH}?{q}")
        };
        navigate(
            &path,
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
    Effect::watch(
        move || query.get(),
        move |_, _, _| {
            more.set(Vec::new());
            next.set(None);
            more_error.set(None);
            live.reset();
        },
        false,
    );
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
        more.set(Vec::new());
        next.set(None);
        more_error.set(None);
        live.reset();
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
        </header>
        // Read inside a Transition, so the server renders the options before the page is
        // sent and hydration finds the same ones.
        <Transition fallback=|| view! { <section class="filters" aria-busy="true"></section> }>
            {move || Suspend::new(async move {
                let configurations = configurations.await.unwrap_or_default();
                view! { <FilterBar filter configurations on_change /> }
            })}
        </Transition>
        <FilterPills filter on_change />
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
                    None | Some((_, Ok(None) | Err(AppError::Validation(_)))) => ().into_any(),
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
                    // A filter the page cannot use: the way out is to clear it.
                    Some((_, Err(e @ AppError::Validation(_)))) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{e.to_string()}</p>
                            <button type="button" class="button" on:click=move |_| on_change.run(RunFilter::default())>
                                "Clear filters"
                            </button>
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
                    Some((_, Ok(page))) => {
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
                                <p class="visually-hidden" role="status">{move || live.news.get()}</p>
                                <RunsTable runs=rows time_zone=page.time_zone.clone() clock arrived=live.arrived />
                            </Show>
                            {move || more_error.get().map(|e| view! { <p class="alert alert--error" role="alert">{e}</p> })}
                            <Show when=has_more>
                                <button
                                    class="button load-more"
                                    data-interactive=move || interactive.get().then_some("true")
                                    on:click=move |_| load_more(first_cursor)
                                    disabled=move || loading_more.get()
                                >
                                    {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                                </button>
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

/// The live view: it asks what changed every 2.5 seconds while the page shows a Queued or
/// In Progress run, otherwise every 5 (an answer that nothing did costs the server one
/// index probe); it waits while the tab is hidden and asks as soon as it is shown again.
#[derive(Clone, Copy)]
struct Live {
    updates: RwSignal<std::collections::HashMap<i64, SyncRunRow>>,
    fresh: RwSignal<Vec<SyncRunRow>>,
    total: RwSignal<Option<u64>>,
    /// Seconds since the page started: durations of running syncs tick with it.
    clock: RwSignal<i64>,
    /// Why the last poll failed, until one succeeds again.
    trouble: RwSignal<Option<String>>,
    /// The chart redrawn after runs changed status or appeared, with its query.
    chart: RwSignal<Option<(String, RunChart)>>,
    /// The organisation's count of changes as of the last poll; before it, the first
    /// page's.
    seen: RwSignal<Option<i64>>,
    /// The `clock` when the page last heard from the server (its load, then each poll).
    heard: RwSignal<i64>,
    /// The rows (id, version) the last poll brought, marked as they appear.
    arrived: RwSignal<std::collections::HashSet<(i64, i64)>>,
    /// What the last poll brought, in words for screen readers.
    news: RwSignal<String>,
}

/// How often the page asks while a run is active, and otherwise.
const ACTIVE_POLL_MS: i64 = 2_500;
const IDLE_POLL_MS: i64 = 5_000;

impl Live {
    fn new() -> Self {
        Live {
            updates: RwSignal::new(Default::default()),
            fresh: RwSignal::new(Vec::new()),
            total: RwSignal::new(None),
            clock: RwSignal::new(0),
            trouble: RwSignal::new(None),
            chart: RwSignal::new(None),
            seen: RwSignal::new(None),
            heard: RwSignal::new(0),
            arrived: RwSignal::new(Default::default()),
            news: RwSignal::new(String::new()),
        }
    }

    fn reset(self) {
        self.updates.set(Default::default());
        self.fresh.set(Vec::new());
        self.total.set(None);
        self.chart.set(None);
        self.seen.set(None);
        self.arrived.set(Default::default());
        self.news.set(String::new());
        // A filter's runs were just read: that is hearing from the server too.
        self.heard.set(self.clock.get_untracked());
    }

    /// `rows` with each replaced by the newest copy the live view has of it.
    fn latest(self, rows: Vec<SyncRunRow>) -> Vec<SyncRunRow> {
        self.updates.with_untracked(|u| {
            rows.into_iter()
                .map(|r| match u.get(&r.id) {
                    Some(newer) if newer.version > r.version => newer.clone(),
                    _ => r,
                })
                .collect()
        })
    }

    /// Starts the ticking clock and the polling loop (in the browser only; effects do not
    /// run on the server). Both stop when the page goes away. Each second the loop also
    /// calls `follow`, so a filter change that the table's or the chart's watcher missed
    /// is loaded all the same.
    fn start(
        self,
        query: Memo<String>,
        filter: Signal<RunFilter>,
        shown_now: impl Fn() -> Option<(i64, Vec<SyncRunRow>)> + Copy + 'static,
        follow: impl Fn() + Copy + 'static,
        start_over: impl Fn() + Copy + 'static,
    ) {
        let alive = StoredValue::new(true);
        on_cleanup(move || alive.set_value(false));
        Effect::new(move || {
            leptos::task::spawn_local(async move {
                let mut waited = 0;
                // Once the page has gone, its values are disposed: `alive` reads false.
                let alive = move || alive.try_get_value().unwrap_or(false);
                while alive() {
                    crate::browser::sleep(1_000).await;
                    if !alive() {
                        break;
                    }
                    self.clock.update(|c| *c += 1);
                    waited += 1_000;
                    follow();
                    // While the rows on screen are an older filter's, wait for the new ones.
                    let Some((seen, shown)) = shown_now() else {
                        continue;
                    };
                    let active = shown.iter().any(|r| r.status.is_active());
                    let due = if active { ACTIVE_POLL_MS } else { IDLE_POLL_MS };
                    if waited < due || !crate::browser::page_visible() {
                        continue;
                    }
                    waited = 0;
                    self.poll(query, filter, seen, shown, start_over).await;
                }
            });
        });
    }

    async fn poll(
        self,
        query: Memo<String>,
        filter: Signal<RunFilter>,
        seen: i64,
        shown: Vec<SyncRunRow>,
        start_over: impl Fn(),
    ) {
        use crate::domain::RunChanges;
        let asked = query.get_untracked();
        let changes = match crate::api::poll_sync_runs(asked.clone(), seen.to_string()).await {
            Ok(changes) => changes,
            // The session ended (signed out elsewhere, idle, expired): say so at sign-in.
            Err(AppError::Unauthorized) => {
                crate::browser::go_to("/login?error=expired");
                return;
            }
            // Anything else is retried on the next beat; the rows shown stay as they are
            // and the page says that what it shows may be out of date.
            Err(e) => {
                self.trouble.set(Some(e.to_string()));
                return;
            }
        };
        self.trouble.set(None);
        self.heard.set(self.clock.get_untracked());
        if query.try_get_untracked().as_ref() != Some(&asked) {
            // The filter changed meanwhile (this answer is for another view), or the page
            // has gone.
            return;
        }
        let (seen, first, others, total) = match changes {
            RunChanges::Unchanged => return,
            RunChanges::StartOver => return start_over(),
            RunChanges::Changed {
                seen,
                first,
                others,
                total,
            } => (seen, first, others, total),
        };
        self.seen.set(Some(seen));
        let held: std::collections::HashMap<i64, &SyncRunRow> =
            shown.iter().map(|r| (r.id, r)).collect();
        let newest_first = filter.get_untracked().sort == crate::domain::SortOrder::NewestFirst;
        // The chart counts runs by status: a run's progress leaves it as it is, but a new
        // run, a status change or a new total redraws it. (Another filter's runs among
        // `others` are not the chart's.)
        let chart_stale = self.total.get_untracked().is_some_and(|t| Some(t) != total)
            || first
                .iter()
                .any(|r| held.get(&r.id).is_none_or(|h| h.status != r.status))
            || others
                .iter()
                .any(|r| held.get(&r.id).is_some_and(|h| h.status != r.status));
        // Rows shown in an older version are updated; a row of the first page not shown
        // yet is new when it belongs above the top row (the newest first).
        let mut updated = Vec::new();
        let mut new_rows = Vec::new();
        for (row, on_first_page) in others
            .into_iter()
            .map(|r| (r, false))
            .chain(first.into_iter().map(|r| (r, true)))
        {
            match held.get(&row.id) {
                Some(h) if h.version < row.version => updated.push(row),
                Some(_) => {}
                None if on_first_page
                    && newest_first
                    && shown
                        .first()
                        .is_none_or(|top| row.sort_at_ms() >= top.sort_at_ms()) =>
                {
                    new_rows.push(row)
                }
                None => {}
            }
        }
        self.news.set(news(new_rows.len(), updated.len()));
        self.arrived.set(
            new_rows
                .iter()
                .chain(&updated)
                .map(|r| (r.id, r.version))
                .collect(),
        );
        if !updated.is_empty() {
            self.updates.update(|u| {
                for row in updated {
                    u.insert(row.id, row);
                }
            });
        }
        if !new_rows.is_empty() {
            self.fresh.update(|f| {
                new_rows.append(f);
                *f = new_rows;
            });
        }
        self.total.set(total);
        if chart_stale {
            if let Ok(chart) = crate::api::sync_runs_chart(asked.clone()).await {
                if query.try_get_untracked().as_ref() == Some(&asked) {
                    self.chart.set(Some((asked, chart)));
                }
            }
        }
    }
}

/// What a poll brought, as a screen reader announces it: "2 new runs, 1 run updated".
fn news(new: usize, updated: usize) -> String {
    let runs = |n: usize| if n == 1 { "run" } else { "runs" };
    match (new, updated) {
        (0, 0) => String::new(),
        (n, 0) => format!("{n} new {}", runs(n)),
        (0, u) => format!("{u} {} updated", runs(u)),
        (n, u) => format!("{n} new {}, {u} {} updated", runs(n), runs(u)),
    }
}

/// How long ago the page last heard from the server, from the page's clock in seconds.
fn heard_ago(seconds: i64) -> String {
    match seconds {
        ..=1 => "Updated just now".to_string(),
        2..=59 => format!("Updated {seconds} s ago"),
        _ => format!("Updated {} min ago", seconds / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_counts_new_and_updated_runs() {
        assert_eq!(news(0, 0), "");
        assert_eq!(news(1, 0), "1 new run");
        assert_eq!(news(0, 3), "3 runs updated");
        assert_eq!(news(2, 1), "2 new runs, 1 run updated");
    }

    #[test]
    fn heard_ago_reads_as_people_say_it() {
        assert_eq!(heard_ago(0), "Updated just now");
        assert_eq!(heard_ago(7), "Updated 7 s ago");
        assert_eq!(heard_ago(125), "Updated 2 min ago");
    }
}
