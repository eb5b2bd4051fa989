//! Who the person is now, and the runs that may still change them.

use crate::{
    components::{RunProgress, StatusBadge},
    domain::{DirectoryState, PersonEvent, PersonMatch, SyncRunRow},
};
use leptos::prelude::*;

/// The person as the directory holds them now, and the last run that touched them.
#[component]
pub(super) fn PersonCard(person: PersonMatch, last: Option<PersonEvent>) -> impl IntoView {
    let title = person
        .name
        .clone()
        .or_else(|| person.email.clone())
        .unwrap_or_else(|| person.key().to_string());
    view! {
        <section class="panel person" aria-labelledby="person-title">
            <h2 id="person-title">{title}</h2>
            <dl class="facts">
                <dt>"Email"</dt><dd>{person.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Employee ID"</dt><dd>{person.employee_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"In the directory"</dt>
                <dd class=format!("person__state person__state--{}", match person.state {
                    DirectoryState::Active => "active",
                    DirectoryState::Deactivated => "deactivated",
                    DirectoryState::NotInDirectory => "absent",
                })>{person.state.label()}</dd>
                <dt>"Kept in sync by"</dt><dd>{person.managed_by.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Last run that logged them"</dt>
                <dd>{match last {
                    Some(e) => view! {
                        <a href=format!("/admin/user-provisioning/runs/{}", e.run_id)>{format!("{} · {}", e.configuration, e.run_started)}</a>
                        " " <StatusBadge status=e.run_status id=format!("last-{}", e.run_id) />
                    }.into_any(),
                    None => view! { "None yet" }.into_any(),
                }}</dd>
            </dl>
        </section>
    }
}

/// Runs queued or in progress now for the person's configurations.
#[component]
pub(super) fn Running(runs: Vec<SyncRunRow>) -> impl IntoView {
    (!runs.is_empty()).then(|| {
        view! {
            <section class="panel" aria-labelledby="running-title">
                <h2 id="running-title">"Running now"</h2>
                <p class="muted">"These runs may still change this person; the timeline shows their entries when they end."</p>
                <ul class="running">
                    {runs.into_iter().map(|run| view! {
                        <li data-run-id=run.id>
                            <a href=format!("/admin/user-provisioning/runs/{}", run.id)>{format!("{} · {}", run.configuration, run.start_display)}</a>
                            " " <StatusBadge status=run.status id=format!("running-{}", run.id) />
                            <RunProgress run=run.clone() />
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
