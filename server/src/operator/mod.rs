//! What operators do from the command line: import and list sync configurations, queue,
//! cancel and list runs. Sync configurations are managed here, never from the web page.

use crate::db::entities::organisation;
use crate::sync::policy::{parse_required, RecordPolicy};
use crate::sync::schedule::Schedule;
use crate::sync::secret::SecretRef;
use crate::sync::settings::SourceSettings;
use app::domain::SourceKind;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Deserialize;

mod listing;
mod save;

use save::{save_configuration, Saved};

/// What stops an operator's command, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The file or the command asks for something wrong: the words say what, and where.
    #[error("{0}")]
    Invalid(String),
    #[error("settings: {0}")]
    Settings(#[from] crate::sync::settings::SettingsError),
    #[error(transparent)]
    Policy(#[from] crate::sync::policy::PolicyError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl From<String> for OperatorError {
    fn from(words: String) -> Self {
        OperatorError::Invalid(words)
    }
}

impl From<&str> for OperatorError {
    fn from(words: &str) -> Self {
        OperatorError::Invalid(words.to_string())
    }
}

pub use listing::{find_configuration, list_configurations, list_runs};

/// A configuration file: `[[configuration]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub configuration: Vec<ConfigEntry>,
    /// Organisations' alert webhooks: `[[webhook]]` tables.
    #[serde(default)]
    pub webhook: Vec<WebhookEntry>,
}

/// An organisation's alert webhook: its address and its signing secret as a reference.
/// An empty `url` removes the organisation's webhook.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    pub organisation: String,
    pub url: String,
    pub secret: Option<String>,
}

impl WebhookEntry {
    /// The address and secret reference to keep, or `None` to remove the webhook.
    fn check(&self) -> Result<Option<(String, String)>, OperatorError> {
        let url = self.url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if !crate::alerts::is_web_address(url) {
            return Err("url must be an http:// or https:// address".into());
        }
        // Secrets are references, never written in a file, a database row or the output:
        // the receiver knows the request by its signature.
        let authority = url.split_once("://").map_or("", |(_, rest)| {
            rest.split(['/', '?', '#']).next().unwrap_or("")
        });
        if authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
        {
            return Err(
                "url must not carry a password (user:password@): the receiver knows each \
                 request by its signature, made with the secret reference"
                    .into(),
            );
        }
        let secret = self
            .secret
            .as_deref()
            .ok_or("secret is required: the reference (env:NAME or file:/path) of the key that signs each request")?;
        secret.parse::<SecretRef>().map_err(|_| {
            "secret must be a reference, \"env:NAME\" or \"file:/path\", never the secret itself"
                .to_string()
        })?;
        Ok(Some((url.to_string(), secret.to_string())))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigEntry {
    pub organisation: String,
    pub name: String,
    /// `sftp`, `google_workspace` or `workday`.
    pub source: String,
    #[serde(default = "manual")]
    pub schedule: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub threshold_count: Option<i32>,
    pub threshold_percent: Option<i32>,
    /// `keep` (the default: a blank optional value never erases a stored one) or `clear`.
    #[serde(default)]
    pub blank_values: Option<String>,
    /// Whether a person matched by email may get a new Employee ID (default true, logged
    /// as a warning); false skips such records.
    #[serde(default)]
    pub allow_rekey: Option<bool>,
    /// Optional fields a record must give: `title`, `department`, `manager_id`.
    #[serde(default)]
    pub required: Option<Vec<String>>,
    pub settings: toml::Table,
}

fn manual() -> String {
    "manual".into()
}
fn yes() -> bool {
    true
}

/// Whether a settings key names a secret: passwords, tokens, credentials, private or
/// service-account keys (a server's public `host_key` is not one).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // Addresses (`token_url`, `base_url`) and the pinned host key are not secrets.
    k != "host_key"
        && !k.ends_with("url")
        && ["secret", "pass", "token", "credential", "private", "key"]
            .iter()
            .any(|w| k.contains(w))
}

/// Every secret-looking value, at any depth, must be a reference. The column mapping's
/// keys are headers, not settings, and are not checked.
fn check_secrets(table: &toml::Table, at: &str) -> Result<(), OperatorError> {
    for (key, value) in table {
        let here = format!("{at}.{key}");
        match value {
            toml::Value::Table(t) if key != "mapping" => check_secrets(t, &here)?,
            toml::Value::String(s) if is_secret_key(key) && s.parse::<SecretRef>().is_err() => {
                return Err(format!(
                    "{here}: a secret must be a reference, \"env:NAME\" or \"file:/path\", never the secret itself"
                ).into());
            }
            v if is_secret_key(key) && !v.is_str() && !v.is_table() => {
                return Err(format!("{here}: a secret must be a reference string").into());
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// "Acme → https://…" or "Acme: removed".
    pub webhooks: Vec<String>,
}

/// Checks every entry, then writes them all in one transaction (created or updated by
/// organisation and name). Nothing is written if any entry is wrong.
pub async fn import_configurations(
    db: &DatabaseConnection,
    text: &str,
    now_ms: i64,
) -> Result<ImportSummary, OperatorError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        // toml's message quotes the offending line, which may hold a pasted secret.
        let span = e
            .span()
            .map(|s| format!(" (at byte {})", s.start))
            .unwrap_or_default();
        format!("the file is not valid: {}{span}", e.message())
    })?;
    if file.configuration.is_empty() && file.webhook.is_empty() {
        return Err("the file has no [[configuration]] or [[webhook]] entries".into());
    }
    // Every entry is checked before anything is written.
    let mut checked = Vec::new();
    for (i, entry) in file.configuration.iter().enumerate() {
        let at = format!("configuration {} (\"{}\")", i + 1, entry.name);
        checked.push(check_entry(entry).map_err(|e| format!("{at}: {e}"))?);
    }
    let hooks = check_webhooks(&file.webhook)?;
    let txn = db.begin().await?;
    let mut summary = ImportSummary::default();
    for (entry, hook) in file.webhook.iter().zip(hooks) {
        let org = organisation_named(&txn, &entry.organisation).await?;
        set_webhook(&txn, org.id, hook.as_ref(), now_ms).await?;
        summary.webhooks.push(match hook {
            Some((url, _)) => format!("{} → {url}", entry.organisation),
            None => format!("{}: removed", entry.organisation),
        });
    }
    for (entry, checked) in file.configuration.iter().zip(checked) {
        let label = format!("{} / {}", entry.organisation, entry.name);
        match save_configuration(&txn, entry, checked, now_ms).await? {
            Saved::Created => summary.created.push(label),
            Saved::Updated => summary.updated.push(label),
        }
    }
    txn.commit().await?;
    Ok(summary)
}

/// Each webhook entry, checked: one per organisation, with a usable address and secret.
fn check_webhooks(
    entries: &[WebhookEntry],
) -> Result<Vec<Option<(String, String)>>, OperatorError> {
    let mut hooks = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("webhook {} (\"{}\")", i + 1, entry.organisation);
        if entries[..i]
            .iter()
            .any(|w| w.organisation == entry.organisation)
        {
            return Err(format!(
                "{at}: the organisation has a webhook earlier in the file; keep one"
            )
            .into());
        }
        hooks.push(entry.check().map_err(|e| format!("{at}: {e}"))?);
    }
    Ok(hooks)
}

