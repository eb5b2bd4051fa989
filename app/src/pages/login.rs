use crate::api::SignIn;
use crate::components::ErrorAlert;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The cookie that holds the email of a failed sign-in for the form (see
/// `Ctx::set_retry_email`).
pub const RETRY_EMAIL_COOKIE: &str = "up_retry_email";

/// The sign-in form posts as plain HTML, so it works before the app has hydrated.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("invalid") => Some("The email or password is not correct.".to_string()),
            Some("missing") => Some("Enter your email and password.".to_string()),
            Some("throttled") => {
                let minutes = q
                    .get("minutes")
                    .and_then(|m| m.parse::<u32>().ok())
                    .filter(|m| (1..=60).contains(m))
                    .unwrap_or(15);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                Some(format!(
                    "Too many sign-in attempts for this email. Try again in {minutes} {unit}."
                ))
            }
            Some("expired") => Some("Your session has ended. Please sign in again.".to_string()),
            Some(_) => Some("Sign-in failed. Please try again.".to_string()),
            None => None,
        })
    };
    // The page to return to once signed in, if it is one of the Admin Panel's.
    let next = move || {
        query.with(|q| {
            q.get("next")
                .filter(|n| crate::domain::return_path(n).is_some())
        })
    };
    // The email of a failed attempt, typed again for the viewer; the password is theirs
    // to type again, so it has the focus.
    let email = query
        .with_untracked(|q| q.get("error").is_some())
        .then(|| crate::browser::preference(RETRY_EMAIL_COOKIE))
        .flatten()
        // Percent-encoded by the server; `+` and `&` are the email's own.
        .and_then(|v| {
            percent_encoding::percent_decode_str(&v)
                .decode_utf8()
                .ok()
                .map(|e| e.into_owned())
        })
        .filter(|e| !e.is_empty() && e.len() <= 320 && !e.chars().any(char::is_control));
    let retry = email.is_some();
    view! {
        <Title text="Sign in" />
        <main class="login">
            <form class="login__card" method="post" action=SignIn::url()>
                <h1>"Sign in to Blink Admin"</h1>
                {move || message().map(|m| view! { <ErrorAlert message=m /> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    value=email autofocus=!retry />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    autofocus=retry />
                {move || next().map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <button type="submit" class="button button--primary">"Sign in"</button>
            </form>
        </main>
    }
}
