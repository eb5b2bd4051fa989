use crate::domain::{ConfigurationSummary, DateRange, RunFilter, RunStatus, SortOrder, SourceKind};
use chrono::NaiveDate;
use leptos::prelude::*;

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
) -> impl IntoView {
    // Set once the controls are live in the browser (effects never run on the server).
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    // A change the controls cannot express as a valid filter (From after To) is explained here.
    let problem = RwSignal::new(None::<String>);
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
                // The server checks what is sent (and drops dates beside a named range): a
                // folded date that breaks its `max` must not block the submit unseen.
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
                <DateFields filter problem=dates_wrong
                    update=Callback::new(update_with) />
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
            {move || match (problem.get(), link_problem.get()) {
                (Some(p), _) => Some(view! { <p id="filter-problem" class="alert alert--error" role="alert">{p}</p> }.into_any()),
                (None, Some(p)) => Some(view! { <p id="filter-problem" class="alert alert--error">{p}</p> }.into_any()),
                (None, None) => None,
            }}
        </section>
    }
}

/// A change to the filter, as the bar's parts hand it to the bar.
type Changer = Box<dyn Fn(&mut RunFilter) + Send + Sync>;

/// From and To, for a Custom range: always rendered (hidden unless Custom) so the page
/// keeps one shape. They are the only controls that can make a filter the bar cannot apply
/// (From after To): `problem` marks them, and the bar's message describes them.
#[component]
fn DateFields(
    #[prop(into)] filter: Signal<RunFilter>,
    #[prop(into)] problem: Signal<bool>,
    update: Callback<Changer>,
) -> impl IntoView {
    let custom = move || match filter.get().range {
        DateRange::Custom { from, to } => Some((from, to)),
        _ => None,
    };
    let custom_untracked = move || untrack(custom);
    let date_value = |d: Option<NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let parse_date = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
    let invalid = move || problem.get().then_some("true");
    let described = move || problem.get().then_some("filter-problem");
    let on_from = move |ev| {
        let from = parse_date(event_target_value(&ev));
        update.run(Box::new(move |f| {
            if let DateRange::Custom { to, .. } = f.range {
                f.range = DateRange::Custom { from, to };
            }
        }))
    };
    let on_to = move |ev| {
        let to = parse_date(event_target_value(&ev));
        update.run(Box::new(move |f| {
            if let DateRange::Custom { from, .. } = f.range {
                f.range = DateRange::Custom { from, to };
            }
        }))
    };
    view! {
        // Without script the style sheet shows them as soon as Custom is chosen.
        <div class="field field--date" hidden=move || custom().is_none()>
            <label for="filter-from">"From"</label>
            <input id="filter-from" name="from" type="date"
                value=date_value(custom_untracked().and_then(|c| c.0))
                prop:value=move || date_value(custom().and_then(|c| c.0))
                max=move || date_value(custom().and_then(|c| c.1)) aria-invalid=invalid aria-describedby=described
                on:change=on_from />
        </div>
        <div class="field field--date" hidden=move || custom().is_none()>
            <label for="filter-to">"To"</label>
            <input id="filter-to" name="to" type="date"
                value=date_value(custom_untracked().and_then(|c| c.1))
                prop:value=move || date_value(custom().and_then(|c| c.1))
                min=move || date_value(custom().and_then(|c| c.0)) aria-invalid=invalid aria-describedby=described
                on:change=on_to />
        </div>
    }
}

