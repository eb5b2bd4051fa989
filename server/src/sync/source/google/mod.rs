//! Google Workspace: the Admin SDK Directory API's `users.list`, paged, signed in as a
//! service account with domain-wide delegation (an RS256 JWT exchanged for an access token,
//! refreshed before it expires or when the API says it has).

mod auth;

use super::http::{self, Retry};
use crate::sync::person::{Field, RecordRef};
use crate::sync::settings::CheckedGoogle;
use crate::sync::validate::{LoadError, Loaded, RawRecord, Validator};
use auth::Auth;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

pub const SCOPE: &str = "https://www.googleapis.com/auth/admin.directory.user.readonly";
pub const DEFAULT_BASE_URL: &str = "https://admin.googleapis.com";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const WHAT: &str = "Google Workspace";
const MAX_PAGES: usize = 10_000;

#[derive(Deserialize)]
struct UsersPage {
    #[serde(default)]
    users: Vec<Value>,
    #[serde(rename = "nextPageToken", default)]
    next_page_token: Option<String>,
}

/// Reads every user page by page into the validator.
pub async fn load(
    settings: &CheckedGoogle,
    progress: Arc<AtomicUsize>,
) -> Result<Loaded, LoadError> {
    load_with(settings, progress, Retry::default()).await
}

pub async fn load_with(
    settings: &CheckedGoogle,
    progress: Arc<AtomicUsize>,
    retry: Retry,
) -> Result<Loaded, LoadError> {
    let raw = &settings.raw;
    let timeout = Duration::from_secs(raw.timeout_secs.unwrap_or(30));
    let client = http::client(timeout)?;
    let mut auth = Auth::new(settings, client.clone(), retry)?;
    let base = raw
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.into());
    let url = format!("{}/admin/directory/v1/users", base.trim_end_matches('/'));
    let scope = match (&raw.domain, &raw.customer) {
        (Some(d), _) => ("domain", d.clone()),
        (None, c) => (
            "customer",
            c.clone().unwrap_or_else(|| "my_customer".into()),
        ),
    };
    let id_type = raw
        .employee_id_type
        .clone()
        .unwrap_or_else(|| "organization".into());
    let fallback_to_id = raw.employee_id_fallback.as_deref() == Some("id");

    let mut validator = Validator::new(settings.mapping.clone()).with_progress(progress);
    let mut manager_ids: HashMap<String, String> = HashMap::new();
    let mut seen_tokens: HashSet<String> = HashSet::new();
    let mut page_token: Option<String> = None;
    let mut item = 0u64;
    for _page in 0..MAX_PAGES {
        let page = fetch_page(
            &client,
            &mut auth,
            retry,
            &url,
            &scope,
            page_token.as_deref(),
        )
        .await?;
        for user in &page.users {
            item += 1;
            let (raw, external_id) = map_user(user, &id_type, fallback_to_id);
            if let (Some(email), Some(id)) = (
                user.get("primaryEmail").and_then(Value::as_str),
                external_id,
            ) {
                manager_ids.insert(email.trim().to_lowercase(), id.to_string());
            }
            validator.record(RecordRef::Item(item), raw, None)?;
        }
        match page.next_page_token.filter(|t| !t.is_empty()) {
            None => {
                validator.resolve_managers(&manager_ids);
                return validator.finish();
            }
            Some(t) if !seen_tokens.insert(t.clone()) => {
                return Err(LoadError::new(
                    "Google Workspace sent a page token it had already sent, so reading stopped rather than loop forever. Nothing was changed.",
                ));
            }
            Some(t) => page_token = Some(t),
        }
    }
    Err(LoadError(format!(
        "Google Workspace kept sending pages (more than {MAX_PAGES}); reading stopped. Nothing was changed."
    )))
}

