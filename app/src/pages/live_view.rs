//! The Syncs page's live view: it follows the organisation's change feed, and keeps the
//! newer copies of rows, the runs that appeared, the total and the chart it brings.

use crate::domain::{RunChart, RunFilter, SortOrder, SyncRunRow};
use leptos::prelude::*;
use std::collections::{HashMap, HashSet};

/// The live view: it asks what changed every 2.5 seconds while the page shows a Queued or
/// In Progress run, otherwise every 5 (an answer that nothing did costs the server one
/// index probe); it waits while the tab is hidden and asks as soon as it is shown again.
#[derive(Clone, Copy)]
pub(super) struct Live {
    pub(super) updates: RwSignal<HashMap<i64, SyncRunRow>>,
    /// Runs that arrived on the filter's first page: new ones, and runs that came into the
    /// filter by changing status.
    pub(super) fresh: RwSignal<Vec<SyncRunRow>>,
    /// Runs that left the filter by changing status (a run that finished, on a list of
    /// runs in progress): no longer shown.
    pub(super) gone: RwSignal<HashSet<i64>>,
    pub(super) total: RwSignal<Option<u64>>,
    /// Seconds since the page started: durations of running syncs tick with it.
    pub(super) clock: RwSignal<i64>,
    /// Why the last poll failed, until one succeeds again.
    pub(super) trouble: RwSignal<Option<String>>,
    /// The chart redrawn after runs changed status or appeared, with its query.
    pub(super) chart: RwSignal<Option<(String, RunChart)>>,
    /// The organisation's count of changes as of the last poll; before it, the first
    /// page's.
    pub(super) seen: RwSignal<Option<i64>>,
    /// The `clock` when the page last heard from the server (its load, then each poll).
    pub(super) heard: RwSignal<i64>,
    /// The rows (id, version) the last poll brought, marked as they appear.
    pub(super) arrived: RwSignal<HashSet<(i64, i64)>>,
    /// What the last poll brought, in words for screen readers.
    pub(super) news: RwSignal<String>,
}

/// How often the page asks while a run is active, and otherwise.
const ACTIVE_POLL_MS: i64 = 2_500;
const IDLE_POLL_MS: i64 = 5_000;

