//! A run's log on its details page: the preview's query (in the URL), the search and
//! outcome controls, and the table that pages through the entries.

use crate::{
    api::get_run_logs,
    components::{ErrorAlert, LoadFailed, MoreRows, ShowMore, TableSkeleton},
    domain::{LogChoice, LogEntry, LogKind, LogPage, RunDetail, PREVIEW_PAGE},
    error::AppError,
    pages::per_query::PerQuery,
};
use leptos::prelude::*;

/// The log preview's query: the run, the text searched for and the outcome shown, as in
/// the URL (`?search=…&outcome=warning`); empty when not given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct LogQuery {
    pub(super) run_id: Option<i64>,
    pub(super) search: String,
    /// Whether the URL gives `search` more than once (an edited address).
    pub(super) search_repeated: bool,
    pub(super) outcome: String,
    /// The entry the rows start after (`?after=7`), as "Show more entries" opens them
    /// without script; empty for the first rows.
    pub(super) after: String,
}

/// How many problems (warnings and errors) the run's preview opens on: those of a result
/// log; a log of load errors or of planned deactivations is shown whole.
pub(super) fn problems_first(d: &RunDetail) -> u32 {
    match d.run.status.entries() {
        Some(LogKind::Results) => d.run.counts.warnings + d.run.counts.errors,
        _ => 0,
    }
}

impl LogQuery {
    pub(super) fn search(&self) -> Option<String> {
        Some(self.search.clone()).filter(|s| !s.is_empty())
    }

