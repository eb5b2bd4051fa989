use crate::{
    components::StatusBadge,
    domain::{format_duration, SyncRunRow},
};
use leptos::prelude::*;

/// The runs table. Rows are keyed by id so updates keep the rest of the table in place.
#[component]
pub fn RunsTable(
    #[prop(into)] runs: Signal<Vec<SyncRunRow>>,
    #[prop(into)] time_zone: Signal<String>,
) -> impl IntoView {
    view! {
        <table class="runs">
            <caption class="runs__caption">"Times are shown in " {move || time_zone.get()}</caption>
            <thead>
                <tr>
                    <th scope="col">"Start time"</th>
                    <th scope="col">"Source"</th>
                    <th scope="col">"Configuration"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Duration"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || runs.get() key=|r| (r.id, r.version) let:run>
                    <RunRow run />
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn RunRow(run: SyncRunRow) -> impl IntoView {
    let duration = match (run.duration_ms, run.status.is_active()) {
        (Some(ms), false) => format_duration(ms),
        (Some(ms), true) => format!("{} so far", format_duration(ms)),
        (None, _) => "—".to_string(),
    };
    let progress = (run.status == crate::domain::RunStatus::InProgress && run.progress_total > 0)
        .then(|| {
            view! {
                <progress
                    class="progress"
                    max=run.progress_total
                    value=run.progress_done
                    aria-label=format!("{} of {} records", run.progress_done, run.progress_total)
                ></progress>
            }
        });
    view! {
        <tr data-run-id=run.id>
            <td class="runs__start">{run.start_display.clone()}</td>
            <td>{run.source.display_name()}</td>
            <td>{run.configuration.clone()}</td>
            <td><StatusBadge status=run.status id=run.id.to_string() /> {progress}</td>
            <td class="runs__duration">{duration}</td>
        </tr>
    }
    .into_any()
}
