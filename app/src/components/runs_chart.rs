//! The overview chart above the runs table: runs per day stacked by status, the average
//! duration as a line, a legend that shows or hides statuses, and the same numbers as a
//! table for screen readers. Hand-written SVG: a few rectangles need no charting crate,
//! and the first page stays light.

use crate::domain::{format_duration, ChartDay, RunChart, RunFilter, RunStatus};
use leptos::prelude::*;

/// Width of one day's slot and the chart's height, in SVG units. The drawing stretches to
/// the page's width; lines keep their width whatever the stretch.
const SLOT: f64 = 10.0;
const BAR: f64 = 7.0;
const HEIGHT: f64 = 100.0;
/// The cookie that keeps the chart folded (`folded`) for the viewer's browser.
const FOLDED: &str = "up_chart";

#[component]
pub fn RunsChart(
    /// The chart to draw; it changes in place as the live view learns of runs.
    #[prop(into)]
    chart: Signal<RunChart>,
    #[prop(into)] filter: Signal<RunFilter>,
    on_change: Callback<RunFilter>,
    /// Kept by the page across filters: the id of the element to focus when the chart is
    /// drawn again for the filter a click of it chose, so keyboard users stay in place.
    refocus: RwSignal<Option<String>>,
) -> impl IntoView {
    Effect::new(move || {
        if let Some(id) = refocus.get_untracked() {
            refocus.set(None);
            // After the frame: by then this chart has replaced the previous one, whose
            // elements carried the same ids.
            request_animation_frame(move || crate::browser::focus_by_id(&id));
        }
    });
    let days = Memo::new(move |_| chart.with(|c| c.days.len()));
    let scale = Memo::new(move |_| nice_ceiling(chart.with(RunChart::max_total)));
    let longest = Memo::new(move |_| chart.with(RunChart::max_average_ms));
    // The day under the pointer or keyboard focus, for the tooltip; and which day holds the
    // chart's one tab stop (the latest at first): arrow keys move it.
    let pointed = RwSignal::new(None::<usize>);
    let current = RwSignal::new(None::<usize>);
    let tab_stop = move || {
        current
            .get()
            .unwrap_or_else(|| days.get().saturating_sub(1))
    };
    let day_at = move |i: usize| chart.with(|c| c.days.get(i).cloned());
    let choose = move |i: usize| {
        if let Some(d) = day_at(i) {
            refocus.set(Some("chart-day-0".into()));
            on_change.run(filter.get_untracked().on_day(d.day));
        }
    };
    let move_to = move |i: usize| {
        current.set(Some(i));
        crate::browser::focus_by_id(&format!("chart-day-{i}"));
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent, i: usize| {
        let last = days.get_untracked().saturating_sub(1);
        let target = match ev.key().as_str() {
            "ArrowLeft" | "ArrowDown" => Some(i.saturating_sub(1)),
            "ArrowRight" | "ArrowUp" => Some((i + 1).min(last)),
            "Home" => Some(0),
            "End" => Some(last),
            "Enter" | " " => {
                ev.prevent_default();
                choose(i);
                None
            }
            _ => None,
        };
        if let Some(t) = target {
            ev.prevent_default();
            move_to(t);
        }
    };
    let width = move || days.get().max(1) as f64 * SLOT;
    // Folded, the chart is its title and caption, and the runs move up the page; the
    // browser keeps the choice (and the server renders it so).
    let folded = RwSignal::new(crate::browser::preference(FOLDED).as_deref() == Some("folded"));
    let fold = move |_| {
        let now = !folded.get_untracked();
        folded.set(now);
        crate::browser::keep_preference(FOLDED, if now { "folded" } else { "open" });
    };
    // One day: a focusable bar, named with its numbers, that lists the day's runs.
    let day_bar = move |i: usize| {
        let day = Memo::new(move |_| day_at(i));
        let label = move || {
            day.get()
                .map(|d| format!("{}. Show this day's runs.", d.summary()))
        };
        view! {
            <g
                class="chart__day"
                id=format!("chart-day-{i}")
                role="button"
                tabindex=move || if tab_stop() == i { "0" } else { "-1" }
                aria-label=label
                on:click=move |_| choose(i)
                on:keydown=move |ev| on_key(ev, i)
                on:focus=move |_| {
                    current.set(Some(i));
                    pointed.set(Some(i));
                }
                on:blur=move |_| pointed.set(None)
                on:mouseenter=move |_| pointed.set(Some(i))
            >
                <rect class="chart__hit" x={i as f64 * SLOT} y="0" width=SLOT height=HEIGHT></rect>
                {move || day.get().map(|d| stack(&d, i, scale.get()))}
            </g>
        }
    };

    view! {
        <section class="chart" aria-labelledby="chart-title">
            <div class="chart__head">
                <h2 id="chart-title">"Runs per day"</h2>
                <p class="chart__caption">{move || chart.with(RunChart::caption)}</p>
                <button type="button" class="chart__fold" aria-controls="chart-body"
                    aria-expanded=move || (!folded.get()).to_string() on:click=fold>
                    {move || if folded.get() { "Show chart" } else { "Hide chart" }}
                </button>
            </div>
            <div id="chart-body" hidden=move || folded.get()>
            <Show when=move || { days.get() > 0 }>
            <Legend chart filter on_change refocus />
            <div class="chart__scale" aria-hidden="true">
                <span>{move || scale_label(scale.get())}</span>
                <span class="chart__scale-trend">
                    {move || longest.get().map(|ms| format!("Average duration up to {}", format_duration(ms)))}
                </span>
            </div>
            <div class="chart__plot">
                <svg
                    class="chart__svg"
                    viewBox=move || format!("0 0 {} {HEIGHT}", width())
                    preserveAspectRatio="none"
                    role="group"
                    aria-label="Runs per day: choose a day to list its runs"
                    on:mouseleave=move |_| pointed.set(None)
                >
                    <line class="chart__axis" x1="0" x2=width y1=HEIGHT y2=HEIGHT></line>
                    <line class="chart__grid" x1="0" x2=width y1={HEIGHT / 2.0} y2={HEIGHT / 2.0}></line>
                    <For
                        each=move || 0..days.get()
                        key=|i| *i
                        children=day_bar
                    />
                    {move || trend(&chart.get(), longest.get())}
                </svg>
                {move || pointed.get().and_then(|i| Some((i, day_at(i)?))).map(|(i, d)| {
                    let n = days.get_untracked().max(1) as f64;
                    // Centred over its bar; near either end it leans inwards, so it stays in
                    // the plot with the bar still under it.
                    let at = (i as f64 + 0.5) / n * 100.0;
                    let lean = if at < 20.0 { 10 } else if at > 80.0 { 90 } else { 50 };
                    view! {
                        // Set through the element's style object: the page's Content Security
                        // Policy refuses inline style attributes.
                        <div
                            class="chart__tip"
                            aria-hidden="true"
                            style:left=format!("{at:.2}%")
                            style:transform=format!("translateX(-{lean}%)")
                        >
                            {d.summary()}
                        </div>
                    }
                })}
            </div>
            <div class="chart__days" aria-hidden="true">
                {move || chart.with(|c| {
                    let first = c.days.first().map(ChartDay::label).unwrap_or_default();
                    let last = c.days.last().map(ChartDay::label).unwrap_or_default();
                    view! { <span>{first}</span><span>{last}</span> }
                })}
            </div>
            <ChartTable chart />
            </Show>
            </div>
        </section>
    }
    .into_any()
}

/// The legend: one toggle per status (shown in the Status filter or not) with its runs
/// in the chart, and the duration line's key.
#[component]
fn Legend(
    chart: Signal<RunChart>,
    filter: Signal<RunFilter>,
    on_change: Callback<RunFilter>,
    refocus: RwSignal<Option<String>>,
) -> impl IntoView {
    // Each status's runs over the whole chart, summed once per chart.
    let totals = Memo::new(move |_| chart.with(RunChart::totals));
    view! {
        <ul class="chart__legend" aria-label="Show only the chosen statuses">
            {RunStatus::ALL
                .into_iter()
                .map(|status| {
                    let count = move || {
                        totals.with(|t| t.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n))
                    };
                    let pressed = move || filter.with(|f| f.statuses.contains(&status));
                    view! {
                        <li>
                            <button
                                type="button"
                                id=format!("legend-{}", status.slug())
                                class="legend"
                                aria-pressed=move || pressed().to_string()
                                // Before the app has hydrated, a click opens the list it would show.
                                data-early-href=move || {
                                    crate::pages::syncs_url(&filter.with(|f| f.toggled(status).to_query()))
                                }
                                on:click=move |_| {
                                    refocus.set(Some(format!("legend-{}", status.slug())));
                                    on_change.run(filter.get_untracked().toggled(status));
                                }
                            >
                                <span class=format!("swatch swatch--{}", status.slug()) aria-hidden="true"></span>
                                {status.label()}
                                " "
                                <span class="legend__count">"(" {count} ")"</span>
                            </button>
                        </li>
                    }
                })
                .collect_view()}
            <li class="legend legend--trend" aria-hidden="true">
                <span class="swatch swatch--trend"></span>
                "Average duration"
            </li>
        </ul>
    }
}

