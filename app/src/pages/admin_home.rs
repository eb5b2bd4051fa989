use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminHome() -> impl IntoView {
    view! {
        <Title text="Admin Panel" />
        <h1>"Admin Panel"</h1>
        <p>"Choose a section from the sidebar."</p>
    }
}
