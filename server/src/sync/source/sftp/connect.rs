//! Connecting: the server's identity checked against the pinned host keys, then the
//! password or key tried.

use super::failure::{broken, fatal, Failure};
use super::host_keys::{algorithms_for, mismatch_words, same_type, Offer, PinnedHost};
use super::{Session, Target};
use crate::sync::settings::CheckedFile;
use crate::sync::validate::LoadError;
use russh::client;
use russh::keys::{Algorithm, PrivateKeyWithHashAlg};
use std::sync::{Arc, Mutex};

/// Why a single connection was not made.
enum Refusal {
    Mismatch(Offer),
    /// The server has a host key of none of the types asked for.
    NoCommonKey(Failure),
    Other(Failure),
}

/// Connects and checks the server's identity. A server holds one host key per type and
/// shows only the one negotiated, so with several keys pinned each pinned type it may hold
/// is asked for in turn until one matches.
pub(super) async fn connect(target: &Target) -> Result<Session, Failure> {
    let mut untried: Vec<Algorithm> = Vec::new();
    for key in target.pins.iter() {
        if !untried.iter().any(|t| same_type(t, &key.algorithm())) {
            untried.push(key.algorithm());
        }
    }
    let mut offered: Vec<String> = Vec::new();
    loop {
        let mut prefer: Vec<Algorithm> = untried.iter().flat_map(algorithms_for).collect();
        if offered.is_empty() {
            // Every other type after the pinned ones, so that a key replaced by one of
            // another type is still shown to the admin by its fingerprint.
            let rest: Vec<Algorithm> = russh::Preferred::DEFAULT
                .key
                .iter()
                .filter(|a| !prefer.contains(a))
                .cloned()
                .collect();
            prefer.extend(rest);
        }
        let offer = match connect_once(target, prefer).await {
            Ok(session) => return Ok(session),
            Err(Refusal::Mismatch(offer)) => offer,
            Err(Refusal::NoCommonKey(f)) if offered.is_empty() => return Err(f),
            Err(Refusal::NoCommonKey(_)) => break,
            Err(Refusal::Other(f)) => return Err(f),
        };
        offered.push(offer.words);
        // The server took the first type on the list that it holds: it holds none of the
        // types before the one it showed, and its key of that type is not a pinned one.
        let shown = offer
            .key_type
            .and_then(|k| untried.iter().position(|t| same_type(t, &k)));
        match shown {
            Some(i) => {
                untried.drain(..=i);
            }
            None => untried.clear(),
        }
        if untried.is_empty() {
            break;
        }
    }
    Err(fatal(mismatch_words(
        &target.place,
        &offered,
        target.pins.len(),
    )))
}

async fn connect_once(target: &Target, prefer: Vec<Algorithm>) -> Result<Session, Refusal> {
    let offered = Arc::new(Mutex::new(None));
    let handler = PinnedHost {
        pins: target.pins.clone(),
        offered: offered.clone(),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(target.timeout),
        preferred: russh::Preferred {
            key: prefer.into(),
            ..Default::default()
        },
        ..Default::default()
    });
    let place = &target.place;
    let connected = tokio::time::timeout(
        target.timeout,
        client::connect(config, (target.host.as_str(), target.port), handler),
    )
    .await
    .map_err(|_| {
        Refusal::Other(Failure::Transient(LoadError(format!(
            "The SFTP server {place} did not answer within {} seconds.",
            target.timeout.as_secs()
        ))))
    })?;
    connected.map_err(|e| {
        if let Some(offer) = offered.lock().expect("lock").take() {
            return Refusal::Mismatch(offer);
        }
        match e {
            russh::Error::NoCommonAlgo {
                kind: russh::AlgorithmKind::Key,
                ..
            } => Refusal::NoCommonKey(broken(place, &e)),
            _ => Refusal::Other(broken(place, &e)),
        }
    })
}

pub(super) async fn sign_in(
    session: &mut Session,
    settings: &CheckedFile,
    target: &Target,
) -> Result<(), Failure> {
    tokio::time::timeout(target.timeout, try_credentials(session, settings, target))
        .await
        .map_err(|_| {
            Failure::Transient(LoadError(format!(
                "The SFTP server {} stopped answering during sign-in.",
                target.place
            )))
        })?
}

async fn try_credentials(
    session: &mut Session,
    settings: &CheckedFile,
    target: &Target,
) -> Result<(), Failure> {
    let broke = |e: russh::Error| broken(&target.place, &e);
    if let Some(key_ref) = &settings.private_key {
        let pem = key_ref
            .resolve()
            .map_err(|e| fatal(format!("The SFTP private key could not be read: {e}.")))?;
        let key = russh::keys::decode_secret_key(pem.expose(), None).map_err(|_| {
            fatal(format!(
                "The SFTP private key ({key_ref}) is not an unencrypted OpenSSH private key."
            ))
        })?;
        let hash = session
            .best_supported_rsa_hash()
            .await
            .ok()
            .flatten()
            .flatten();
        let ok = session
            .authenticate_publickey(
                &target.user,
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(broke)?;
        if ok.success() {
            return Ok(());
        }
    }
    if let Some(pw_ref) = &settings.password {
        let pw = pw_ref
            .resolve()
            .map_err(|e| fatal(format!("The SFTP password could not be read: {e}.")))?;
        let ok = session
            .authenticate_password(&target.user, pw.expose())
            .await
            .map_err(broke)?;
        if ok.success() {
            return Ok(());
        }
    }
    Err(fatal(format!(
        "The SFTP server {} refused the credentials for user {}. Check the username, password or key.",
        target.place, target.user
    )))
}
