use crate::api::{get_alert_setting, set_alert_setting};
use crate::domain::AlertSetting;
use leptos::prelude::*;

/// "Email me when a sync needs action": the viewer's own alert emails, on unless they
/// turned them off. Saved as soon as it is switched; a failure puts it back and says so.
#[component]
pub fn AlertSwitch() -> impl IntoView {
    let setting = Resource::new(|| (), |_| get_alert_setting());
    view! {
        <Transition fallback=|| view! { <div class="alert-switch" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match setting.await {
                    Ok(s) => view! { <Switch initial=s /> }.into_any(),
                    // Without the setting the page still works: the switch is left out.
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Switch(initial: AlertSetting) -> impl IntoView {
    let on = RwSignal::new(initial.email_me);
    // What the server holds, and whether a save is on its way. The switch is never
    // disabled while saving (that would take the keyboard's focus away): a change made
    // meanwhile is saved after the one on its way, so the server ends with the last one.
    let saved = StoredValue::new(initial.email_me);
    let saving = StoredValue::new(false);
    let said = RwSignal::new(String::new());
    let failed = RwSignal::new(false);
    let save = move || {
        if saving.get_value() {
            return;
        }
        saving.set_value(true);
        leptos::task::spawn_local(async move {
            loop {
                let Some(wanted) = on.try_get_untracked() else {
                    return;
                };
                if wanted == saved.get_value() {
                    break;
                }
                match set_alert_setting(wanted).await {
                    Ok(s) => {
                        saved.set_value(s.email_me);
                        failed.try_set(false);
                        said.try_set(
                            if s.email_me {
                                "Saved: you will get an email when a sync needs action."
                            } else {
                                "Saved: you will not get alert emails."
                            }
                            .to_string(),
                        );
                    }
                    Err(e) => {
                        // The page may have gone meanwhile: nothing is left to put back.
                        let Some(was) = saved.try_get_value() else {
                            return;
                        };
                        on.try_set(was);
                        failed.try_set(true);
                        said.try_set(format!("Not saved: {e}"));
                        break;
                    }
                }
            }
            saving.set_value(false);
        });
    };
    let change = move |ev: leptos::ev::Event| {
        on.set(event_target_checked(&ev));
        save();
    };
    view! {
        <div class="alert-switch">
            <input
                type="checkbox"
                role="switch"
                id="email-alerts"
                aria-describedby="email-alerts-help"
                // The attribute for the page as first sent (before script), the property
                // for every change after.
                checked=initial.email_me
                prop:checked=move || on.get()
                on:change=change
            />
            <label for="email-alerts">"Email me when a sync needs action"</label>
            // Folded, so the page's header stays short; the switch is described by it all the
            // same (a description may be hidden).
            <details class="alert-switch__more">
                <summary>"What is sent"</summary>
                <p id="email-alerts-help" class="muted alert-switch__help">
                    "When a run ends Needs Attention, Data Load Failed, Above Deactivation Threshold or Cancelled, and when a scheduled sync stops succeeding. At most one email an hour per configuration and status."
                    {(!initial.email_configured).then_some(" This server does not send email yet: your choice is kept for when it does.")}
                </p>
            </details>
            <p class="alert-switch__status" class:alert-switch__status--error=move || failed.get()
                role="status" aria-live="polite">{move || said.get()}</p>
        </div>
    }
}
