//! A person's timeline: their card, what runs for them now, and every entry that logged
//! them, newest first.

use super::card::{PersonCard, Running};
use crate::{
    api::find_person,
    components::{DownloadMenu, Downloadable, MoreRows, ShowMore, PEOPLE_PATH},
    domain::{
        change_line, Cursor, LogOutcome, PersonAnswer, PersonEvent, PersonHistory, TIMELINE_PAGE,
    },
    error::AppError,
    export::changed_fields_label,
};
use leptos::prelude::*;

/// The run's details page with this entry in view: the run's log (for a blocked run, its
/// planned deactivations) searched for the person and scrolled to the entry.
fn entry_href(e: &PersonEvent, key: &str) -> String {
    let run = format!("/admin/user-provisioning/runs/{}", e.run_id);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("search", key);
    format!("{run}?{}#entry-{}", query.finish(), e.sequence)
}

/// One person: who they are now, what is running for them, and their timeline.
#[component]
pub(super) fn Timeline(q: String, history: PersonHistory, from: Option<String>) -> impl IntoView {
    let PersonHistory {
        person,
        running,
        latest,
        events,
        next,
        time_zone,
        ..
    } = history;
    // The log search that finds this person's entries in a run's details.
    let key = person
        .email
        .clone()
        .or_else(|| person.employee_id.clone())
        .unwrap_or_default();
    let more = MoreRows::new(next);
    let first = StoredValue::new(events);
    let rows = Signal::derive(move || {
        let mut all = first.get_value();
        all.extend(more.rows.get());
        all
    });
    let search = StoredValue::new(q.clone());
    let base = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &q)
        .finish();
    let further = from.is_some();
    let load_more = move |_| {
        let q = search.get_value();
        more.load(move |after: Cursor| async move {
            match find_person(q, Some(after.to_string()), Some(TIMELINE_PAGE)).await? {
                PersonAnswer::One(page) => Ok((page.events, page.next)),
                _ => Err(AppError::Validation(
                    "This search no longer finds one person: search again.".into(),
                )),
            }
        });
    };
    let key = StoredValue::new(key);
    let time_zone = StoredValue::new(time_zone);
    view! {
        <PersonCard person last=latest />
        <Running runs=running />
        {view! { <section class="panel" aria-labelledby="timeline-title">
            <div class="log-header">
                <h2 id="timeline-title">"Timeline"</h2>
                <DownloadMenu what=Downloadable::PersonHistory(q) />
            </div>
            {move || if rows.with(Vec::is_empty) {
                // Opened past their oldest entry (an old or edited `after=`): say so, not
                // that no run logged them.
                match from.clone() {
                    Some(href) => view! {
                        <div class="empty">
                            <p>"No more entries further down the timeline."</p>
                            <a href=href>"Newest entries"</a>
                        </div>
                    }.into_any(),
                    None => view! { <p class="empty">"No sync run has logged this person yet."</p> }.into_any(),
                }
            } else {
                view! {
                    <p class="count">
                        {move || format!("Showing {} {}{}, newest first. Times are in {}.", rows.with(Vec::len), if rows.with(Vec::len) == 1 { "entry" } else { "entries" }, if further { " further down the timeline" } else { "" }, time_zone.get_value())}
                        {from.clone().map(|href| view! { " " <a href=href>"Newest entries"</a> })}
                    </p>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Timeline">
                        <table class="runs log">
                            <thead><tr>
                                <th scope="col">"Run started"</th>
                                <th scope="col">"Source"</th>
                                <th scope="col">"Configuration"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Changes"</th>
                                <th scope="col">"Message"</th>
                            </tr></thead>
                            <tbody>
                                <For each=move || rows.get() key=|e| e.id let:e>
                                    <TimelineRow e key=key.get_value() />
                                </For>
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <ShowMore more action=PEOPLE_PATH.to_string() base label="Show more entries"
                on_more=Callback::new(load_more) />
        </section> }.into_any()}
    }
}

#[component]
fn TimelineRow(e: PersonEvent, key: String) -> impl IntoView {
    let href = entry_href(&e, &key);
    let changes = if e.changes.is_empty() {
        e.changed_fields
            .as_deref()
            .map(changed_fields_label)
            .into_iter()
            .collect::<Vec<_>>()
    } else {
        e.changes.iter().map(change_line).collect()
    };
    let class = format!(
        "log__row log__row--{}{}",
        e.outcome.slug(),
        if e.applied {
            ""
        } else {
            " log__row--not-applied"
        }
    );
    view! {
        <tr class=class data-run-id=e.run_id>
            <td data-label="Run started"><a class="row-link" href=href>{e.run_started.clone()}</a></td>
            <td data-label="Source">{e.source.display_name()}</td>
            <td data-label="Configuration">{e.configuration.clone()}</td>
            <td data-label="Action">
                {e.action.label()}
                {(!e.applied).then(|| view! { " " <span class="tag tag--warning">"Not applied"</span> })}
                {(e.outcome == LogOutcome::Warning).then(|| view! { " " <span class="tag tag--warning">"Warning"</span> })}
                {(e.outcome == LogOutcome::Error).then(|| view! { " " <span class="tag tag--error">"Error"</span> })}
            </td>
            <td data-label="Changes">{changes.into_iter().map(|c| view! { <span class="change">{c}</span> }).collect_view()}</td>
            <td class="log__message" data-label="Message">
                {e.message.clone()}
            </td>
        </tr>
    }
}
