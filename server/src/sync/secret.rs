//! Secrets are stored as references (`env:NAME` or `file:/path`), resolved only when a
//! run needs them, and never printed: `Debug` and `Display` show a placeholder.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A secret's value. Read it with [`Secret::expose`] at the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Where a secret lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret must be a reference, \"env:NAME\" or \"file:/path\", never the secret itself")]
pub struct NotAReference;

impl FromStr for SecretRef {
    type Err = NotAReference;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("env:") {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return valid
                .then(|| SecretRef::Env(name.to_string()))
                .ok_or(NotAReference);
        }
        match s.strip_prefix("file:") {
            Some(path) if path.starts_with('/') => Ok(SecretRef::File(PathBuf::from(path))),
            _ => Err(NotAReference),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(n) => write!(f, "env:{n}"),
            SecretRef::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// Why a secret could not be read. It names where the secret was looked for, never what
/// was found there.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable {0} is not set")]
    Unset(String),
    #[error("the secret file {} is empty", .0.display())]
    EmptyFile(PathBuf),
    #[error("the secret file {} cannot be read ({})", .path.display(), .source.kind())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SecretRef {
    /// The secret's value.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(Secret(v)),
                _ => Err(SecretError::Unset(name.clone())),
            },
            SecretRef::File(path) => match std::fs::read_to_string(path) {
                Ok(v) if !v.trim().is_empty() => {
                    Ok(Secret(v.trim_end_matches(['\n', '\r']).to_string()))
                }
                Ok(_) => Err(SecretError::EmptyFile(path.clone())),
                Err(source) => Err(SecretError::Unreadable {
                    path: path.clone(),
                    source,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_plain_values_do_not() {
        assert_eq!("env:SFTP_PW".parse(), Ok(SecretRef::Env("SFTP_PW".into())));
        assert_eq!(
            "file:/run/secrets/key".parse(),
            Ok(SecretRef::File("/run/secrets/key".into()))
        );
        for bad in ["hunter2", "env:", "env:A-B", "file:relative", ""] {
            assert!(bad.parse::<SecretRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(********) ********");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "hunter2\n").unwrap();
        let r = SecretRef::File(path);
        assert_eq!(r.resolve().unwrap().expose(), "hunter2");
        let missing = SecretRef::Env("UP_TEST_SURELY_UNSET".into())
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(missing.contains("UP_TEST_SURELY_UNSET") && !missing.contains("hunter2"));
    }
}
