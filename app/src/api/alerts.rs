//! Alerts: an admin's "Email me when a sync needs action", and what a run's alert came to.

use crate::{
    domain::{AlertSetting, RunAlert},
    error::AppError,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The viewer's alert setting. Their alert emails are written in the time zone they last
/// viewed the page in: it is kept here.
#[server(prefix = "/api", endpoint = "get_alert_setting", input = GetUrl)]
pub async fn get_alert_setting() -> Result<AlertSetting, AppError> {
    let ctx = super::session::Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    if let Some(zone) = ctx.known_time_zone() {
        ctx.stores
            .alerts
            .remember_time_zone(viewer.user_id, zone.name())
            .await
            .map_err(|e| ctx.store_failed(e))?;
    }
    let email_me = ctx
        .stores
        .alerts
        .email_alerts(viewer.user_id)
        .await
        .map_err(|e| ctx.store_failed(e))?;
    Ok(AlertSetting {
        email_me,
        email_configured: ctx.stores.alerts.email_configured(),
    })
}

/// Turns the viewer's alert emails on or off; their emails are written in the time zone
/// they view the page in.
#[server(prefix = "/api", endpoint = "set_alert_setting")]
pub async fn set_alert_setting(email_me: bool) -> Result<AlertSetting, AppError> {
    let ctx = super::session::Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    // A client that does not say its zone (no page) leaves the one kept as it is.
    let zone = ctx.known_time_zone();
    ctx.stores
        .alerts
        .set_email_alerts(viewer.user_id, email_me, zone.as_ref().map(|z| z.name()))
        .await
        .map_err(|e| ctx.store_failed(e))?;
    Ok(AlertSetting {
        email_me,
        email_configured: ctx.stores.alerts.email_configured(),
    })
}

/// What the run's alert came to: none, being prepared, or its message and deliveries.
#[server(prefix = "/api", endpoint = "get_run_alert", input = GetUrl)]
pub async fn get_run_alert(run_id: i64) -> Result<RunAlert, AppError> {
    use chrono::{TimeZone, Utc};
    let ctx = super::session::Ctx::capture()?;
    let viewer = ctx.require_provisioning().await?;
    let failed = |e| ctx.store_failed(e);
    let own = ctx
        .stores
        .runs
        .run(viewer.organisation_id, run_id)
        .await
        .map_err(failed)?;
    if own.is_none() {
        return ctx.fail(AppError::NotFound);
    }
    let (mut alert, send_at) = ctx.stores.alerts.run_alert(run_id).await.map_err(failed)?;
    if let (
        RunAlert::Message {
            send_at_display, ..
        },
        Some(ms),
    ) = (&mut alert, send_at)
    {
        let tz = ctx.time_zone();
        if let Some(t) = Utc.timestamp_millis_opt(ms).single() {
            *send_at_display = crate::domain::display_start(t.with_timezone(&tz).naive_local());
        }
    }
    Ok(alert)
}