async fn organisation_named(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<organisation::Model, OperatorError> {
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| format!("there is no organisation named \"{name}\"").into())
}

/// Sets or removes an organisation's webhook (`(url, secret reference)`).
async fn set_webhook(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    hook: Option<&(String, String)>,
    now_ms: i64,
) -> Result<(), sea_orm::DbErr> {
    use crate::sync::queue::stmt;
    let statement = match hook {
        None => stmt(
            db,
            "DELETE FROM alert_webhooks WHERE organisation_id = $1",
            vec![organisation_id.into()],
        ),
        Some((url, secret)) => stmt(
            db,
            "INSERT INTO alert_webhooks (organisation_id, url, secret_ref, updated_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id) DO UPDATE SET \
             url = excluded.url, secret_ref = excluded.secret_ref, updated_at_ms = excluded.updated_at_ms",
            vec![
                organisation_id.into(),
                url.clone().into(),
                secret.clone().into(),
                now_ms.into(),
            ],
        ),
    };
    db.execute(statement).await?;
    Ok(())
}

fn check_entry(entry: &ConfigEntry) -> Result<(SourceKind, String, RecordPolicy), OperatorError> {
    if entry.name.trim().is_empty()
        || entry.name.chars().count() > 120
        || entry.name.chars().any(char::is_control)
    {
        return Err("the name must be 1 to 120 characters, without line breaks or tabs".into());
    }
    let kind: SourceKind = entry
        .source
        .parse()
        .map_err(|e| format!("{e}; use sftp, google_workspace or workday"))?;
    entry
        .schedule
        .parse::<Schedule>()
        .map_err(|e| e.to_string())?;
    if entry.threshold_count.is_some_and(|c| c < 0) {
        return Err("threshold_count cannot be negative".into());
    }
    if entry
        .threshold_percent
        .is_some_and(|p| !(0..=100).contains(&p))
    {
        return Err("threshold_percent must be between 0 and 100".into());
    }
    // The record rules belong to the configuration; written among the source's settings
    // they mean the same, and are taken out before the settings are checked.
    let mut settings = entry.settings.clone();
    let blank_values = one_of(
        &entry.blank_values,
        settings.remove("blank_values"),
        "blank_values",
        |v| v.as_str().map(str::to_string),
    )?;
    let allow_rekey = one_of(
        &entry.allow_rekey,
        settings.remove("allow_rekey"),
        "allow_rekey",
        toml::Value::as_bool,
    )?;
    let required = one_of(
        &entry.required,
        settings.remove("required"),
        "required",
        |v| {
            v.as_array()?
                .iter()
                .map(|k| k.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
        },
    )?;
    // `allow_rekey` is no secret, though its name says "key".
    check_secrets(&settings, "settings")?;
    let json = serde_json::to_string(&settings).map_err(|e| e.to_string())?;
    SourceSettings::parse(kind, &json)?;
    let policy = RecordPolicy {
        blank_values: blank_values
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
        allow_rekey: allow_rekey.unwrap_or(true),
        required: parse_required(required.iter().flatten().map(String::as_str))?,
    };
    Ok((kind, json, policy))
}

/// A record rule given at the configuration's level or among its settings, not both.
fn one_of<T: Clone>(
    top: &Option<T>,
    in_settings: Option<toml::Value>,
    name: &str,
    read: impl Fn(&toml::Value) -> Option<T>,
) -> Result<Option<T>, OperatorError> {
    match (top, in_settings) {
        (Some(_), Some(_)) => {
            Err(format!("{name} is given twice (beside settings and in them); keep one").into())
        }
        (Some(t), None) => Ok(Some(t.clone())),
        (None, Some(v)) => read(&v)
            .map(Some)
            .ok_or_else(|| format!("{name} has the wrong type").into()),
        (None, None) => Ok(None),
    }
}
