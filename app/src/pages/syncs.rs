use crate::{
    api::{list_configurations, list_sync_runs},
    components::{FilterBar, FilterPills, NoAccess, RunsTable},
    domain::{ConfigurationSummary, Cursor, RunFilter, RunPage, SyncRunRow, Viewer},
    error::AppError,
    pages::ViewerResource,
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
    let first_page = Resource::new(
        move || query.get(),
        |q| async move {
            // A filter the page cannot parse is explained without asking the server.
            RunFilter::from_query(&q).map_err(AppError::from)?;
            list_sync_runs(q, None).await
        },
    );
    view! {
        <Title text="User Provisioning" />
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(v)) if v.can_use_provisioning() => {
                        view! { <SyncHistory query configurations first_page /> }.into_any()
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

type PageResource = Resource<Result<RunPage, AppError>>;
type ConfigurationsResource = Resource<Result<Vec<ConfigurationSummary>, AppError>>;

#[component]
fn SyncHistory(
    query: Memo<String>,
    configurations: ConfigurationsResource,
    first_page: PageResource,
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
    Effect::watch(
        move || query.get(),
        move |_, _, _| {
            more.set(Vec::new());
            next.set(None);
            more_error.set(None);
        },
        false,
    );

    let load_more = move |first_cursor: Option<Cursor>| {
        let cursor = next.get_untracked().unwrap_or(first_cursor);
        let Some(cursor) = cursor else { return };
        loading_more.set(true);
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            match list_sync_runs(q, Some(cursor.to_string())).await {
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
            <p class="page-header__lead">"Automated user syncs from your HR and identity sources, live."</p>
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
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading sync runs…"</p> }>
            {move || Suspend::new(async move {
                match first_page.await {
                    Err(e) => view! {
                        <div class="alert alert--error" role="alert">
                            <p>{e.to_string()}</p>
                            <button type="button" class="button" on:click=move |_| on_change.run(RunFilter::default())>
                                "Clear filters"
                            </button>
                        </div>
                    }.into_any(),
                    Ok(page) if page.runs.is_empty() && !filter.get_untracked().is_default() => view! {
                        <div class="empty">
                            <h2>"No runs match these filters"</h2>
                            <p>"Try a wider date range or fewer statuses."</p>
                            <button type="button" class="button" on:click=move |_| on_change.run(RunFilter::default())>
                                "Clear filters"
                            </button>
                        </div>
                    }.into_any(),
                    Ok(page) if page.runs.is_empty() => view! {
                        <div class="empty">
                            <h2>"No sync runs yet"</h2>
                            <p>"Runs appear here as soon as a sync configuration starts importing."</p>
                        </div>
                    }.into_any(),
                    Ok(page) => {
                        let first_runs = page.runs.clone();
                        let first_cursor = page.next_cursor;
                        let total = page.total.unwrap_or_default();
                        let rows = Signal::derive(move || {
                            let mut all = first_runs.clone();
                            all.extend(more.get());
                            all
                        });
                        let shown = move || rows.with(|r| r.len());
                        let has_more = move || next.get().unwrap_or(first_cursor).is_some();
                        let interactive = RwSignal::new(false);
                        Effect::new(move || interactive.set(true));
                        view! {
                            <p class="count" aria-live="polite">
                                {move || format!("Showing {} of {} runs", shown(), total)}
                            </p>
                            <RunsTable runs=rows time_zone=page.time_zone.clone() />
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
                }
            })}
        </Transition>
    }
}
