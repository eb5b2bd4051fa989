//! A configuration's source settings as stored (JSON, secrets by reference only).

use super::mapping::{ColumnMapping, MappingError};
use super::secret::{NotAReference, SecretRef};
use super::source::table::Sheet;
use app::domain::SourceKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a static file reaches the service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Sftp,
    /// A folder on this machine (single-machine installs and the demo).
    Folder,
}

/// Settings of a static-file source, as written in configuration files and stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    #[serde(default)]
    pub transport: Transport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `env:NAME` or `file:/path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `env:NAME` or `file:/path` holding an OpenSSH private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// The server's public host key, as in `known_hosts` ("ssh-ed25519 AAAA…").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    /// The file: a remote path for SFTP, a local path for a folder.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Source header → directory field key, on top of the default headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mapping: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

/// Settings of a Google Workspace source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleSettings {
    /// `my_customer` (the default) or a customer id; or list one `domain` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The administrator the service account acts as (domain-wide delegation).
    pub admin_email: String,
    /// `env:NAME` or `file:/path` holding the service account's JSON key.
    pub service_account_key: String,
    /// `externalIds[].type` that holds the Employee ID (default `organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id_type: Option<String>,
    /// `id` to use Google's own user id when a user has no Employee ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id_fallback: Option<String>,
    /// Overrides for tests and proxies: the API and token endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

/// Settings of a Workday RaaS source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkdaySettings {
    pub host: String,
    pub tenant: String,
    /// The report's owner, as in its URL.
    pub owner: String,
    pub report: String,
    /// The Integration System User (default: the owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `env:NAME` or `file:/path`.
    pub password: String,
    /// Report field → directory field key, on top of the default names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mapping: BTreeMap<String, String>,
    /// Override of `https://{host}`, for tests and proxies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct CheckedGoogle {
    pub raw: GoogleSettings,
    pub key: SecretRef,
    /// Google's fields are fixed; this carries the fields a configuration requires.
    pub mapping: ColumnMapping,
}

#[derive(Debug, Clone)]
pub struct CheckedWorkday {
    pub raw: WorkdaySettings,
    pub password: SecretRef,
    pub mapping: ColumnMapping,
}

/// A source's settings, checked.
#[derive(Debug, Clone)]
pub enum SourceSettings {
    File(Box<CheckedFile>),
    Google(Box<CheckedGoogle>),
    Workday(Box<CheckedWorkday>),
}

/// Why a source's settings cannot be used: a sentence for the operator who wrote them.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the source settings are not valid: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error("{name}: {source}")]
    NotAReference {
        name: &'static str,
        #[source]
        source: NotAReference,
    },
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("timeout_secs must be between 1 and 3600")]
    Timeout,
    #[error("{0} must be an http:// or https:// address")]
    NotAWebAddress(&'static str),
    #[error("admin_email must be the email of the administrator to act as")]
    AdminEmail,
    #[error("employee_id_fallback can only be \"id\"")]
    EmployeeIdFallback,
    #[error("a Workday source needs its {0}")]
    WorkdayNeeds(&'static str),
    #[error("an SFTP source needs {0}")]
    SftpNeeds(&'static str),
    #[error("the file path is empty")]
    EmptyPath,
}

/// A secret's reference, named by its setting when it is not one.
fn reference(name: &'static str, value: &str) -> Result<SecretRef, SettingsError> {
    value
        .parse()
        .map_err(|source| SettingsError::NotAReference { name, source })
}

fn check_timeout(t: Option<u64>) -> Result<(), SettingsError> {
    if t.is_some_and(|t| !(1..=3600).contains(&t)) {
        return Err(SettingsError::Timeout);
    }
    Ok(())
}

fn check_url(name: &'static str, url: &Option<String>) -> Result<(), SettingsError> {
    match url {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
            Err(SettingsError::NotAWebAddress(name))
        }
        _ => Ok(()),
    }
}

pub fn check_google(raw: GoogleSettings) -> Result<CheckedGoogle, SettingsError> {
    if !crate::sync::person::is_valid_email(&raw.admin_email.trim().to_lowercase()) {
        return Err(SettingsError::AdminEmail);
    }
    let key = reference("service_account_key", &raw.service_account_key)?;
    check_timeout(raw.timeout_secs)?;
    check_url("base_url", &raw.base_url)?;
    check_url("token_url", &raw.token_url)?;
    if raw
        .employee_id_fallback
        .as_deref()
        .is_some_and(|f| f != "id")
    {
        return Err(SettingsError::EmployeeIdFallback);
    }
    Ok(CheckedGoogle {
        raw,
        key,
        mapping: ColumnMapping::default(),
    })
}

pub fn check_workday(raw: WorkdaySettings) -> Result<CheckedWorkday, SettingsError> {
    for (name, v) in [
        ("host", &raw.host),
        ("tenant", &raw.tenant),
        ("owner", &raw.owner),
        ("report", &raw.report),
    ] {
        if v.trim().is_empty() {
            return Err(SettingsError::WorkdayNeeds(name));
        }
    }
    let password = reference("password", &raw.password)?;
    check_timeout(raw.timeout_secs)?;
    check_url("base_url", &raw.base_url)?;
    let mapping =
        ColumnMapping::from_pairs(raw.mapping.iter().map(|(h, f)| (h.as_str(), f.as_str())))?;
    Ok(CheckedWorkday {
        raw,
        password,
        mapping,
    })
}

#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub raw: FileSettings,
    pub mapping: ColumnMapping,
    pub sheet: Sheet,
    pub password: Option<SecretRef>,
    pub private_key: Option<SecretRef>,
}

