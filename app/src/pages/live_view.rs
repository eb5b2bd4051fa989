//! The Syncs page's live view: it follows the organisation's change feed, and keeps the
//! newer copies of rows, the runs that appeared, the total and the chart it brings.

use crate::domain::{RunChart, RunFilter, SyncRunRow};
use leptos::prelude::*;

/// The live view: it asks what changed every 2.5 seconds while the page shows a Queued or
/// In Progress run, otherwise every 5 (an answer that nothing did costs the server one
/// index probe); it waits while the tab is hidden and asks as soon as it is shown again.
#[derive(Clone, Copy)]
pub(super) struct Live {
    pub(super) updates: RwSignal<std::collections::HashMap<i64, SyncRunRow>>,
    pub(super) fresh: RwSignal<Vec<SyncRunRow>>,
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
    pub(super) arrived: RwSignal<std::collections::HashSet<(i64, i64)>>,
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
        self.total.set(None);
        self.chart.set(None);
        self.seen.set(None);
        self.arrived.set(Default::default());
        self.news.set(String::new());
        // A filter's runs were just read: that is hearing from the server too.
        self.heard.set(self.clock.get_untracked());
    }

    /// `rows` with each replaced by the newest copy the live view has of it.
    pub(super) fn latest(self, rows: Vec<SyncRunRow>) -> Vec<SyncRunRow> {
        self.updates.with_untracked(|u| {
            rows.into_iter()
                .map(|r| match u.get(&r.id) {
                    Some(newer) if newer.version > r.version => newer.clone(),
                    _ => r,
                })
                .collect()
        })
    }

    /// Starts the ticking clock and the polling loop (in the browser only; effects do not
    /// run on the server). Both stop when the page goes away. Each second the loop also
    /// calls `follow`, so a filter change that the table's or the chart's watcher missed
    /// is loaded all the same.
    pub(super) fn start(
        self,
        query: Memo<String>,
        filter: Signal<RunFilter>,
        shown_now: impl Fn() -> Option<(i64, Vec<SyncRunRow>)> + Copy + 'static,
        follow: impl Fn() + Copy + 'static,
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
                    follow();
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
        let held: std::collections::HashMap<i64, &SyncRunRow> =
            shown.iter().map(|r| (r.id, r)).collect();
        let newest_first = filter.get_untracked().sort == crate::domain::SortOrder::NewestFirst;
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
        // Rows shown in an older version are updated; a row of the first page not shown
        // yet is new when it belongs above the top row (the newest first).
        let mut updated = Vec::new();
        let mut new_rows = Vec::new();
        for (row, on_first_page) in others
            .into_iter()
            .map(|r| (r, false))
            .chain(first.into_iter().map(|r| (r, true)))
        {
            match held.get(&row.id) {
                Some(h) if h.version < row.version => updated.push(row),
                Some(_) => {}
                None if on_first_page
                    && newest_first
                    && shown
                        .first()
                        .is_none_or(|top| row.sort_at_ms() >= top.sort_at_ms()) =>
                {
                    new_rows.push(row)
                }
                None => {}
            }
        }
        self.news.set(news(new_rows.len(), updated.len()));
        self.arrived.set(
            new_rows
                .iter()
                .chain(&updated)
                .map(|r| (r.id, r.version))
                .collect(),
        );
        if !updated.is_empty() {
            self.updates.update(|u| {
                for row in updated {
                    u.insert(row.id, row);
                }
            });
        }
        if !new_rows.is_empty() {
            self.fresh.update(|f| {
                new_rows.append(f);
                *f = new_rows;
            });
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

/// What a poll brought, as a screen reader announces it: "2 new runs, 1 run updated".
fn news(new: usize, updated: usize) -> String {
    let runs = |n: usize| if n == 1 { "run" } else { "runs" };
    match (new, updated) {
        (0, 0) => String::new(),
        (n, 0) => format!("{n} new {}", runs(n)),
        (0, u) => format!("{u} {} updated", runs(u)),
        (n, u) => format!("{n} new {}, {u} {} updated", runs(n), runs(u)),
    }
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
        assert_eq!(news(0, 0), "");
        assert_eq!(news(1, 0), "1 new run");
        assert_eq!(news(0, 3), "3 runs updated");
        assert_eq!(news(2, 1), "2 new runs, 1 run updated");
    }

    #[test]
    fn heard_ago_reads_as_people_say_it() {
        assert_eq!(heard_ago(0), "Updated just now");
        assert_eq!(heard_ago(7), "Updated 7 s ago");
        assert_eq!(heard_ago(125), "Updated 2 min ago");
    }
}
