//! Signing in and out, and who is signed in.

use crate::{domain::Viewer, error::AppError};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The signed-in viewer, or `None` when signed out.
#[server(prefix = "/api", endpoint = "get_viewer", input = GetUrl)]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    let ctx = super::session::Ctx::capture()?;
    match ctx.viewer().await {
        Err(e) => ctx.fail(e),
        found => found,
    }
}

/// Checks the credentials; on success sets the session cookie and goes to `next` (the
/// Admin Panel page the viewer asked for) or else the Admin Panel, otherwise back to the
/// sign-in page with a message. Works as a plain HTML form.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::session::*;
    use crate::domain::{return_path, sign_in_path};
    use crate::ports::SignInOutcome;
    let ctx = Ctx::capture()?;
    let next = next.unwrap_or_default();
    let email = email.trim().to_lowercase();
    // Back to the form, which keeps the email typed (not the password) so only the
    // password needs typing again.
    let again = |error: &str| {
        if !email.is_empty() && email.len() <= 320 {
            ctx.set_retry_email(&email);
        }
        sign_in_path(Some(error), &next)
    };
    if email.is_empty() || password.is_empty() {
        leptos_axum::redirect(&again("missing"));
        return Ok(());
    }
    // No account has an address or a password this long: checked no further.
    if email.len() > 320 || password.len() > 1024 {
        leptos_axum::redirect(&again("invalid"));
        return Ok(());
    }
    let auth = ctx.stores.auth.clone();
    let previous = ctx.cookie(SESSION_COOKIE);
    let outcome = auth
        .sign_in(&email, &password, previous.as_deref())
        .await
        .map_err(|e| ctx.store_failed(e))?;
    match &outcome {
        SignInOutcome::Opened(token) => {
            ctx.set_session_cookie(token);
            if ctx.cookie(RETRY_EMAIL_COOKIE).is_some() {
                ctx.clear_retry_email();
            }
            let viewer = auth
                .viewer_for_session(token)
                .await
                .map_err(|e| ctx.store_failed(e))?;
            let home = match viewer {
                Some(v) if v.can_use_provisioning() => "/admin/user-provisioning",
                _ => "/admin",
            };
            leptos_axum::redirect(return_path(&next).unwrap_or(home));
        }
        SignInOutcome::Refused => leptos_axum::redirect(&again("invalid")),
        SignInOutcome::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60);
            leptos_axum::redirect(&format!("{}&minutes={minutes}", again("throttled")));
        }
    }
    // A failed attempt ended the session it came from (see `AuthStore::sign_in`): the
    // browser forgets its cookie too.
    if previous.is_some() && !matches!(outcome, SignInOutcome::Opened(_)) {
        ctx.clear_session_cookie();
    }
    Ok(())
}

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::session::*;
    let ctx = Ctx::capture()?;
    if let Some(token) = ctx.cookie(SESSION_COOKIE) {
        ctx.stores
            .auth
            .sign_out(&token)
            .await
            .map_err(|e| ctx.store_failed(e))?;
    }
    ctx.clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}
