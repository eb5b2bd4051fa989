use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `/` leads to the Admin Panel, which sends signed-out visitors to sign in.
#[component]
pub fn HomeRedirect() -> impl IntoView {
    view! { <Redirect path="/admin" /> }
}
