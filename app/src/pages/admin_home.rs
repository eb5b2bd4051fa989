use crate::pages::ViewerResource;
use leptos::prelude::*;
use leptos_meta::Title;

/// The Admin Panel's landing page.
#[component]
pub fn AdminHome() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    view! {
        <Title text="Admin Panel" />
        <h1>"Admin Panel"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can_use = matches!(viewer.await, Ok(Some(v)) if v.can_use_provisioning());
                if can_use {
                    view! {
                        <p>
                            "See how your automated user syncs are doing in "
                            <a href="/admin/user-provisioning">"User Provisioning"</a> "."
                        </p>
                    }
                    .into_any()
                } else {
                    view! { <p>"Choose a section from the sidebar."</p> }.into_any()
                }
            })}
        </Transition>
    }
}
