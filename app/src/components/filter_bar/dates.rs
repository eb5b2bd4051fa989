//! From and To, for a Custom range.

use super::Changer;
use crate::domain::{day_label, day_slug, parse_day, read_day, DateRange, RunFilter};
use chrono::NaiveDate;
use leptos::prelude::*;

/// From and To, for a Custom range: always rendered (hidden unless Custom) so the page
/// keeps one shape. They are the only controls that can make a filter the bar cannot apply
/// (a day it cannot read, From after To): `problem` marks them, and the bar's message
/// describes them.
///
/// Each is a text field in the page's own way of writing a day ("15 Jan 2024"; the
/// browser's date field would show the reader's locale, 01/15/2024 or 15.01.2024) with a
/// button that opens the browser's calendar for it.
#[component]
pub(super) fn DateFields(
    #[prop(into)] filter: Signal<RunFilter>,
    #[prop(into)] problem: Signal<bool>,
    update: Callback<Changer>,
    /// A day the fields cannot read, explained.
    unreadable: Callback<String>,
) -> impl IntoView {
    let custom = Memo::new(move |_| match filter.get().range {
        DateRange::Custom { from, to } => Some((from, to)),
        _ => None,
    });
    let set = move |from_side: bool, day: Option<NaiveDate>| {
        update.run(Box::new(move |f| {
            if let DateRange::Custom { from, to } = f.range {
                f.range = match from_side {
                    true => DateRange::Custom { from: day, to },
                    false => DateRange::Custom { from, to: day },
                };
            }
        }))
    };
    let field = move |from_side: bool| {
        let (name, label) = if from_side {
            ("from", "From")
        } else {
            ("to", "To")
        };
        let id = format!("filter-{name}");
        let picker = format!("filter-{name}-calendar");
        let day = move || {
            custom
                .get()
                .and_then(|(f, t)| if from_side { f } else { t })
        };
        // The other day bounds the calendar: From no later than To.
        let bound = move || {
            custom
                .get()
                .and_then(|(f, t)| if from_side { t } else { f })
        };
        let on_typed = move |ev| match read_day(label, &event_target_value(&ev)) {
            Ok(d) => {
                // Written back as the page writes days, even when the filter is unchanged
                // ("05 jan 2024" for a From of 5 Jan 2024).
                let field = event_target::<leptos::web_sys::HtmlInputElement>(&ev);
                field.set_value(&d.map(day_label).unwrap_or_default());
                set(from_side, d)
            }
            Err(e) => unreadable.run(e.to_string()),
        };
        let on_picked = move |ev| set(from_side, parse_day(&event_target_value(&ev)));
        let shown = untrack(day).map(day_label);
        let open = picker.clone();
        view! {
            // Without script the style sheet shows them as soon as Custom is chosen.
            <div class="field field--date" hidden=move || custom.get().is_none()>
                <label for=id.clone()>{label}</label>
                <span class="day">
                    <input id=id name=name type="text" data-day="" autocomplete="off"
                        placeholder="15 Jan 2024" size="11"
                        value=shown
                        prop:value=move || day().map(day_label).unwrap_or_default()
                        aria-invalid=move || problem.get().then_some("true")
                        aria-describedby=move || problem.get().then_some("filter-problem")
                        on:change=on_typed />
                    <button type="button" class="day__open" data-opens-calendar=picker.clone()
                        aria-label=format!("Choose the {label} date on a calendar")
                        on:click=move |_| crate::browser::show_picker(&open)>
                        <svg aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">
                            <path d="M4 1v2M12 1v2M1.5 5.5h13M2.5 3h11a1 1 0 0 1 1 1v9.5a1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z"
                                fill="none" stroke="currentColor" stroke-width="1.4" />
                        </svg>
                    </button>
                    // The browser's calendar, opened by the button: it is sent nowhere
                    // (no name); a day picked there fills the field.
                    <input id=picker type="date" class="day__calendar" tabindex="-1" aria-hidden="true"
                        prop:value=move || day().map(day_slug).unwrap_or_default()
                        min=move || (!from_side).then(|| bound().map(day_slug)).flatten()
                        max=move || from_side.then(|| bound().map(day_slug)).flatten()
                        on:change=on_picked />
                </span>
            </div>
        }
    };
    view! { {field(true)} {field(false)} }
}
