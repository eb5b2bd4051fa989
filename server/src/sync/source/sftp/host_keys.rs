//! The server's identity: the host keys an operator pins (as in `known_hosts`), the
//! algorithms that make a server present a key of a pinned type, and the words for a key
//! that matches none.

use crate::sync::validate::LoadError;
use russh::client;
use russh::keys::{Algorithm, HashAlg, PublicKey, PublicKeyOrCertificate};
use std::sync::{Arc, Mutex};

/// The keys in `host_key`, one a line as in `authorized_keys` or `known_hosts` (where a
/// host pattern comes first), with blank lines and `#` comments. A line that does not read
/// is refused rather than skipped: a key half pasted would otherwise go unnoticed until the
/// day the server presents it.
pub(super) fn pinned_keys(text: Option<&str>, place: &str) -> Result<Vec<PublicKey>, LoadError> {
    let text = text.ok_or_else(|| {
        LoadError(format!(
            "No host key is pinned for the SFTP server {place}, so its identity cannot be checked. Add the server's public host key (host_key) to the configuration."
        ))
    })?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let invalid = |line: usize| {
        let which = if lines.len() > 1 {
            format!("Line {line} of the pinned host keys")
        } else {
            "The pinned host key".to_string()
        };
        LoadError(format!(
            "{which} for {place} is not a valid OpenSSH public key (expected \"ssh-ed25519 AAAA…\")."
        ))
    };
    if lines.is_empty() {
        return Err(invalid(1));
    }
    let mut keys = Vec::with_capacity(lines.len());
    for &(index, line) in &lines {
        // @revoked and @cert-authority lines would mean the opposite of a pin, or trust in
        // every key an authority signs: neither may be read as a plain key.
        if line.starts_with('@') {
            return Err(LoadError(format!(
                "The pinned host keys for {place} hold a known_hosts marker line ({}), which is not supported; list the server's own public keys.",
                line.split_whitespace().next().unwrap_or("@")
            )));
        }
        let key = PublicKey::from_openssh(line)
            .ok()
            .or_else(|| {
                let (_hosts, key) = line.split_once(char::is_whitespace)?;
                PublicKey::from_openssh(key.trim_start()).ok()
            })
            .ok_or_else(|| invalid(index + 1))?;
        if !matches!(
            key.algorithm(),
            Algorithm::Ed25519 | Algorithm::Ecdsa { .. } | Algorithm::Rsa { .. }
        ) {
            return Err(LoadError(format!(
                "The pinned host key for {place} is of a type ({}) that is not accepted; pin the server's Ed25519, ECDSA or RSA host key.",
                key.algorithm()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// RSA keys are one type whatever hash signs with them.
pub(super) fn same_type(a: &Algorithm, b: &Algorithm) -> bool {
    matches!((a, b), (Algorithm::Rsa { .. }, Algorithm::Rsa { .. })) || a == b
}

/// The host-key algorithms that make a server present a key of this type, best first;
/// SHA-1 signatures (ssh-rsa) last, for old servers only.
pub(super) fn algorithms_for(key_type: &Algorithm) -> Vec<Algorithm> {
    match key_type {
        Algorithm::Rsa { .. } => vec![
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha512),
            },
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha256),
            },
            Algorithm::Rsa { hash: None },
        ],
        other => vec![other.clone()],
    }
}

/// A key the server presented that is none of the pinned ones.
pub(super) struct Offer {
    pub words: String,
    pub key_type: Option<Algorithm>,
}

pub(super) struct PinnedHost {
    pub pins: Arc<Vec<PublicKey>>,
    pub offered: Arc<Mutex<Option<Offer>>>,
}

impl client::Handler for PinnedHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let offer = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                if self.pins.iter().any(|p| p.key_data() == key.key_data()) {
                    return Ok(true);
                }
                Offer {
                    words: format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256)),
                    key_type: Some(key.algorithm()),
                }
            }
            PublicKeyOrCertificate::Certificate(_) => Offer {
                words: "a certificate".into(),
                key_type: None,
            },
        };
        *self.offered.lock().expect("lock") = Some(offer);
        Ok(false)
    }
}

pub(super) fn mismatch_words(place: &str, offered: &[String], pins: usize) -> String {
    let (shown, verb) = match offered {
        [one] => (format!("a host key ({one})"), "does"),
        many => (format!("host keys ({})", many.join(", ")), "do"),
    };
    let pinned = if pins == 1 {
        "the pinned key"
    } else {
        "any of the pinned keys"
    };
    format!(
        "The SFTP server {place} presented {shown} that {verb} not match {pinned}. Nothing was downloaded. If the server's key was changed on purpose, update host_key in the configuration."
    )
}
