use leptos::prelude::*;
use leptos_meta::Title;

/// A page that does not exist outside the Admin Panel: its own bar, so a wrong address
/// still looks like the product.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <header class="admin__header">
            <a class="brand" href="/admin">"Blink Admin"</a>
        </header>
        <main class="centered not-found">
            <Missing />
        </main>
    }
}

/// A page that does not exist inside the Admin Panel: in its frame, with the viewer's
/// header and sidebar, so the way on is where it always is.
#[component]
pub fn AdminNotFound() -> impl IntoView {
    view! {
        <div class="centered not-found">
            <Missing />
        </div>
    }
}

/// What either says: a 404, and where to go instead.
#[component]
fn Missing() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <h1>"Page not found"</h1>
        <p>"The page you asked for does not exist, or its address was mistyped."</p>
        <p>
            <a class="button button--primary" href="/admin/user-provisioning">"Go to User Provisioning"</a>
            " "
            <a class="button" href="/admin">"Go to the Admin Panel"</a>
        </p>
    }
}