impl Live {
    pub(super) fn new() -> Self {
        Live {
            updates: RwSignal::new(Default::default()),
            fresh: RwSignal::new(Vec::new()),
            gone: RwSignal::new(Default::default()),
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

    pub(super) fn reset(self) {
        self.updates.set(Default::default());
        self.fresh.set(Vec::new());
        self.gone.set(Default::default());
        self.total.set(None);
        self.chart.set(None);
        self.seen.set(None);
        self.arrived.set(Default::default());
        self.news.set(String::new());
        // A filter's runs were just read: that is hearing from the server too.
        self.heard.set(self.clock.get_untracked());
    }

    /// `rows` as the list shows them now: each in the newest copy the live view has of
    /// it, without the runs that left the filter, in the list's order.
    pub(super) fn latest(self, rows: Vec<SyncRunRow>, sort: SortOrder) -> Vec<SyncRunRow> {
        self.updates
            .with_untracked(|u| self.gone.with_untracked(|g| as_listed(rows, u, g, sort)))
    }

    /// Starts the ticking clock and the polling loop (in the browser only; effects do not
    /// run on the server). Both stop when the page goes away. Each second the loop also
    /// calls `retry_busy`, which asks again for answers the server was too busy to give.
    pub(super) fn start(
        self,
        query: Memo<String>,
        filter: Signal<RunFilter>,
        shown_now: impl Fn() -> Option<(i64, Vec<SyncRunRow>)> + Copy + 'static,
        retry_busy: impl Fn() + Copy + 'static,
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
                    retry_busy();
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
        // Changes to runs further down the list than the page holds would be of no use.
        let held = crate::domain::HeldRuns::of(&shown, filter.get_untracked().sort).to_param();
        let answer = crate::api::poll_sync_runs(asked.clone(), seen.to_string(), held).await;
        // The page may have gone while the answer was on its way (the viewer opened a run):
        // its values are disposed then, and reading one would panic.
        let Some(still_asked) = query.try_get_untracked() else {
            return;
        };
        let changes = match answer {
            Ok(changes) => changes,
            // The session ended (signed out elsewhere, idle, expired): say so at sign-in, which
            // leads back here.
            Err(e) if crate::browser::signed_in_again(&e) => return,
            // Anything else is retried on the next beat; the rows shown stay as they are
            // and the page says that what it shows may be out of date.
            Err(e) => {
                self.trouble.set(Some(e.to_string()));
                return;
            }
        };
        self.trouble.set(None);
        self.heard.set(self.clock.get_untracked());
        if still_asked != asked {
            // The filter changed meanwhile: this answer is for another view.
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
        let held: HashMap<i64, &SyncRunRow> = shown.iter().map(|r| (r.id, r)).collect();
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
        // Rows shown in an older version are updated, or leave the list when their new
        // status is not the filter's; a row of the first page not shown yet (a new run, or
        // one whose new status brought it into the filter) takes its place in the list.
        let filter_now = filter.get_untracked();
        let mut updated = Vec::new();
        let mut new_rows = Vec::new();
        let mut left = Vec::new();
        for (row, on_first_page) in others
            .into_iter()
            .map(|r| (r, false))
            .chain(first.into_iter().map(|r| (r, true)))
        {
            match held.get(&row.id) {
                Some(_) if !filter_now.admits_status(row.status) => left.push(row.id),
                Some(h) if h.version < row.version => updated.push(row),
                Some(_) => {}
                None if on_first_page => new_rows.push(row),
                None => {}
            }
        }
        self.news
            .set(news(new_rows.len(), updated.len(), left.len()));
        self.arrived.set(
            new_rows
                .iter()
                .chain(&updated)
                .map(|r| (r.id, r.version))
                .collect(),
        );
        if !left.is_empty() {
            self.gone.update(|g| g.extend(left));
        }
        if !updated.is_empty() {
            self.updates.update(|u| {
                for row in updated {
                    u.insert(row.id, row);
                }
            });
        }
        if !new_rows.is_empty() {
            self.gone
                .update(|g| new_rows.iter().for_each(|r| _ = g.remove(&r.id)));
            self.fresh.update(|f| f.extend(new_rows));
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

/// The rows of a list as shown: one copy of each run, the newest (from `updates` when it
/// is newer), none of the runs in `gone`, in the list's order (the server's: by sort
/// instant, then id). A run that started moves to its start, as it does on the server.
fn as_listed(
    rows: Vec<SyncRunRow>,
    updates: &HashMap<i64, SyncRunRow>,
    gone: &HashSet<i64>,
    sort: SortOrder,
) -> Vec<SyncRunRow> {
    let mut newest: HashMap<i64, SyncRunRow> = HashMap::with_capacity(rows.len());
    for row in rows.into_iter().filter(|r| !gone.contains(&r.id)) {
        let row = match updates.get(&row.id) {
            Some(newer) if newer.version > row.version => newer.clone(),
            _ => row,
        };
        match newest.get(&row.id) {
            Some(kept) if kept.version >= row.version => {}
            _ => _ = newest.insert(row.id, row),
        }
    }
    let mut listed: Vec<SyncRunRow> = newest.into_values().collect();
    listed.sort_by_key(|r| (r.sort_at_ms(), r.id));
    if sort == SortOrder::NewestFirst {
        listed.reverse();
    }
    listed
}

/// What a poll brought, as a screen reader announces it: "2 new runs, 1 run updated".
fn news(new: usize, updated: usize, left: usize) -> String {
    let runs = |n: usize| if n == 1 { "run" } else { "runs" };
    let mut parts = Vec::new();
    if new > 0 {
        parts.push(format!("{new} new {}", runs(new)));
    }
    if updated > 0 {
        parts.push(format!("{updated} {} updated", runs(updated)));
    }
    if left > 0 {
        let verb = if left == 1 { "matches" } else { "match" };
        parts.push(format!(
            "{left} {} no longer {verb} the filters",
            runs(left)
        ));
    }
    parts.join(", ")
}

/// How long ago the page last heard from the server, from the page's clock in seconds.
pub(super) fn heard_ago(seconds: i64) -> String {
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
        assert_eq!(news(0, 0, 0), "");
        assert_eq!(news(1, 0, 0), "1 new run");
        assert_eq!(news(0, 3, 0), "3 runs updated");
        assert_eq!(news(2, 1, 0), "2 new runs, 1 run updated");
        assert_eq!(news(0, 0, 2), "2 runs no longer match the filters");
        assert_eq!(
            news(1, 0, 1),
            "1 new run, 1 run no longer matches the filters"
        );
    }

    fn row(id: i64, at: i64, version: i64) -> SyncRunRow {
        use crate::domain::{RunCounts, RunStatus, SourceKind};
        SyncRunRow {
            id,
            configuration: "HR".into(),
            source: SourceKind::Sftp,
            status: RunStatus::Success,
            queued_at_ms: at,
            started_at_ms: None,
            finished_at_ms: None,
            start_display: String::new(),
            duration_ms: None,
            progress_done: 0,
            progress_total: 0,
            counts: RunCounts::default(),
            version,
            reason: None,
        }
    }

    fn ids(rows: &[SyncRunRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn a_listed_run_shows_once_in_its_newest_copy_and_in_order() {
        // A run brought on the first page by a poll (4), also found by "Load more" later.
        let rows = vec![
            row(4, 250, 2),
            row(3, 300, 1),
            row(2, 250, 1),
            row(4, 250, 1),
            row(1, 100, 1),
        ];
        let mut updates = HashMap::new();
        let mut started = row(1, 100, 2);
        started.started_at_ms = Some(400);
        updates.insert(1, started);
        let listed = as_listed(
            rows.clone(),
            &updates,
            &HashSet::new(),
            SortOrder::NewestFirst,
        );
        assert_eq!(
            ids(&listed),
            [1, 3, 4, 2],
            "run 1 started last, so it leads"
        );
        assert_eq!(listed[2].version, 2, "the newer copy of run 4");
        assert_eq!(listed[0].version, 2, "the update of run 1");
        let listed = as_listed(rows, &updates, &HashSet::new(), SortOrder::OldestFirst);
        assert_eq!(ids(&listed), [2, 4, 3, 1]);
    }

    #[test]
    fn a_run_that_left_the_filter_is_not_listed() {
        let rows = vec![row(3, 300, 1), row(2, 200, 1), row(1, 100, 1)];
        let gone = HashSet::from([2]);
        let listed = as_listed(rows, &HashMap::new(), &gone, SortOrder::NewestFirst);
        assert_eq!(ids(&listed), [3, 1]);
    }

    #[test]
    fn heard_ago_reads_as_people_say_it() {
        assert_eq!(heard_ago(0), "Updated just now");
        assert_eq!(heard_ago(7), "Updated 7 s ago");
        assert_eq!(heard_ago(125), "Updated 2 min ago");
    }
}
