use crate::{
    components::{DownloadMenu, Downloadable, RunProgress, StatusBadge},
    domain::{format_duration, time_ago, LogAvailability, SyncRunRow},
};
use leptos::prelude::*;

/// The runs table. Rows are keyed by id and version, so an update replaces only its row.
#[component]
pub fn RunsTable(
    #[prop(into)] runs: Signal<Vec<SyncRunRow>>,
    #[prop(into)] time_zone: Signal<String>,
    /// Seconds since the page started; running syncs' durations tick with it.
    #[prop(optional)]
    clock: Option<RwSignal<i64>>,
    /// The (id, version) of rows the live view has just brought: they are marked as they
    /// appear (a highlight that fades by itself).
    #[prop(optional, into)]
    arrived: Option<Signal<std::collections::HashSet<(i64, i64)>>>,
    /// When the server answered (ms since the epoch): "… ago" is told from it until the
    /// clock runs.
    #[prop(optional)]
    answered_at_ms: Option<i64>,
) -> impl IntoView {
    // How far the browser's clock is behind the server's (ahead, if negative), as of the
    // answer: "… ago" is told in the server's time, whatever the browser's clock says.
    let skew = answered_at_ms.map_or(0, |at| at - crate::browser::now_ms());
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
                    <th scope="col">"Logs"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || runs.get() key=|r| (r.id, r.version) let:run>
                    {
                        let fresh = arrived
                            .is_some_and(|a| a.with_untracked(|a| a.contains(&(run.id, run.version))));
                        view! { <RunRow run clock fresh answered_at_ms skew /> }
                    }
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn RunRow(
    run: SyncRunRow,
    clock: Option<RwSignal<i64>>,
    fresh: bool,
    answered_at_ms: Option<i64>,
    skew: i64,
) -> impl IntoView {
    // A running sync's duration was measured when the row arrived; it goes on from there.
    let arrived = clock.map(|c| c.get_untracked()).unwrap_or_default();
    let (duration_ms, active) = (run.duration_ms, run.status.is_active());
    let duration = move || match (duration_ms, active) {
        (Some(ms), false) => format_duration(ms),
        (Some(ms), true) => {
            let ticked = clock.map(|c| c.get() - arrived).unwrap_or_default();
            format!("{} so far", format_duration(ms + ticked * 1000))
        }
        (None, _) => "—".to_string(),
    };
    // How long ago the time the row shows was (its start, or its queueing if not started),
    // kept current by the page's clock. The clock ticks only in the browser, from 1 after
    // the app has hydrated: until then it is told from when the server answered, the same
    // words in the server's page and at hydration whatever the two clocks say.
    let at = run.sort_at_ms();
    let ago = Memo::new(move |_| match clock.filter(|c| c.get() > 0) {
        Some(_) => Some(time_ago(crate::browser::now_ms() + skew - at)),
        None => answered_at_ms.map(|now| time_ago(now - at)),
    });
    let progress = view! { <RunProgress run=run.clone() /> };
    let summary = run.summary();
    let details = format!("/admin/user-provisioning/runs/{}", run.id);
    let logs = (run.status.logs() != LogAvailability::None)
        .then(|| view! { <DownloadMenu what=Downloadable::RunLog(run.id) /> }.into_any());
    view! {
        <tr data-run-id=run.id class:runs__row--fresh=fresh>
            // On a phone each row is a card: the cells carry their column's name to show.
            <td class="runs__start" data-label="Start time">
                <a class="row-link" href=details aria-label=format!("Details of the run started {}", run.start_display)>
                    {run.start_display.clone()}
                </a>
                <span class="runs__ago">{move || ago.get()}</span>
            </td>
            <td class="runs__source" data-label="Source">{run.source.display_name()}</td>
            <td class="runs__configuration" data-label="Configuration" title=run.configuration.clone()>{run.configuration.clone()}</td>
            <td data-label="Status">
                <StatusBadge status=run.status id=run.id.to_string() />
                {progress}
                {summary.map(|s| { let title = s.clone(); view! { <span class="runs__summary" title=title>{s}</span> } })}
            </td>
            <td class="runs__duration" data-label="Duration">{duration}</td>
            <td class="runs__logs" data-label="Logs">{logs}</td>
        </tr>
    }
    .into_any()
}
