//! The Syncs page's list of runs: the first page for the URL's filter, the runs "Load
//! more" adds after it, and what the live view brings, or why there is nothing to list.

use super::{
    bad_link::BadLink,
    live_view::{heard_ago, Live},
    per_query::PerQuery,
    syncs::{newest_url, SYNCS_PATH},
};
use crate::{
    api::list_sync_runs,
    components::{
        after_of, query_after, ErrorAlert, LoadFailed, MoreForm, RunsTable, TableSkeleton,
    },
    domain::{Cursor, RunFilter, RunPage, SortOrder, SyncRunRow},
    error::AppError,
};
use leptos::prelude::*;

/// The runs "Load more" added after the first page, where the next page starts (`None`
/// until one was added: the first page's own cursor then), whether one is on its way,
/// and why the last one failed.
#[derive(Clone, Copy)]
pub(super) struct OlderRuns {
    pub(super) rows: RwSignal<Vec<SyncRunRow>>,
    next: RwSignal<Option<Option<Cursor>>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

impl OlderRuns {
    pub(super) fn new() -> Self {
        OlderRuns {
            rows: RwSignal::new(Vec::new()),
            next: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// The page reads its runs anew (another filter, or too far behind to catch up).
    pub(super) fn forget(self) {
        self.rows.set(Vec::new());
        self.next.set(None);
        self.error.set(None);
    }

    /// Adds the page after the last one shown (the first page's `first_cursor` at first).
    fn load(
        self,
        query: Memo<String>,
        first_page: PerQuery<String, RunPage>,
        first_cursor: Option<Cursor>,
    ) {
        // The rows on screen are the previous filter's: their cursor is not this one's.
        if untrack(|| first_page.behind()) {
            return;
        }
        let Some(cursor) = self.next.get_untracked().unwrap_or(first_cursor) else {
            return;
        };
        self.loading.set(true);
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = list_sync_runs(q.clone(), Some(cursor.to_string())).await;
            // The filter changed meanwhile (or the page went away): these runs are not its
            // own, and the new filter's "Load more" starts afresh.
            if query.try_get_untracked().as_ref() != Some(&q) {
                self.loading.try_set(false);
                return;
            }
            match answer {
                Ok(page) => {
                    self.rows.update(|m| m.extend(page.runs));
                    self.next.set(Some(page.next_cursor));
                    self.error.set(None);
                }
                Err(e) if crate::browser::signed_in_again(&e) => {}
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.loading.set(false);
        });
    }
}

/// The list for the URL's `query`: its runs with the live view's news, a count, "Load
/// more"; or the link's problems, or why the runs could not be loaded.
#[component]
pub(super) fn RunList(
    query: Memo<String>,
    filter: Signal<RunFilter>,
    first_page: PerQuery<String, RunPage>,
    live: Live,
    older: OlderRuns,
    on_change: Callback<RunFilter>,
) -> impl IntoView {
    let clock = live.clock;
    view! {
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
                        <ErrorAlert message="This link's place in the list (after=) is not one the page gave.">
                            <a class="button" href=newest_url(&q)>"Newest runs"</a>
                        </ErrorAlert>
                    }.into_any(),
                    Some((_, Err(e @ AppError::Validation(_)))) => view! {
                        <ErrorAlert message=e.to_string()>
                            <a class="button" href=SYNCS_PATH>"Clear filters"</a>
                        </ErrorAlert>
                    }.into_any(),
                    // The page asks again by itself (`PerQuery::retry_if_busy`).
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
                        <LoadFailed message=format!("The sync runs could not be loaded: {e}")
                            retry=move |_| first_page.reload() />
                    }.into_any(),
                    Some((q, Ok(page))) => {
                        // Opened at a place further down the list (`after=`): older runs,
                        // without the live view's news, which belongs to the newest.
                        let newest = after_of(&q).is_some().then(|| newest_url(&q));
                        let newest_when_empty = newest.clone();
                        // Further down the list is older, or later when the oldest come
                        // first; its top is the newest or the oldest runs.
                        let (further, top_of_list) = match filter.get_untracked().sort {
                            SortOrder::NewestFirst => ("older", "Newest runs"),
                            SortOrder::OldestFirst => ("later", "Oldest runs"),
                        };
                        let first_runs = page.runs.clone();
                        let first_cursor = page.next_cursor;
                        let total = page.total.unwrap_or_default();
                        let rows = Signal::derive(move || {
                            let mut all = live.fresh.get();
                            all.extend(first_runs.iter().cloned());
                            all.extend(older.rows.get());
                            live.updates.track();
                            live.gone.track();
                            live.latest(all, filter.get().sort)
                        });
                        let total = move || live.total.get().unwrap_or(total);
                        let shown = move || rows.with(|r| r.len());
                        let has_more = move || older.next.get().unwrap_or(first_cursor).is_some();
                        let canonical = RunFilter::read(&q).filter.to_query();
                        let more_query = Signal::derive(move || {
                            let cursor = older.next.get().unwrap_or(first_cursor);
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
                                {if let Some(newest) = newest_when_empty.clone() {
                                    // A place past the last run (or before the first).
                                    view! {
                                        <div class="empty">
                                            <h2>"No runs further down the list"</h2>
                                            <p><a href=newest>{top_of_list}</a></p>
                                        </div>
                                    }.into_any()
                                } else if filtered {
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
                                {match newest.clone() {
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
                                    Some(newest) => {
                                        view! {
                                        <p class="count">
                                            <span aria-live="polite">
                                                {move || format!("Showing {} {further} runs", shown())}
                                            </span>
                                            " · "
                                            <a href=newest>{top_of_list}</a>
                                        </p>
                                    }.into_any()
                                    }
                                }}
                                <p class="visually-hidden" role="status">{move || live.news.get()}</p>
                                <RunsTable runs=rows time_zone=page.time_zone.clone() clock arrived=live.arrived answered_at_ms=page.answered_at_ms />
                            </Show>
                            {move || older.error.get().map(|e| view! { <ErrorAlert message=e /> })}
                            <Show when=has_more>
                                <MoreForm action=SYNCS_PATH.to_string() query=more_query
                                    on_more=Callback::new(move |_| older.load(query, first_page, first_cursor))>
                                    <button type="submit"
                                        class="button load-more"
                                        data-interactive=move || interactive.get().then_some("true")
                                        disabled=move || older.loading.get()
                                    >
                                        {move || if older.loading.get() { "Loading…" } else { "Load more" }}
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
