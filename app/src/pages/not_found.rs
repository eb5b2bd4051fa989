use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        // The Admin Panel's own bar, so a wrong address still looks like the product.
        <header class="admin__header">
            <a class="brand" href="/admin">"Blink Admin"</a>
        </header>
        <main class="centered not-found">
            <h1>"Page not found"</h1>
            <p>"The page you asked for does not exist, or its address was mistyped."</p>
            <p>
                <a class="button button--primary" href="/admin/user-provisioning">"Go to User Provisioning"</a>
                " "
                <a class="button" href="/admin">"Go to the Admin Panel"</a>
            </p>
        </main>
    }
}