/// One day's bar: a rectangle per status, bottom up in the statuses' order.
fn stack(day: &ChartDay, i: usize, scale: u64) -> impl IntoView {
    let x = i as f64 * SLOT + (SLOT - BAR) / 2.0;
    let mut top = HEIGHT;
    day.counts
        .iter()
        .map(|(status, n)| {
            let h = *n as f64 / scale.max(1) as f64 * HEIGHT;
            top -= h;
            view! {
                <rect
                    class=format!("bar bar--{}", status.slug())
                    x=x
                    y=top
                    width=BAR
                    height=h
                ></rect>
            }
        })
        .collect_view()
}

/// The average duration as a line over the days that have one (a gap where none finished).
fn trend(chart: &RunChart, longest: Option<i64>) -> impl IntoView {
    let Some(longest) = longest.filter(|l| *l > 0) else {
        return ().into_any();
    };
    let mut lines: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, day) in chart.days.iter().enumerate() {
        match day.average_ms {
            Some(ms) => {
                let x = i as f64 * SLOT + SLOT / 2.0;
                // The line keeps clear of the top edge so its stroke is not cut.
                let y = HEIGHT - ms as f64 / longest as f64 * (HEIGHT - 4.0);
                lines.last_mut().expect("one line").push((x, y));
            }
            None => lines.push(Vec::new()),
        }
    }
    lines
        .into_iter()
        .filter(|points| !points.is_empty())
        .map(|mut points| {
            // A lone day is drawn as a short dash so it still shows.
            if let [(x, y)] = points[..] {
                points = vec![(x - 2.5, y), (x + 2.5, y)];
            }
            let points: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            view! { <polyline class="chart__trend" points=points.join(" ")></polyline> }
        })
        .collect_view()
        .into_any()
}