async fn fetch_page(
    client: &reqwest::Client,
    auth: &mut Auth,
    retry: Retry,
    url: &str,
    scope: &(&str, String),
    page_token: Option<&str>,
) -> Result<UsersPage, LoadError> {
    // A token can expire between our check and Google's: one fresh sign-in, then give up.
    for fresh in [false, true] {
        if fresh {
            auth.forget_token();
        }
        let token = auth.token().await?;
        let response = http::send(WHAT, retry, || {
            let mut q = client
                .get(url)
                .query(&[
                    (scope.0, scope.1.as_str()),
                    ("maxResults", "500"),
                    ("projection", "full"),
                ])
                .bearer_auth(token.expose());
            if let Some(t) = page_token {
                q = q.query(&[("pageToken", t)]);
            }
            q
        })
        .await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED && !fresh {
            continue;
        }
        return match status {
            s if s.is_success() => {
                let body = response.bytes().await.map_err(|_| {
                    LoadError::new("The connection to Google Workspace broke while a page of users was arriving.")
                })?;
                let value: Value = serde_json::from_slice(&body).map_err(|_| {
                    LoadError::new("Google Workspace sent a page of users that is not valid JSON.")
                })?;
                serde_json::from_value(value).map_err(|_| {
                    LoadError::new("Google Workspace sent a page without a list of users where one was expected.")
                })
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(LoadError(format!(
                "Google Workspace refused to list users: {}. Check that the service account has domain-wide delegation for {SCOPE} and that {} is an administrator.",
                http::status_words(status),
                auth.subject
            ))),
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Err(LoadError(format!(
                "Google Workspace did not find the {} \"{}\" ({}).",
                scope.0,
                scope.1,
                http::status_words(status)
            ))),
            s => Err(LoadError(format!(
                "Google Workspace answered {} when asked for users.",
                http::status_words(s)
            ))),
        };
    }
    unreachable!("the loop returns on its second pass")
}

/// One Directory API user as a record; also returns the Employee ID it found.
fn map_user<'v>(
    user: &'v Value,
    id_type: &str,
    fallback_to_id: bool,
) -> (RawRecord<'v>, Option<&'v str>) {
    let s = |v: Option<&'v Value>| v.and_then(Value::as_str).unwrap_or("");
    let mut raw = RawRecord::default();
    let external = user
        .get("externalIds")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .find(|e| {
                    // A standard type ("organization", "account"…) or a custom one, which
                    // the API writes as type "custom" with its name in customType.
                    let text = |k: &str| e.get(k).and_then(Value::as_str);
                    text("type") == Some(id_type)
                        || (text("type") == Some("custom") && text("customType") == Some(id_type))
                })
                .and_then(|e| e.get("value").and_then(Value::as_str))
        })
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            fallback_to_id
                .then(|| s(user.get("id")))
                .filter(|v| !v.is_empty())
        });
    raw.set(Field::ExternalId, external.unwrap_or(""));
    raw.set(Field::Email, s(user.get("primaryEmail")));
    let name = user.get("name");
    raw.set(Field::FirstName, s(name.and_then(|n| n.get("givenName"))));
    raw.set(Field::LastName, s(name.and_then(|n| n.get("familyName"))));
    if let Some(orgs) = user.get("organizations").and_then(Value::as_array) {
        let org = orgs
            .iter()
            .find(|o| o.get("primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| orgs.first());
        if let Some(o) = org {
            raw.set(Field::Title, s(o.get("title")));
            raw.set(Field::Department, s(o.get("department")));
        }
    }
    if let Some(relations) = user.get("relations").and_then(Value::as_array) {
        if let Some(m) = relations
            .iter()
            .find(|r| r.get("type").and_then(Value::as_str) == Some("manager"))
        {
            raw.set(Field::ManagerId, s(m.get("value")));
        }
    }
    let flag = |k: &str| user.get(k).and_then(Value::as_bool).unwrap_or(false);
    raw.set(
        Field::Status,
        if flag("suspended") || flag("archived") {
            "inactive"
        } else {
            "active"
        },
    );
    (raw, external)
}
