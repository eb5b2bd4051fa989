use crate::domain::{Role, Viewer};
use leptos::prelude::*;

/// Explains why the viewer cannot use User Provisioning and how to get access: the page
/// itself, or (`part_of_page`) a section under another page's heading.
#[component]
pub fn NoAccess(viewer: Viewer, #[prop(optional)] part_of_page: bool) -> impl IntoView {
    let a = viewer.access;
    let check = |ok: bool| if ok { "✓ Met" } else { "✗ Not met" };
    let role_ok = a.role.may_use_provisioning();
    let article = if a.role.label().starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    // Where the role is what is missing, the organisation's own admins can change it.
    let role_advice = (!role_ok && a.organisation_enabled).then(|| {
        view! {
            <p>
                "Your role is set in your organisation: an " {Role::OrganisationAdmin.label()}
                " of " {viewer.organisation_name.clone()} " can make you an "
                {Role::OrganisationAdmin.label()} " or a " {Role::PeopleAdmin.label()} "."
            </p>
        }
    });
    view! {
        <section class="no-access" aria-labelledby="no-access-title">
            {if part_of_page {
                view! { <h2 id="no-access-title">"You don't have access to User Provisioning"</h2> }.into_any()
            } else {
                view! { <h1 id="no-access-title">"You don't have access to User Provisioning"</h1> }.into_any()
            }}
            <p>"User Provisioning shows the history of automated user syncs. To use it, all three of these must be true:"</p>
            <ul class="conditions">
                <li>
                    <span class="condition">"Your organisation has User Provisioning enabled"</span>
                    <span class=if a.organisation_enabled { "met" } else { "unmet" }>{check(a.organisation_enabled)}</span>
                </li>
                <li>
                    <span class="condition">
                        "You are an " {Role::OrganisationAdmin.label()} " or " {Role::PeopleAdmin.label()}
                        " (you are " {article} " " {a.role.label()} ")"
                    </span>
                    <span class=if role_ok { "met" } else { "unmet" }>{check(role_ok)}</span>
                </li>
                <li>
                    <span class="condition">"You are set up on the User Sync Service"</span>
                    <span class=if a.enrolled_on_sync_service { "met" } else { "unmet" }>{check(a.enrolled_on_sync_service)}</span>
                </li>
            </ul>
            {role_advice}
            <p>
                "If you believe you should have access, contact your Blink account team to enable it for "
                {viewer.organisation_name} "."
            </p>
            <p><a href="/admin/user-provisioning/help">"Read about User Provisioning and who can use it"</a></p>
            // The way on from a page of User Provisioning, which this viewer cannot use.
            {(!part_of_page).then(|| view! { <p><a href="/admin">"Go to the Admin Panel"</a></p> })}
        </section>
    }
}
