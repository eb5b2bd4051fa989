//! Server-side helpers every server function uses: who is asking, and may they?
//!
//! Context is only reachable before a server function's first `.await` when it runs
//! inside a resource during server rendering, so [`Ctx::capture`] takes everything
//! needed up front and the rest of the function works from it.

use crate::{
    domain::Viewer,
    error::AppError,
    ports::{StoreError, Stores},
};
use cookie::{Cookie, SameSite};
use http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

pub const SESSION_COOKIE: &str = "up_session";
pub const TIME_ZONE_COOKIE: &str = "tz";
pub use crate::pages::RETRY_EMAIL_COOKIE;
/// Sessions last twelve hours at most, and end after an hour unused (a page left open
/// keeps its session alive by its live updates); signing out ends them at once.
pub const SESSION_MAX_AGE_SECS: i64 = 12 * 60 * 60;
pub const SESSION_IDLE_SECS: i64 = 60 * 60;

/// Marks a HEAD request that the server answers as GET (server functions match their
/// method exactly): see [`Ctx::head_only`].
#[derive(Debug, Clone, Copy)]
pub struct HeadOnly;

/// Set by the operator (`UP_SECURE_COOKIES`): the site is reached over HTTPS only, so
/// cookies are always marked `Secure`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecureCookies(pub bool);

/// What a server function needs from its request, taken before its first `.await`.
pub struct Ctx {
    pub stores: Stores,
    response: Option<ResponseOptions>,
    parts: Option<Parts>,
    secure_cookies: SecureCookies,
}

/// Logs an internal failure and turns it into the error the browser may see.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "request failed");
    AppError::Internal
}

impl Ctx {
    pub fn capture() -> Result<Ctx, AppError> {
        let stores = use_context::<Stores>()
            .ok_or_else(|| internal("stores missing from the request context"))?;
        Ok(Ctx {
            stores,
            response: use_context::<ResponseOptions>(),
            parts: use_context::<Parts>(),
            secure_cookies: use_context::<SecureCookies>().unwrap_or_default(),
        })
    }

    /// Whether this is a HEAD request (a server function's, answered as GET, or a page's,
    /// rendered as for GET): the answer is made, not sent, so nothing is recorded as
    /// downloaded or searched.
    pub fn head_only(&self) -> bool {
        self.parts.as_ref().is_some_and(|p| {
            p.method == http::Method::HEAD || p.extensions.get::<HeadOnly>().is_some()
        })
    }

    /// A context for a plain HTTP handler (not a server function) of the same app.
    pub fn for_request(stores: Stores, parts: Parts) -> Ctx {
        Ctx {
            stores,
            response: None,
            parts: Some(parts),
            secure_cookies: SecureCookies::default(),
        }
    }