    /// The place (from 0) of the entry the rows start after, if the URL names one. The URL
    /// names it by its number as the log shows it, from 1 (`after=50`: from #51 on;
    /// `after=0`: from the first); a word that is not an entry's number is the link's
    /// problem.
    pub(super) fn after(&self) -> Result<Option<i32>, AppError> {
        match self.after.as_str() {
            "" => Ok(None),
            after => after
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .map(|n| n.checked_sub(1).filter(|place| *place >= 0))
                .ok_or_else(|| {
                    AppError::Validation(
                        "This link's place in the log (after=) is not an entry's number.".into(),
                    )
                }),
        }
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
    pub(super) fn outcome(&self, problems: u32) -> Option<String> {
        match self.choice(problems) {
            Some(LogChoice::All) => None,
            Some(c) => Some(c.slug().to_string()),
            None => Some(self.outcome.clone()),
        }
    }

    /// The run's page with `search` and `outcome` in its URL, as the search form sends.
    /// The choice the page would make by itself is left out.
    pub(super) fn path(run_id: i64, problems: u32, search: &str, outcome: &str) -> String {
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

pub(super) type LogsPerQuery = PerQuery<LogQuery, Option<LogPage>>;

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
/// (`?search=…&outcome=warning`). A run with `problems` opens on them; a blocked run's
/// planned deactivations (`planned`), none of them applied, offer no choice of outcome.
#[component]
pub(super) fn LogPreview(
    run_id: i64,
    problems: u32,
    logs: LogsPerQuery,
    #[prop(optional)] planned: bool,
) -> impl IntoView {
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
            <input id="log-search" name="search" type="search" maxlength="200"
                // The attribute for the server's page (and before hydration); the property
                // after.
                value=search.get_untracked() prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                placeholder="Email, employee ID, action or message" />
            {(!planned).then(|| view! {
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
            })}
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
                        // A problem of the link, as the server's own refusals answer.
                        {crate::pages::set_status(400)}
                        <ErrorAlert message=e.to_string()>
                            <a href=path("", "all")>"Show all entries"</a>
                        </ErrorAlert>
                    }.into_any(),
                    Some((_, Err(e))) => view! {
                        <LoadFailed message=format!("The log could not be loaded: {e}")
                            retry=move |_| logs.reload() />
                    }.into_any(),
                    // An answer from before the run had a log: its log is on its way.
                    Some((_, Ok(None))) => view! { <TableSkeleton rows=4 /> }.into_any(),
                    Some((q, Ok(Some(page)))) if page.entries.is_empty() => {
                        let chosen = q.choice(problems).filter(|c| *c != LogChoice::All);
                        let searched = !q.search.is_empty();
                        // Opened past the last entry (an old or edited `after=`): say so, not
                        // that the log has none.
                        if let Ok(Some(after)) = q.after() {
                            let kept = chosen.map_or("all", LogChoice::slug);
                            return view! {
                                <div class="empty">
                                    <p>{format!("No more entries after entry {}.", i64::from(after) + 1)}</p>
                                    <a href=path(&q.search, kept)>"Back to the first entries"</a>
                                </div>
                            }.into_any();
                        }
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
                            <LogTable run_id page search=q.search() outcome=q.outcome(problems)
                                from=q.after().ok().flatten().map(|_| path(&q.search, q.choice(problems).unwrap_or(LogChoice::All).slug())) />
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

/// The entry a next page starts after: its place from 0, written in a link as the log
/// numbers it, from 1 (see [`LogQuery::after`]).
#[derive(Debug, Clone, Copy)]
struct AfterEntry(i32);

impl std::fmt::Display for AfterEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", i64::from(self.0) + 1)
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
    /// For rows opened further down the log (`after=`): the address of its first rows.
    from: Option<String>,
) -> impl IntoView {
    let first = page.entries;
    let total = page.total.unwrap_or_default();
    // The fields "Show more entries" sends without script: this search and outcome (all
    // of them said, so the run's own choice does not take over), and the next place.
    let mut asked = form_urlencoded::Serializer::new(String::new());
    if let Some(s) = &search {
        asked.append_pair("search", s);
    }
    asked.append_pair("outcome", outcome.as_deref().unwrap_or("all"));
    let asked = asked.finish();
    let more = MoreRows::<LogEntry, AfterEntry>::new(page.next_after.map(AfterEntry));
    let rows = Signal::derive(move || {
        let mut all = first.clone();
        all.extend(more.rows.get());
        all
    });
    let query = StoredValue::new((search, outcome));
    // A person's history links to an entry (`#entry-7`): shown once its row is here.
    Effect::new(crate::browser::show_target);
    let load_more = move |_| {
        let (search, outcome) = query.get_value();
        more.load(move |after: AfterEntry| async move {
            let page =
                get_run_logs(run_id, Some(after.0), Some(PREVIEW_PAGE), search, outcome).await?;
            Ok((page.entries, page.next_after.map(AfterEntry)))
        });
    };
    let count = match from {
        None => view! {
            <p class="count" aria-live="polite">{move || format!("Showing {} of {total} {}", rows.with(Vec::len), if total == 1 { "entry" } else { "entries" })}</p>
        }.into_any(),
        Some(first_rows) => view! {
            <p class="count">
                <span aria-live="polite">{move || { let n = rows.with(Vec::len); format!("Showing {n} {} further down the log", if n == 1 { "entry" } else { "entries" }) }}</span>
                " · " <a href=first_rows>"First entries"</a>
            </p>
        }.into_any(),
    };
    view! {
        {count}
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
                        <tr class=format!("log__row log__row--{}{}", e.outcome.slug(), if e.applied { "" } else { " log__row--not-applied" })
                            id=format!("entry-{}", e.sequence)>
                            <td data-label="#">{e.sequence + 1}</td>
                            <td data-label="Source record">{e.record.clone().unwrap_or_default()}</td>
                            <td data-label="Employee ID">{e.employee_id.clone().unwrap_or_default()}</td>
                            <td data-label="Email">{e.email.clone().unwrap_or_default()}</td>
                            <td data-label="Action">{e.action.label()}</td>
                            <td data-label="Outcome">{e.outcome_label()}</td>
                            <td class="log__message" data-label="Message">
                                {e.message.clone()}
                                {changes_label(&e).map(|c| view! { <span class="muted">{if e.applied { " Changed: " } else { " Would have changed: " }} {c}</span> })}
                                {history_link(&e).map(|href| view! { " " <a class="history-link" href=href>"History of this person"</a> })}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
        <ShowMore more action=format!("/admin/user-provisioning/runs/{run_id}") base=asked
            label="Show more entries" on_more=Callback::new(load_more) />
    }
}
