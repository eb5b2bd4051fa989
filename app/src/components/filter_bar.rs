use crate::domain::{ConfigurationSummary, DateRange, RunFilter, RunStatus, SortOrder, SourceKind};
use chrono::NaiveDate;
use leptos::prelude::*;

/// The filter controls of the Syncs page. They never hold state of their own: they show
/// `filter` (read from the URL) and hand every change to `on_change`, which writes the URL.
#[component]
pub fn FilterBar(
    #[prop(into)] filter: Signal<RunFilter>,
    configurations: Vec<ConfigurationSummary>,
    on_change: Callback<RunFilter>,
) -> impl IntoView {
    // Set once the controls are live in the browser (effects never run on the server).
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    // A change the controls cannot express as a valid filter (From after To) is explained here.
    let problem = RwSignal::new(None::<String>);
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
    let custom = move || match filter.get().range {
        DateRange::Custom { from, to } => Some((from, to)),
        _ => None,
    };
    let date_value = |d: Option<NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let parse_date = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
    let on_from = move |ev| {
        let from = parse_date(event_target_value(&ev));
        update(&|f| {
            if let DateRange::Custom { to, .. } = f.range {
                f.range = DateRange::Custom { from, to };
            }
        })
    };
    let on_to = move |ev| {
        let to = parse_date(event_target_value(&ev));
        update(&|f| {
            if let DateRange::Custom { from, .. } = f.range {
                f.range = DateRange::Custom { from, to };
            }
        })
    };
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
    // The configurations the Configuration list offers and the sources the Source list
    // offers: what the organisation has, plus what the URL names (a shared link), so the
    // lists can always show the filter.
    let configurations = StoredValue::new(configurations);
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
        update(&|f| {
            f.source = source;
            // A configuration of another source would leave nothing to show.
            if let (Some(s), Some(name)) = (source, &f.configuration) {
                if source_of(name).is_some_and(|k| k != s) {
                    f.configuration = None;
                }
            }
        })
    };
    let on_config = move |ev| {
        let name = event_target_value(&ev);
        update(&|f| f.configuration = (!name.is_empty()).then(|| name.clone()))
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
        <section class="filters" aria-label="Filters" data-interactive=move || interactive.get().then_some("true")>
            <div class="filters__row">
                <div class="field">
                    <label for="filter-range">"Date range"</label>
                    <select id="filter-range" on:change=on_range prop:value=move || filter.get().range.slug()>
                        <option value="all">"All Time"</option>
                        <option value="7d">"Last 7 Days"</option>
                        <option value="30d">"Last 30 Days"</option>
                        <option value="custom">"Custom"</option>
                    </select>
                </div>
                // Always rendered (hidden unless Custom) so the page keeps one shape.
                <div class="field" hidden=move || custom().is_none()>
                    <label for="filter-from">"From"</label>
                    <input id="filter-from" type="date"
                        prop:value=move || date_value(custom().and_then(|c| c.0))
                        max=move || date_value(custom().and_then(|c| c.1)) on:change=on_from />
                </div>
                <div class="field" hidden=move || custom().is_none()>
                    <label for="filter-to">"To"</label>
                    <input id="filter-to" type="date"
                        prop:value=move || date_value(custom().and_then(|c| c.1))
                        min=move || date_value(custom().and_then(|c| c.0)) on:change=on_to />
                </div>
                <div class="field">
                    <label for="filter-sort">"Sort order"</label>
                    <select id="filter-sort" on:change=on_sort prop:value=move || filter.get().sort.slug()>
                        <option value="newest">"Newest first"</option>
                        <option value="oldest">"Oldest first"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-source">"Source"</label>
                    <select id="filter-source" on:change=on_source
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
                    <select id="filter-config" on:change=on_config
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
            </div>
            <fieldset class="statuses">
                <legend>"Status"</legend>
                {RunStatus::ALL.into_iter().map(|s| {
                    let id = format!("filter-status-{}", s.slug());
                    let toggle = move |_| update(&|f| {
                        if !f.statuses.remove(&s) {
                            f.statuses.insert(s);
                        }
                    });
                    view! {
                        <span class="check">
                            <input type="checkbox" id=id.clone()
                                prop:checked=move || filter.get().statuses.contains(&s) on:change=toggle />
                            <label for=id>{s.label()}</label>
                        </span>
                    }
                }).collect_view()}
            </fieldset>
            {move || problem.get().map(|p| view! { <p class="alert alert--error" role="alert">{p}</p> })}
        </section>
    }
}

/// The active filters as removable pills, and "Clear filters".
#[component]
pub fn FilterPills(
    #[prop(into)] filter: Signal<RunFilter>,
    on_change: Callback<RunFilter>,
) -> impl IntoView {
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
                            view! {
                                <li class="pill">
                                    <span>{text}</span>
                                    <button type="button" class="pill__remove" aria-label=label
                                        on:click=move |_| on_change.run(filter.get_untracked().without(&part))>
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <button type="button" class="button" on:click=move |_| on_change.run(RunFilter::default())>
                "Clear filters"
            </button>
        </div>
    }
}
