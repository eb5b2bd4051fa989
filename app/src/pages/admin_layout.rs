use crate::{api::get_viewer, api::SignOut, domain::Viewer, error::AppError};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_location,
};

/// The signed-in viewer, loaded once for the Admin Panel and shared with its pages.
pub type ViewerResource = Resource<Result<Option<Viewer>, AppError>>;

/// The Syncs list as the admin last saw it in this tab (its path and filter), so a run's
/// details and a person's history lead back to it, after a reload too. A tab that has
/// seen no list (a link opened in a new one) leads to the plain list.
#[derive(Clone, Copy)]
pub struct LastList(RwSignal<Option<String>>);

impl LastList {
    /// The tab's key in `sessionStorage`.
    const KEPT: &'static str = "up_last_list";

    /// Made by the layout. The tab's list is read once the page runs: the server's page
    /// (and hydration) link to the plain list, and the link follows when it is read.
    fn new() -> Self {
        let last = LastList(RwSignal::new(None));
        Effect::new(move || {
            let kept =
                crate::browser::tab_value(Self::KEPT).filter(|url| super::syncs::is_syncs_url(url));
            if let Some(url) = kept {
                last.0.update(|seen| {
                    seen.get_or_insert(url);
                });
            }
        });
        last
    }

    /// The list the admin is looking at now.
    pub fn seen(self, url: String) {
        crate::browser::keep_tab_value(Self::KEPT, &url);
        self.0.set(Some(url));
    }

    pub fn href(self) -> String {
        self.0
            .get()
            .unwrap_or_else(|| super::syncs::SYNCS_PATH.to_string())
    }
}

/// The Admin Panel frame: header, sidebar and the current page.
///
/// The page (the `Outlet`) sits outside the Transition that waits for the viewer, so
/// each page makes its resources at the top of its route rather than inside another
/// Suspense: on the server, resources created inside a resolving Suspense can leave the
/// response waiting forever.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let viewer: ViewerResource = Resource::new(|| (), |_| get_viewer());
    provide_context(viewer);
    provide_context(LastList::new());
    let location = use_location();
    let main = NodeRef::<leptos::html::Main>::new();
    // This page's path and query, to come back to.
    let here = move || {
        let (path, query) = (
            location.pathname.get_untracked(),
            location.search.get_untracked(),
        );
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    };
    view! {
        <div class="admin">
            // For keyboard and screen-reader users: past the header and sidebar at once. The
            // router takes over a link's click, so once the app runs, focus is moved here.
            <a
                class="skip-link"
                href="#main"
                on:click=move |ev| {
                    if let Some(main) = main.get() {
                        ev.prevent_default();
                        let _ = main.focus();
                    }
                }
            >
                "Skip to content"
            </a>
            <Transition fallback=|| view! { <div class="admin__header loading" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(v)) => view! { <Frame viewer=v /> }.into_any(),
                        // Signed out: sign in, then come back here.
                        Ok(None) => view! { <Redirect path=crate::domain::sign_in_path(None, &here()) /> }.into_any(),
                        Err(e) => {
                            let here = here();
                            view! {
                                <p class="admin__header alert alert--error" role="alert">
                                    {e.to_string()} " " <a href=here rel="external">"Try again"</a>
                                </p>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <main id="main" class="admin__main" tabindex="-1" node_ref=main>
                <Outlet />
            </main>
        </div>
    }
}

/// The header and the sidebar, which name the viewer and show what they may open.
#[component]
fn Frame(viewer: Viewer) -> impl IntoView {
    let show_provisioning = viewer.can_use_provisioning();
    view! {
        <header class="admin__header">
            <a class="brand" href="/admin">"Blink Admin"</a>
            <span class="admin__org">{viewer.organisation_name.clone()}</span>
            <span class="admin__user">{viewer.display_name.clone()} " · " {viewer.role.label()}</span>
            <form method="post" action=SignOut::url()>
                <button type="submit" class="button button--quiet">"Sign out"</button>
            </form>
        </header>
        // The entry is hidden from a viewer without access (the help article says so); the
        // Admin Panel's home page then says why and how to get it.
        {show_provisioning.then(|| view! {
            <nav class="sidebar" aria-label="Admin Panel">
                <p class="sidebar__group">"Blink Identity"</p>
                <ul>
                    <li>
                        // The router's link marks itself as the current page on the section's
                        // pages (its own `aria-current`).
                        <A href="/admin/user-provisioning">"User Provisioning"</A>
                    </li>
                </ul>
            </nav>
        })}
    }
}
