//! A configuration's source settings as stored (JSON, secrets by reference only).

use super::mapping::ColumnMapping;
use super::secret::SecretRef;
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

/// A source's settings, checked.
#[derive(Debug, Clone)]
pub enum SourceSettings {
    File(Box<CheckedFile>),
    /// A kind this build has no connector for; runs of it fail to load with this reason.
    Unsupported(String),
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
    /// Checks stored or imported settings; the error is a sentence for an operator.
    pub fn parse(kind: SourceKind, json: &str) -> Result<SourceSettings, String> {
        match kind {
            SourceKind::Sftp => {
                let raw: FileSettings = serde_json::from_str(json)
                    .map_err(|e| format!("the source settings are not valid: {e}"))?;
                check_file(raw).map(|f| SourceSettings::File(Box::new(f)))
            }
            SourceKind::GoogleWorkspace | SourceKind::Workday => {
                Ok(SourceSettings::Unsupported(format!(
                    "This version of the User Sync Service has no {} connector, so the source could not be read.",
                    kind.display_name()
                )))
            }
        }
    }
}

pub fn check_file(raw: FileSettings) -> Result<CheckedFile, String> {
    if raw.path.trim().is_empty() {
        return Err("the file path is empty".into());
    }
    let secret = |name: &str, v: &Option<String>| -> Result<Option<SecretRef>, String> {
        v.as_deref()
            .map(|s| s.parse::<SecretRef>().map_err(|e| format!("{name}: {e}")))
            .transpose()
    };
    if raw.timeout_secs.is_some_and(|t| !(1..=3600).contains(&t)) {
        return Err("timeout_secs must be between 1 and 3600".into());
    }
    let password = secret("password", &raw.password)?;
    let private_key = secret("private_key", &raw.private_key)?;
    if raw.transport == Transport::Sftp {
        if raw.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
            return Err("an SFTP source needs a host".into());
        }
        if raw.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err("an SFTP source needs a username".into());
        }
        if password.is_none() && private_key.is_none() {
            return Err("an SFTP source needs a password or a private_key reference".into());
        }
    }
    let mapping =
        ColumnMapping::from_pairs(raw.mapping.iter().map(|(h, f)| (h.as_str(), f.as_str())))
            .map_err(|e| e.to_string())?;
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
            let err = SourceSettings::parse(SourceKind::Sftp, bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("hunter2"));
        }
    }
}
