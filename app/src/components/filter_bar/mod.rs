//! The Syncs page's filter bar and the pills that show the filters in use.

mod dates;
mod sources;
mod statuses;

use crate::domain::{ConfigurationSummary, DateRange, RunFilter, RunStatus, SortOrder};
use dates::DateFields;
use leptos::prelude::*;
use sources::SourceFields;
use statuses::StatusPicker;

/// The filter controls of the Syncs page. They never hold state of their own: they show
/// `filter` (read from the URL) and hand every change to `on_change`, which writes the URL.
///
/// They are also a plain GET form of the page's own query, so a choice made before the
/// app has hydrated (or without script) is not lost: the shell's `PREHYDRATION_SCRIPT`
/// sends the form on a change until then, and the server renders the filtered page.
#[component]
pub fn FilterBar(
    #[prop(into)] filter: Signal<RunFilter>,
    configurations: Vec<ConfigurationSummary>,
    on_change: Callback<RunFilter>,
    /// What is wrong with the dates of the link the page was opened with (From after To),
    /// which `filter` shows as they were given: the page lists it too, so it is not
    /// announced here again.
    #[prop(optional, into)]
    link_problem: Signal<Option<String>>,
    /// Days the link gives that cannot be read (From, To): the fields show them again.
    #[prop(optional, into)]
    typed_days: Signal<(Option<String>, Option<String>)>,
) -> impl IntoView {
    // Set once the controls are live in the browser (effects never run on the server).
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    // A change the controls cannot express as a valid filter (From after To) is explained here.
    let problem = RwSignal::new(None::<String>);
    // Days the date fields cannot read (From, To): kept while other controls change.
    let unreadable = RwSignal::new([None::<String>, None]);
    let dates_wrong =
        Signal::derive(move || problem.with(Option::is_some) || link_problem.with(Option::is_some));
    let apply = move |f: RunFilter| match RunFilter::from_query(&f.to_query()) {
        Ok(valid) => {
            problem.set(None);
            on_change.run(valid);
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let update = move |change: &dyn Fn(&mut RunFilter)| {
        let mut f = filter.get_untracked();
        change(&mut f);
        apply(f);
    };
    // The same for the parts of the bar that are components of their own.
    let update_with = move |change: Changer| update(&*change);

    let on_range = move |ev| {
        let value = event_target_value(&ev);
        update(&|f| {
            f.range = match value.as_str() {
                "7d" => DateRange::Last7Days,
                "30d" => DateRange::Last30Days,
                "custom" => match f.range {
                    DateRange::Custom { .. } => f.range,
                    _ => DateRange::Custom {
                        from: None,
                        to: None,
                    },
                },
                _ => DateRange::AllTime,
            }
        })
    };
    // Open if the page's early script opened it before the app hydrated.
    let drawer = RwSignal::new(crate::browser::has_class(
        "filters-form",
        "filters__form--open",
    ));
    // What the controls show in the server's page, as attributes: a choice made before the
    // app runs starts from them (the properties set afterwards follow the URL).
    let initially = move |test: &dyn Fn(&RunFilter) -> bool| filter.with_untracked(test);
    let on_sort = move |ev| {
        let oldest = event_target_value(&ev) == "oldest";
        update(&|f| {
            f.sort = if oldest {
                SortOrder::OldestFirst
            } else {
                SortOrder::NewestFirst
            }
        })
    };
    view! {
        <section class="filters" aria-label="Filters" data-interactive=move || interactive.get().then_some("true")>
            // On a phone the controls are a drawer behind one button that counts the
            // filters in use; on a wider screen the button is not shown.
            <button type="button" class="button filters__drawer" aria-controls="filters-form"
                data-early-toggle="filters__form--open"
                aria-expanded=move || drawer.get().to_string() on:click=move |_| drawer.update(|open| *open = !*open)>
                {move || match filter.with(|f| f.pills().len()) {
                    0 => "Filters".to_string(),
                    n => format!("Filters ({n})"),
                }}
            </button>
            // `autocomplete="off"`: a page the browser restores (Back) shows the URL's filter,
            // not the controls as they were left.
            <form id="filters-form" class="filters__form" class:filters__form--open=move || drawer.get()
                method="get" action="/admin/user-provisioning" data-sends-early="true" autocomplete="off"
                // The server checks what is sent (and drops dates beside a named range), and
                // explains every problem at once: the browser's own checks would stop at one.
                novalidate=true
                on:submit=|ev| ev.prevent_default()>
            <div class="filters__row">
                <div class="field">
                    <label for="filter-range">"Date range"</label>
                    <select id="filter-range" name="range" on:change=on_range prop:value=move || filter.get().range.slug()>
                        {[("all", "All Time"), ("7d", "Last 7 Days"), ("30d", "Last 30 Days"), ("custom", "Custom")]
                            .into_iter()
                            .map(|(slug, label)| view! { <option value=slug selected=initially(&|f| f.range.slug() == slug)>{label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <DateFields filter problem=dates_wrong typed=typed_days
                    update=Callback::new(update_with)
                    unreadable />
                <div class="field">
                    <label for="filter-sort">"Sort order"</label>
                    <select id="filter-sort" name="sort" on:change=on_sort prop:value=move || filter.get().sort.slug()>
                        {[SortOrder::NewestFirst, SortOrder::OldestFirst]
                            .into_iter()
                            .map(|o| view! { <option value=o.slug() selected=initially(&|f| f.sort == o)>{o.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <SourceFields filter configurations update=Callback::new(update_with) />
                <StatusPicker filter on_toggle=Callback::new(move |s: RunStatus| update(&|f| {
                    if !f.statuses.remove(&s) {
                        f.statuses.insert(s);
                    }
                })) />
            </div>
            // Only for a page without script: with it, every change applies at once.
            <button type="submit" class="button filters__apply" hidden=move || interactive.get()>"Apply filters"</button>
            </form>
            {move || {
                // Days that cannot be read first: the filter in use never holds them.
                let unread = unreadable.with(|u| u.iter().flatten().cloned().collect::<Vec<_>>());
                match (unread.is_empty(), problem.get(), link_problem.get()) {
                    (false, _, _) => Some(view! { <p id="filter-problem" class="alert alert--error" role="alert">{unread.join(" ")}</p> }.into_any()),
                    (true, Some(p), _) => Some(view! { <p id="filter-problem" class="alert alert--error" role="alert">{p}</p> }.into_any()),
                    (true, None, Some(p)) => Some(view! { <p id="filter-problem" class="alert alert--error">{p}</p> }.into_any()),
                    (true, None, None) => None,
                }
            }}
        </section>
    }
}

/// A change to the filter, as the bar's parts hand it to the bar.
type Changer = Box<dyn Fn(&mut RunFilter) + Send + Sync>;

/// The active filters as removable pills, and "Clear filters".
#[component]
pub fn FilterPills(
    #[prop(into)] filter: Signal<RunFilter>,
    on_change: Callback<RunFilter>,
    /// The page's address for a filter's query: the pills are links to the list without
    /// one part (or any), so they work before the page's code has loaded too.
    link: fn(&str) -> String,
) -> impl IntoView {
    // Once hydrated, a pill changes the filter in place, as the controls do.
    let change = move |ev: leptos::ev::MouseEvent, to: RunFilter| {
        ev.prevent_default();
        on_change.run(to);
    };
    // One shape whatever the filter (hidden when nothing is active), so hydration
    // always finds the markup the server rendered.
    view! {
        <div class="pills" hidden=move || filter.get().is_default()>
            <ul aria-label="Active filters">
                {move || {
                    filter
                        .get()
                        .pills()
                        .into_iter()
                        .map(|(part, text)| {
                            let label = format!("Remove filter {text}");
                            let without = filter.get_untracked().without(&part);
                            view! {
                                <li class="pill">
                                    // A name written right to left stays inside its pill.
                                    <bdi>{text}</bdi>
                                    <a class="pill__remove" aria-label=label
                                        href=link(&without.to_query())
                                        on:click=move |ev| change(ev, without.clone())>
                                        "×"
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <a class="button" href=link("")
                on:click=move |ev| change(ev, RunFilter::default())>
                "Clear filters"
            </a>
        </div>
    }
}