/// The chart's numbers as a table, for screen readers (the drawing says the same).
#[component]
fn ChartTable(chart: Signal<RunChart>) -> impl IntoView {
    view! {
        // The wrapper hides it: a table is never narrower than its cells, whatever its width.
        <div class="visually-hidden">
        <table>
            <caption>"Runs per day by status, with the average duration of finished runs"</caption>
            <thead>
                <tr>
                    <th scope="col">"Day"</th>
                    {RunStatus::ALL.into_iter().map(|s| view! { <th scope="col">{s.label()}</th> }).collect_view()}
                    <th scope="col">"Total"</th>
                    <th scope="col">"Average duration"</th>
                </tr>
            </thead>
            <tbody>
                {move || chart.with(|c| c.days.iter().map(|d| view! {
                    <tr>
                        <th scope="row">{d.label()}</th>
                        {RunStatus::ALL.into_iter().map(|s| view! { <td>{d.count(s)}</td> }).collect_view()}
                        <td>{d.total()}</td>
                        <td>{d.average_ms.map_or_else(|| "—".to_string(), format_duration)}</td>
                    </tr>
                }).collect_view())}
            </tbody>
        </table>
        </div>
    }
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `n` (and at least 1): a round top for the scale.
fn nice_ceiling(n: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The scale's top as it reads: "1 run", "20 runs".
fn scale_label(top: u64) -> String {
    format!("{top} {}", if top == 1 { "run" } else { "runs" })
}

#[cfg(test)]
mod tests {
    use super::{nice_ceiling, scale_label};

    #[test]
    fn the_scale_says_run_or_runs() {
        assert_eq!(scale_label(1), "1 run");
        assert_eq!(scale_label(2), "2 runs");
        assert_eq!(scale_label(1000), "1000 runs");
    }

    #[test]
    fn scale_tops_are_round() {
        let tops: Vec<u64> = [0, 1, 2, 3, 6, 10, 11, 48, 200, 201, 999]
            .into_iter()
            .map(nice_ceiling)
            .collect();
        assert_eq!(tops, [1, 1, 2, 5, 10, 10, 20, 50, 200, 500, 1000]);
        assert_eq!(nice_ceiling(u64::MAX), u64::MAX);
    }
}
