//! The Person history page: one person's history across every sync run, found by email
//! or Employee ID.

mod card;
mod timeline;

use crate::{
    api::{find_person, person_pulse},
    components::{people_path, ErrorAlert, FindPerson, LoadFailed, NoAccess, TableSkeleton},
    domain::{PersonAnswer, PersonMatch, SyncRunRow, TIMELINE_PAGE},
    error::AppError,
    pages::{per_query::PerQuery, set_status, LastList, ViewerResource},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use timeline::Timeline;

/// The search (`q=`) and the place in the timeline its rows start after (`after=`, as
/// "Show more entries" opens them without script; empty for the newest).
type Found = PerQuery<(String, String), Option<PersonAnswer>>;

/// `/admin/user-provisioning/people?q=…`: one person's history across every sync run of
/// the organisation, found by email or Employee ID.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let query = use_query_map();
    let q = Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()));
    // A search given twice (`?q=a&q=b`) is not guessed at: the page says so, and searches
    // for no one.
    let q_twice = Memo::new(move |_| query.with(|m| m.get_all("q").is_some_and(|v| v.len() > 1)));
    let asked = Memo::new(move |_| {
        query.with(|m| {
            (
                m.get("q").filter(|_| !q_twice.get()).unwrap_or_default(),
                // Given twice, no place in the timeline: the page says so.
                m.get_all("after")
                    .map(|all| all.join(","))
                    .unwrap_or_default(),
            )
        })
    });
    let found = PerQuery::new(asked, |(q, after): (String, String)| async move {
        if q.trim().is_empty() {
            return Ok(None);
        }
        let page = (!after.is_empty()).then_some(TIMELINE_PAGE);
        find_person(q, Some(after).filter(|a| !a.is_empty()), page)
            .await
            .map(Some)
    });
    follow_person(found);
    let back = expect_context::<LastList>();
    view! {
        <Title text="Person history" />
        <p class="back"><a href=move || back.href()>"← All syncs"</a></p>
        <Transition fallback=|| view! { <TableSkeleton rows=4 /> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(v)) if !v.can_use_provisioning() => view! { {set_status(403)} <NoAccess viewer=v /> }.into_any(),
                    Ok(Some(_)) if q_twice.get() => view! {
                        {set_status(400)}
                        <ErrorAlert message="This link gives the search (q=) more than once; search again.">
                            <a class="button" href=people_path("")>"New search"</a>
                        </ErrorAlert>
                    }.into_any(),
                    Ok(Some(_)) => {
                        found.ready().await;
                        view! { <PersonSearch q found /> }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PersonSearch(q: Memo<String>, found: Found) -> impl IntoView {
    let shown = move || {
        match found.shown() {
        None => view! { <TableSkeleton rows=4 /> }.into_any(),
        Some((_, Ok(None))) => view! {
            <p class="muted">"Search for someone by their email address or Employee ID, or the start of either."</p>
        }
        .into_any(),
        // A place in the timeline (`after=`) the page did not give: its newest entries.
        Some(((q, after), Err(AppError::Validation(_)))) if !after.is_empty() => view! {
            <ErrorAlert message="This link's place in the timeline (after=) is not one the page gave.">
                <a class="button" href=people_path(&q)>"Newest entries"</a>
            </ErrorAlert>
        }
        .into_any(),
        Some((_, Err(e @ AppError::Validation(_)))) => view! {
            <ErrorAlert message=e.to_string() />
        }
        .into_any(),
        Some((_, Err(e))) => view! {
            <LoadFailed message=format!("The search could not be done: {e}")
                retry=move |_| found.reload() />
        }
        .into_any(),
        Some(((q, _), Ok(Some(PersonAnswer::Nobody)))) => view! {
            <div class="empty">
                <p>{format!("No one in your organisation's sync logs has an email address or Employee ID that is or starts with “{}”, and no one in its directory has that exact email address or Employee ID.", crate::domain::visible(q.trim()))}</p>
            </div>
        }
        .into_any(),
        Some(((q, _), Ok(Some(PersonAnswer::Several { people, more })))) => {
            view! { <Choices q people more /> }.into_any()
        }
        Some(((q, after), Ok(Some(PersonAnswer::One(history))))) => {
            // Opened further down the timeline: the way back to its newest entries.
            let from = (!after.is_empty()).then(|| people_path(&q));
            view! { <Timeline q history=*history from /> }.into_any()
        }
    }
    };
    view! {
        <header class="page-header">
            <h1>"Person history"</h1>
            <p class="page-header__lead">"What every sync run did with one person: created, updated, deactivated, skipped, and why."</p>
        </header>
        <FindPerson value=q />
        <div class="results" aria-busy=move || found.behind().then_some("true")>{shown}</div>
    }
}

/// Several people match: the admin picks one.
#[component]
fn Choices(q: String, people: Vec<PersonMatch>, more: bool) -> impl IntoView {
    let count = people.len();
    view! {
        <p class="count" role="status">
            {if more {
                format!("More than {count} people match “{}”; the first {count} are listed. Type more of the email or Employee ID to narrow the search.", crate::domain::visible(q.trim()))
            } else {
                format!("{count} people match “{}”. Choose one to see their history.", crate::domain::visible(q.trim()))
            }}
        </p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="People found">
            <table class="runs">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Employee ID"</th>
                    <th scope="col">"In the directory"</th>
                </tr></thead>
                <tbody>
                    {people.into_iter().map(|p| {
                        let href = people_path(p.key());
                        let label = p.name.clone().or_else(|| p.email.clone()).unwrap_or_else(|| p.key().to_string());
                        view! {
                            <tr>
                                <td><a href=href>{label}</a></td>
                                <td>{p.email.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{p.employee_id.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{p.state.label()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The page's loop: every few seconds while the tab is visible it asks what is running
/// for the person and which is their newest entry, and loads the timeline again when
/// either moved on (a run started, progressed or ended). It also asks again for an answer
/// the server was too busy to give.
fn follow_person(found: Found) {
    let alive = StoredValue::new(true);
    on_cleanup(move || alive.set_value(false));
    let alive = move || alive.try_get_value().unwrap_or(false);
    Effect::new(move || {
        leptos::task::spawn_local(async move {
            let mut beat = 0u32;
            while alive() {
                crate::browser::sleep(1_250).await;
                if !alive() {
                    break;
                }
                found.retry_if_busy();
                beat += 1;
                let Some(Some(PersonAnswer::One(shown))) = found.current_untracked() else {
                    continue;
                };
                // Every 2.5 s while runs are active for the person, else every 10 s.
                let every = if shown.running.is_empty() { 8 } else { 2 };
                if !beat.is_multiple_of(every) || !crate::browser::page_visible() {
                    continue;
                }
                // Entries further down the timeline stay as they are (their place is
                // kept by its entry, not by a count); the card and what runs move on.
                let asked = found.query().get_untracked();
                let Ok(pulse) = person_pulse(asked.0.clone()).await else {
                    continue;
                };
                let seen = |runs: &[SyncRunRow]| -> Vec<(i64, i64)> {
                    runs.iter().map(|r| (r.id, r.version)).collect()
                };
                let moved = pulse.newest != shown.latest.as_ref().map(|e| e.id)
                    || seen(&pulse.running) != seen(&shown.running);
                if moved && alive() && found.query().get_untracked() == asked {
                    found.reload();
                }
            }
        });
    });
}