/// The Source and Configuration lists: what the organisation has, plus what the URL names
/// (a shared link), so they can always show the filter; with a source chosen, the
/// Configuration list holds that source's configurations.
#[component]
fn SourceFields(
    #[prop(into)] filter: Signal<RunFilter>,
    configurations: Vec<ConfigurationSummary>,
    update: Callback<Changer>,
) -> impl IntoView {
    let configurations = StoredValue::new(configurations);
    let update = move |change: Changer| update.run(change);
    // Memos, so the options are only drawn again when the lists themselves change.
    let sources = Memo::new(move |_| {
        let chosen = filter.with(|f| f.source);
        configurations.with_value(|cs| {
            SourceKind::ALL
                .into_iter()
                .filter(|k| chosen == Some(*k) || cs.iter().any(|c| c.source == *k))
                .collect::<Vec<_>>()
        })
    });
    let source_of = move |name: &str| {
        configurations.with_value(|cs| cs.iter().find(|c| c.name == name).map(|c| c.source))
    };
    let on_source = move |ev| {
        let source = event_target_value(&ev).parse::<SourceKind>().ok();
        update(Box::new(move |f| {
            f.source = source;
            // A configuration of another source would leave nothing to show.
            if let (Some(s), Some(name)) = (source, &f.configuration) {
                if source_of(name).is_some_and(|k| k != s) {
                    f.configuration = None;
                }
            }
        }))
    };
    let on_config = move |ev| {
        let name = event_target_value(&ev);
        update(Box::new(move |f| {
            f.configuration = (!name.is_empty()).then(|| name.clone())
        }))
    };
    // With a source chosen, the Configuration list holds that source's configurations.
    let offered = Memo::new(move |_| {
        let (source, chosen) = filter.with(|f| (f.source, f.configuration.clone()));
        configurations.with_value(|cs| {
            cs.iter()
                .filter(|c| {
                    source.is_none_or(|s| s == c.source) || chosen.as_ref() == Some(&c.name)
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    view! {
        <div class="field">
            <label for="filter-source">"Source"</label>
            <select id="filter-source" name="source" on:change=on_source
                prop:value=move || filter.get().source.map(SourceKind::slug).unwrap_or_default()>
                <option value="">"All sources"</option>
                // Keyed, so the option chosen keeps its element while the list
                // changes around it; `prop:selected` chooses it whatever the
                // user picked before, the attribute does for the server's page.
                <For each=move || sources.get() key=|k| *k let:k>
                    <option value=k.slug()
                        selected=move || filter.get().source == Some(k)
                        prop:selected=move || filter.get().source == Some(k)>
                        {k.display_name()}
                    </option>
                </For>
            </select>
        </div>
        <div class="field">
            <label for="filter-config">"Configuration"</label>
            <select id="filter-config" name="config" on:change=on_config
                prop:value=move || filter.get().configuration.unwrap_or_default()>
                <option value="">"All configurations"</option>
                <For each=move || offered.get() key=|c| c.name.clone() let:c>
                    {
                        let label = format!("{} ({})", c.name, c.source.display_name());
                        let name = StoredValue::new(c.name.clone());
                        let chosen = move || {
                            filter.with(|f| name.with_value(|n| f.configuration.as_ref() == Some(n)))
                        };
                        view! {
                            <option value=c.name selected=chosen prop:selected=chosen>{label}</option>
                        }
                    }
                </For>
            </select>
        </div>
    }
}

/// The statuses, folded into one control so the bar stays one line on a wide screen: a
/// native disclosure, so it opens before the app runs too. Each box hands its status to
/// `on_toggle`.
#[component]
fn StatusPicker(
    #[prop(into)] filter: Signal<RunFilter>,
    on_toggle: Callback<RunStatus>,
) -> impl IntoView {
    // What the Status control says while folded: the statuses chosen, or that all show.
    let chosen_statuses = move || {
        filter.with(|f| match f.statuses.len() {
            0 => "All".to_string(),
            1 => f
                .statuses
                .iter()
                .next()
                .map(|s| s.label().to_string())
                .unwrap_or_default(),
            n => format!("{n} chosen"),
        })
    };
    // A click elsewhere folds the statuses, as it closes a menu.
    let picker = NodeRef::<leptos::html::Details>::new();
    let outside = window_event_listener(leptos::ev::click, move |ev| {
        if let Some(details) = picker.get_untracked() {
            crate::browser::fold_unless_inside(&details, &ev);
        }
    });
    on_cleanup(move || outside.remove());
    // Escape folds the statuses and gives focus back to their control.
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            crate::browser::fold_disclosure(&ev);
        }
    };
    view! {
        <details class="status-picker" node_ref=picker on:keydown=close_on_escape
            on:focusout=move |ev| {
                if let Some(details) = picker.get_untracked() {
                    crate::browser::fold_when_focus_leaves(&details, &ev);
                }
            }>
            <summary class="status-picker__button">
                "Status: " <span class="status-picker__chosen">{chosen_statuses}</span>
            </summary>
            <fieldset class="statuses">
                <legend>"Status"</legend>
                {RunStatus::ALL.into_iter().map(|s| {
                    let id = format!("filter-status-{}", s.slug());
                    let toggle = move |_| on_toggle.run(s);
                    view! {
                        <span class="check">
                            <input type="checkbox" id=id.clone() name="status" value=s.slug()
                                checked=filter.with_untracked(|f| f.statuses.contains(&s))
                                prop:checked=move || filter.get().statuses.contains(&s) on:change=toggle />
                            <label for=id>{s.label()}</label>
                        </span>
                    }
                }).collect_view()}
            </fieldset>
        </details>
    }
}

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
