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
    let saving = RwSignal::new(false);
    let said = RwSignal::new(String::new());
    let failed = RwSignal::new(false);
    let change = move |ev: leptos::ev::Event| {
        let wanted = event_target_checked(&ev);
        let before = on.get_untracked();
        on.set(wanted);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let answer = set_alert_setting(wanted).await;
            saving.try_set(false);
            match answer {
                Ok(s) => {
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
                    on.try_set(before);
                    failed.try_set(true);
                    said.try_set(format!("Not saved: {e}"));
                }
            }
        });
    };
    view! {
        <div class="alert-switch">
            <input
                type="checkbox"
                role="switch"
                id="email-alerts"
                aria-describedby="email-alerts-help"
                prop:checked=move || on.get()
                disabled=move || saving.get()
                on:change=change
            />
            <label for="email-alerts">"Email me when a sync needs action"</label>
            <p id="email-alerts-help" class="muted alert-switch__help">
                "When a run ends Needs Attention, Data Load Failed, Above Deactivation Threshold or Cancelled, and when a scheduled sync stops succeeding. At most one email an hour per configuration and status."
                {(!initial.email_configured).then_some(" This server does not send email yet: your choice is kept for when it does.")}
            </p>
            <p class="alert-switch__status" class:alert-switch__status--error=move || failed.get()
                role="status" aria-live="polite">{move || said.get()}</p>
        </div>
    }
}
