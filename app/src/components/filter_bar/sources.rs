//! The Source and Configuration lists.

use super::Changer;
use crate::domain::{ConfigurationSummary, RunFilter, SourceKind};
use leptos::prelude::*;

/// The Source and Configuration lists: what the organisation has, plus what the URL names
/// (a shared link), so they can always show the filter; with a source chosen, the
/// Configuration list holds that source's configurations.
#[component]
pub(super) fn SourceFields(
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
