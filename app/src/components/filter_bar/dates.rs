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
    /// Days the link gave that cannot be read (From, To), shown again where they were typed.
    #[prop(into)]
    typed: Signal<(Option<String>, Option<String>)>,
    update: Callback<Changer>,
    /// What the From and To fields hold that cannot be read, explained (the bar shows
    /// it); each such field is marked alone.
    unreadable: RwSignal<[Option<String>; 2]>,
) -> impl IntoView {
    let custom = Memo::new(move |_| match filter.get().range {
        DateRange::Custom { from, to } => Some((from, to)),
        _ => None,
    });
    let from_field = NodeRef::<leptos::html::Input>::new();
    let to_field = NodeRef::<leptos::html::Input>::new();
    // Both fields, as the page writes days.
    let write_days = move |from: Option<NaiveDate>, to: Option<NaiveDate>| {
        for (field, day) in [(from_field, from), (to_field, to)] {
            if let Some(input) = field.get_untracked() {
                input.set_value(&day.map(day_label).unwrap_or_default());
            }
        }
    };
    // The fields are written when the filter's dates change, and only then: never at
    // hydration, so days typed before the app ran stay as typed (a property bound to the
    // filter would put the link's days back over them).
    Effect::watch(
        move || custom.get(),
        move |days, _, _| {
            let (from, to) = days.unwrap_or_default();
            write_days(from, to);
            unreadable.set([None, None]);
        },
        false,
    );
    // The pair on screen is applied, both days: mending From after To in one field keeps
    // what the other holds, whether typed here, before the app ran, or from the link.
    let apply_shown = move || {
        let read = |field: NodeRef<leptos::html::Input>, label| {
            read_day(
                label,
                &field.get_untracked().map(|i| i.value()).unwrap_or_default(),
            )
        };
        let (from, to) = (read(from_field, "From"), read(to_field, "To"));
        // Every field that cannot be read is explained at once, not the first alone.
        let problem_of = |day: &Result<_, crate::domain::FilterError>| {
            day.as_ref().err().map(ToString::to_string)
        };
        unreadable.set([problem_of(&from), problem_of(&to)]);
        if let (Ok(from), Ok(to)) = (from, to) {
            // Written back as the page writes days, even when the filter is unchanged
            // ("05 jan 2024" for a From of 5 Jan 2024).
            write_days(from, to);
            update.run(Box::new(move |f| {
                if let DateRange::Custom { .. } = f.range {
                    f.range = DateRange::Custom { from, to };
                }
            }))
        }
    };
    // Whether the fields show days other than the filter's: typed, not yet applied.
    let pending = move || {
        let (from, to) = custom.get_untracked().unwrap_or_default();
        [(from_field, from), (to_field, to)]
            .into_iter()
            .any(|(field, day)| {
                field
                    .get_untracked()
                    .is_some_and(|i| i.value().trim() != day.map(day_label).unwrap_or_default())
            })
    };
    // Leaving the dates (not for the other field or a calendar button) applies what they
    // hold, if that was not applied yet: a day typed before the app ran had its change
    // before anything here listened.
    let on_leave = move |ev: leptos::ev::FocusEvent| {
        use leptos::wasm_bindgen::JsCast;
        let to_dates = ev
            .related_target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .is_some_and(|t| t.closest(".day").ok().flatten().is_some());
        if !to_dates && custom.get_untracked().is_some() && pending() {
            apply_shown();
        }
    };
    let field = move |from_side: bool| {
        let (name, label, node) = if from_side {
            ("from", "From", from_field)
        } else {
            ("to", "To", to_field)
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
        // A day picked on the calendar fills its field; then the pair is applied.
        let on_picked = move |ev| {
            if let (Some(input), Some(d)) =
                (node.get_untracked(), parse_day(&event_target_value(&ev)))
            {
                input.set_value(&day_label(d));
            }
            apply_shown();
        };
        let typed_here = move || typed.with(|(f, t)| if from_side { f.clone() } else { t.clone() });
        // Marked: a day of its own that cannot be read, or while none is, the pair's
        // problem or a day the link gave that cannot be read.
        let side = usize::from(!from_side);
        let own = move || unreadable.with(|u| u[side].is_some());
        let marked = move || {
            own()
                || (unreadable.with(|u| u.iter().all(Option::is_none))
                    && (problem.get() || typed_here().is_some()))
        };
        let described = move || own() || (marked() && problem.get());
        // In the server's page: the link's day, or what it gave that cannot be read.
        let shown = untrack(typed_here).or_else(|| untrack(day).map(day_label));
        let open = picker.clone();
        view! {
            // Without script the style sheet shows them as soon as Custom is chosen.
            <div class="field field--date" hidden=move || custom.get().is_none()>
                <label for=id.clone()>{label}</label>
                <span class="day" on:focusout=on_leave>
                    <input id=id name=name type="text" data-day="" autocomplete="off"
                        placeholder="15 Jan 2024" size="11" node_ref=node
                        value=shown
                        aria-invalid=move || marked().then_some("true")
                        aria-describedby=move || described().then_some("filter-problem")
                        on:change=move |_| apply_shown() />
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
