use crate::api::get_run_alert;
use crate::domain::{AlertChannel, RunAlert};
use leptos::prelude::*;

/// Which alerts a run sent, to how many, and how their delivery stands. Looks again every
/// few seconds while the alert is being prepared or sent.
#[component]
pub fn RunAlertPanel(run_id: i64) -> impl IntoView {
    let alert = Resource::new(move || run_id, get_run_alert);
    follow(alert);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match alert.await {
                    Ok(RunAlert::None) | Err(_) => ().into_any(),
                    Ok(a) => view! {
                        <section class="panel" aria-labelledby="alerts-title">
                            <h2 id="alerts-title">"Alerts"</h2>
                            {describe(&a).into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The panel's sentences.
fn describe(alert: &RunAlert) -> Vec<String> {
    match alert {
        RunAlert::None => Vec::new(),
        RunAlert::Preparing => vec!["An alert about this run is being prepared.".into()],
        RunAlert::Message {
            digest,
            send_at_display,
            email,
            webhook,
            email_configured,
        } => {
            let mut lines = Vec::new();
            if *digest {
                let waiting = email.sent + webhook.sent == 0 && email.pending + webhook.pending > 0;
                lines.push(if waiting {
                    format!("This run is in the hour's digest for its configuration and status, to be sent {send_at_display}.")
                } else {
                    format!("This run was in the hour's digest for its configuration and status, sent from {send_at_display}.")
                });
            }
            if email.total() + webhook.total() == 0 {
                lines.push(
                    if *email_configured {
                        "No one was alerted: no admin receives alert emails, and your organisation has no webhook."
                    } else {
                        "No one was alerted: this server does not send email yet, and your organisation has no webhook."
                    }
                    .into(),
                );
            }
            lines.extend(RunAlert::channel_line(AlertChannel::Email, email));
            lines.extend(RunAlert::channel_line(AlertChannel::Webhook, webhook));
            lines
        }
    }
}

/// Looks again while something is on its way (not for a digest waiting for its hour).
fn follow(alert: Resource<Result<RunAlert, crate::error::AppError>>) {
    let alive = StoredValue::new(true);
    on_cleanup(move || alive.set_value(false));
    let alive = move || alive.try_get_value().unwrap_or(false);
    Effect::new(move || {
        leptos::task::spawn_local(async move {
            // A few minutes at most: retries after that are an hour apart.
            for _ in 0..60 {
                crate::browser::sleep(3_000).await;
                if !alive() {
                    return;
                }
                let moving = match alert.get_untracked() {
                    Some(Ok(RunAlert::Preparing)) => true,
                    Some(Ok(RunAlert::Message {
                        digest: false,
                        email,
                        webhook,
                        ..
                    })) => email.pending + webhook.pending > 0,
                    _ => false,
                };
                if !moving {
                    return;
                }
                if crate::browser::page_visible() {
                    alert.refetch();
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DeliveryTally;

    #[test]
    fn the_panel_says_what_happened() {
        let tally = |sent, pending, failed| DeliveryTally {
            sent,
            pending,
            failed,
        };
        assert_eq!(
            describe(&RunAlert::Message {
                digest: false,
                send_at_display: "x".into(),
                email: tally(2, 0, 0),
                webhook: tally(1, 0, 0),
                email_configured: true,
            }),
            ["Email to 2 admins: 2 sent.", "Webhook: sent."]
        );
        assert_eq!(
            describe(&RunAlert::Message {
                digest: true,
                send_at_display: "15 Jan 2024, 11:30pm".into(),
                email: tally(0, 1, 0),
                webhook: tally(0, 0, 0),
                email_configured: true,
            })[0],
            "This run is in the hour's digest for its configuration and status, to be sent 15 Jan 2024, 11:30pm."
        );
        let nobody = |email_configured| {
            describe(&RunAlert::Message {
                digest: false,
                send_at_display: String::new(),
                email: tally(0, 0, 0),
                webhook: tally(0, 0, 0),
                email_configured,
            })
        };
        assert!(nobody(true)[0].starts_with("No one was alerted: no admin receives"));
        assert!(nobody(false)[0].contains("does not send email yet"));
    }
}
