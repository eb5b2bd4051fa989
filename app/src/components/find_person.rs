use crate::domain::MAX_PERSON_QUERY;
use leptos::prelude::*;
use leptos_router::{hooks::use_navigate, NavigateOptions};

/// Where a person's history lives: `?q=` holds the search.
pub const PEOPLE_PATH: &str = "/admin/user-provisioning/people";

/// The person history page for a search.
pub fn people_path(q: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("q", q.trim());
    format!("{PEOPLE_PATH}?{}", query.finish())
}

/// The "Find a person" search: an email address or an Employee ID, exact or the start of
/// one. A plain GET form, so it works before the page's code has loaded; once it has, the
/// search opens the person's history without reloading the page.
#[component]
pub fn FindPerson(
    /// The search shown in the field.
    #[prop(into, optional)]
    value: Signal<String>,
) -> impl IntoView {
    let text = RwSignal::new(value.get_untracked());
    Effect::watch(
        move || value.get(),
        move |v, _, _| text.set(v.clone()),
        false,
    );
    let navigate = StoredValue::new(use_navigate());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let q = text.get_untracked();
        // An empty search is left to the field's `required`.
        if q.trim().is_empty() {
            return;
        }
        ev.prevent_default();
        navigate.with_value(|go| go(&people_path(&q), NavigateOptions::default()));
    };
    view! {
        <form class="find-person" role="search" method="get" action=PEOPLE_PATH on:submit=on_submit>
            <label for="find-person">"Find a person"</label>
            <input
                id="find-person"
                name="q"
                type="search"
                required
                maxlength=MAX_PERSON_QUERY.to_string()
                placeholder="Email or Employee ID"
                autocomplete="off"
                spellcheck="false"
                // The attribute for the server's page (and before hydration); the property
                // after.
                value=value.get_untracked()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            />
            <button type="submit" class="button button--small">"Find"</button>
        </form>
    }
}
