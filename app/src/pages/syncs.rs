use crate::{
    api::{list_configurations, list_sync_runs, sync_runs_chart},
    components::{
        after_of, AlertSwitch, FilterBar, FilterPills, FindPerson, LoadFailed, NoAccess, RunsChart,
        TableSkeleton,
    },
    domain::{ConfigurationSummary, RunChart, RunFilter, RunPage, Viewer},
    error::AppError,
    pages::{
        live_view::Live,
        per_query::PerQuery,
        sync_list::{OlderRuns, RunList},
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
pub const SYNCS_PATH: &str = "/admin/user-provisioning";

/// Whether `url` is the Syncs list's, with or without a query (and nothing else: it is
/// an address to lead back to).
pub(super) fn is_syncs_url(url: &str) -> bool {
    url.strip_prefix(SYNCS_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
}

/// The Syncs page's URL for a filter's query string.
pub fn syncs_url(query: &str) -> String {
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
pub(super) fn newest_url(q: &str) -> String {
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
    let typed_days = Signal::derive(move || {
        reading.with(|r| {
            let typed = |field| r.typed_day(field).map(str::to_owned);
            (typed("From"), typed("To"))
        })
    });
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
    let older = OlderRuns::new();
    // The live view's newer copies of rows, runs that appeared since, and the total.
    let live = Live::new();
    let refocus = RwSignal::new(None::<String>);
    // What the page holds beyond its first page, forgotten when it reads its runs anew.
    let forget = move || {
        older.forget();
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
        all.extend(older.rows.get_untracked());
        Some((seen, live.latest(all, filter.get_untracked().sort)))
    };
    // An answer the server was too busy to give is asked for again on the loop's beat.
    let retry_busy = move || {
        first_page.retry_if_busy();
        chart.retry_if_busy();
    };
    // The page fell too far behind to catch up by changes: it reads its runs again.
    let start_over = move || {
        forget();
        first_page.reload();
        chart.reload();
    };
    live.start(query, filter, shown_now, retry_busy, start_over);

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
                    <FilterBar filter=shown configurations on_change link_problem=dates_problem typed_days />
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
                        <LoadFailed class="chart" message=format!("The chart could not be loaded: {e}")
                            retry=move |_| chart.reload() />
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
        <RunList query filter first_page live older on_change />
    }
}