impl CheckedFile {
    pub fn file_name(&self) -> String {
        PathBuf::from(&self.raw.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.raw.path.clone())
    }
}

impl SourceSettings {
    /// Makes the configuration's required optional fields required by the source's reader.
    pub fn require(&mut self, fields: crate::sync::person::FieldSet) {
        match self {
            SourceSettings::File(f) => f.mapping.require(fields),
            SourceSettings::Google(g) => g.mapping.require(fields),
            SourceSettings::Workday(w) => w.mapping.require(fields),
        }
    }

    /// Checks stored or imported settings; the error is a sentence for an operator.
    pub fn parse(kind: SourceKind, json: &str) -> Result<SourceSettings, SettingsError> {
        Ok(match kind {
            SourceKind::Sftp => {
                SourceSettings::File(Box::new(check_file(serde_json::from_str(json)?)?))
            }
            SourceKind::GoogleWorkspace => {
                SourceSettings::Google(Box::new(check_google(serde_json::from_str(json)?)?))
            }
            SourceKind::Workday => {
                SourceSettings::Workday(Box::new(check_workday(serde_json::from_str(json)?)?))
            }
        })
    }
}

pub fn check_file(raw: FileSettings) -> Result<CheckedFile, SettingsError> {
    if raw.path.trim().is_empty() {
        return Err(SettingsError::EmptyPath);
    }
    let secret = |name: &'static str, v: &Option<String>| {
        v.as_deref().map(|s| reference(name, s)).transpose()
    };
    check_timeout(raw.timeout_secs)?;
    let password = secret("password", &raw.password)?;
    let private_key = secret("private_key", &raw.private_key)?;
    if raw.transport == Transport::Sftp {
        if raw.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
            return Err(SettingsError::SftpNeeds("a host"));
        }
        if raw.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(SettingsError::SftpNeeds("a username"));
        }
        if password.is_none() && private_key.is_none() {
            return Err(SettingsError::SftpNeeds(
                "a password or a private_key reference",
            ));
        }
    }
    let mapping =
        ColumnMapping::from_pairs(raw.mapping.iter().map(|(h, f)| (h.as_str(), f.as_str())))?;
    let sheet = raw
        .sheet
        .clone()
        .filter(|s| !s.trim().is_empty())
        .map(Sheet::Named)
        .unwrap_or_default();
    Ok(CheckedFile {
        raw,
        mapping,
        sheet,
        password,
        private_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_settings_are_checked() {
        let ok = r#"{"host":"h","username":"u","password":"env:PW","path":"/x.csv","host_key":"ssh-ed25519 AAAA"}"#;
        assert!(matches!(
            SourceSettings::parse(SourceKind::Sftp, ok),
            Ok(SourceSettings::File(_))
        ));
        let folder = r#"{"transport":"folder","path":"/drop/people.xlsx","sheet":"People","mapping":{"Personnel Nr":"employee_id"}}"#;
        let Ok(SourceSettings::File(f)) = SourceSettings::parse(SourceKind::Sftp, folder) else {
            panic!()
        };
        assert_eq!(f.sheet, Sheet::Named("People".into()));
        assert_eq!(f.file_name(), "people.xlsx");
        for (bad, why) in [
            (
                r#"{"host":"h","username":"u","password":"hunter2","path":"/x"}"#,
                "reference",
            ),
            (
                r#"{"host":"h","username":"u","path":"/x"}"#,
                "password or a private_key",
            ),
            (r#"{"username":"u","password":"env:P","path":"/x"}"#, "host"),
            (r#"{"transport":"folder","path":""}"#, "path is empty"),
            (
                r#"{"transport":"folder","path":"/x","mapping":{"A":"salary"}}"#,
                "unknown field",
            ),
            (r#"{"transport":"ftp","path":"/x"}"#, "not valid"),
            (
                r#"{"transport":"folder","path":"/x","pasword":"env:X"}"#,
                "not valid",
            ),
        ] {
            let err = SourceSettings::parse(SourceKind::Sftp, bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("hunter2"));
        }
    }
}
