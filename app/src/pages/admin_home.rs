use crate::{components::NoAccess, pages::ViewerResource};
use leptos::prelude::*;
use leptos_meta::Title;

/// The Admin Panel's landing page: where to go, or, for a viewer without access to any
/// section, why and how to get it.
#[component]
pub fn AdminHome() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    view! {
        <Title text="Admin Panel" />
        <h1>"Admin Panel"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(v)) if v.can_use_provisioning() => view! {
                        <p>
                            "See how your automated user syncs are doing in "
                            <a href="/admin/user-provisioning">"User Provisioning"</a> "."
                        </p>
                    }
                    .into_any(),
                    Ok(Some(v)) => view! { <NoAccess viewer=v part_of_page=true /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