    /// Sets the HTTP status that matches the error, so API clients see 401/403/400 too.
    /// A page's resources fail side by side with its layout, which may already have decided
    /// to redirect (to sign-in, say): that redirect stands, whichever finished first.
    pub fn fail<T>(&self, e: AppError) -> Result<T, AppError> {
        if let Some(res) = &self.response {
            let redirecting = res
                .0
                .read()
                .map(|parts| parts.headers.contains_key(header::LOCATION))
                .unwrap_or(false);
            if !redirecting {
                res.set_status(
                    StatusCode::from_u16(e.status_code())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        Err(e)
    }

    /// The error the browser sees for a failure of the store: when the server is too busy
    /// to find a database connection in time, 503 with `Retry-After` (the page tries again
    /// by itself); otherwise the failure is logged and the answer is a plain 500.
    pub fn store_failed(&self, e: StoreError) -> AppError {
        match e {
            StoreError::Busy => {
                tracing::warn!("a request gave up waiting for a database connection");
                if let Some(res) = &self.response {
                    res.insert_header(header::RETRY_AFTER, HeaderValue::from_static("2"));
                }
                self.fail::<()>(AppError::Busy).unwrap_err()
            }
            StoreError::Failed(_) => internal(e),
        }
    }

    /// The value of one cookie of the request, percent-decoded (`Etc%2FGMT%2B10`) and
    /// without quotes around it; a `+` stays itself, as cookies are not form-encoded.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.parts
            .as_ref()?
            .headers
            .get_all(header::COOKIE)
            .iter()
            // A stray byte that is not ASCII in another cookie spoils only that cookie.
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .find_map(|header| {
                Cookie::split_parse_encoded(header)
                    .filter_map(Result::ok)
                    .find(|c| c.name() == name)
                    .map(|c| c.value_trimmed().to_string())
            })
    }

    /// The signed-in viewer, if the request carries a live session.
    pub async fn viewer(&self) -> Result<Option<Viewer>, AppError> {
        let Some(token) = self.cookie(SESSION_COOKIE) else {
            return Ok(None);
        };
        self.stores
            .auth
            .viewer_for_session(&token)
            .await
            .map_err(|e| self.store_failed(e))
    }

    /// The viewer, if they may use User Provisioning; otherwise 401 or 403 with no data.
    pub async fn require_provisioning(&self) -> Result<Viewer, AppError> {
        match self.viewer().await? {
            None => self.fail(AppError::Unauthorized),
            Some(v) if !v.can_use_provisioning() => self.fail(AppError::Forbidden),
            Some(v) => Ok(v),
        }
    }

    /// As [`Ctx::require_provisioning`], with the organisation's count of changes to its
    /// runs read in the same statement (the live view's poll: nothing new is one statement).
    pub async fn require_provisioning_with_changes(&self) -> Result<(Viewer, i64), AppError> {
        let found = match self.cookie(SESSION_COOKIE) {
            None => None,
            Some(token) => self
                .stores
                .auth
                .viewer_with_change_count(&token)
                .await
                .map_err(|e| self.store_failed(e))?,
        };
        match found {
            None => self.fail(AppError::Unauthorized),
            Some((v, _)) if !v.can_use_provisioning() => self.fail(AppError::Forbidden),
            Some(found) => Ok(found),
        }
    }

    /// The viewer's IANA time zone (set by the page in a cookie), UTC when unknown.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.known_time_zone().unwrap_or(chrono_tz::UTC)
    }

    /// The viewer's time zone as captions name it: "Kolkata time (UTC+05:30)", with both
    /// offsets where its clocks change (read in January and July of this year).
    pub fn time_zone_caption(&self) -> String {
        use chrono::{Datelike, NaiveDate, Offset, TimeZone};
        let tz = self.time_zone();
        let year = chrono::Utc::now().year();
        let offset_on = |month: u32| {
            NaiveDate::from_ymd_opt(year, month, 1)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .map_or(0, |t| {
                    tz.offset_from_utc_datetime(&t).fix().local_minus_utc()
                })
        };
        crate::domain::zone_caption(tz.name(), (offset_on(1), offset_on(7)))
    }

    /// The viewer's time zone if the page has told it.
    pub fn known_time_zone(&self) -> Option<chrono_tz::Tz> {
        self.cookie(TIME_ZONE_COOKIE)
            .and_then(|z| crate::domain::current_zone_name(&z).parse().ok())
    }

    pub fn set_session_cookie(&self, token: &str) {
        let session = Cookie::build((SESSION_COOKIE, token.to_string()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(cookie::time::Duration::seconds(SESSION_MAX_AGE_SECS));
        self.set_cookie(session);
    }

    /// Keeps the email of a failed sign-in for the form to show again, in a cookie only the
    /// sign-in page is sent, for ten minutes: not in the page's address, where it would
    /// reach the history, proxies' logs and `Referer`s.
    pub fn set_retry_email(&self, email: &str) {
        self.set_cookie(
            retry_email_cookie(email.to_string()).max_age(cookie::time::Duration::minutes(10)),
        );
    }

    pub fn clear_retry_email(&self) {
        self.set_cookie(retry_email_cookie(String::new()).max_age(cookie::time::Duration::ZERO));
    }

    pub fn clear_session_cookie(&self) {
        let cleared = Cookie::build((SESSION_COOKIE, ""))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(cookie::time::Duration::ZERO);
        self.set_cookie(cleared);
    }

    /// Whether the browser reached us over HTTPS: through a TLS-terminating proxy that
    /// says so (`X-Forwarded-Proto`), or when the operator declares the site HTTPS-only
    /// ([`SecureCookies`]). Plain-HTTP local runs keep working without `Secure`.
    fn over_https(&self) -> bool {
        self.secure_cookies.0
            || self.parts.as_ref().is_some_and(|p| {
                p.headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.split(',').next().unwrap_or("").trim() == "https")
            })
    }

    /// Adds a `Set-Cookie` to the answer, `Secure` over HTTPS, its value percent-encoded.
    fn set_cookie(&self, cookie: cookie::CookieBuilder<'static>) {
        let cookie = cookie.secure(self.over_https()).build();
        if let (Some(res), Ok(v)) = (
            &self.response,
            HeaderValue::from_str(&cookie.encoded().to_string()),
        ) {
            res.append_header(header::SET_COOKIE, v);
        }
    }
}

/// The retry-email cookie, sent back to the sign-in page only, and only from our own site.
fn retry_email_cookie(value: String) -> cookie::CookieBuilder<'static> {
    Cookie::build((RETRY_EMAIL_COOKIE, value))
        .path("/login")
        .same_site(SameSite::Strict)
}
