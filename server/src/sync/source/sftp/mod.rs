//! Downloads a file over SFTP (russh) into a temporary file: host keys pinned, password or
//! key authentication, brief network trouble tried again a few times, every failure told
//! in plain words.

use crate::sync::settings::CheckedFile;
use crate::sync::source::table::MAX_FILE_BYTES;
use crate::sync::validate::LoadError;
use russh::client;
mod connect;
mod failure;
mod host_keys;

use connect::{connect, sign_in};
use failure::{broken, fatal, file_failure, Failure};
use host_keys::{pinned_keys, PinnedHost};
use russh::keys::PublicKey;
use std::sync::Arc;
use std::time::Duration;
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How hard to try before a run fails to load.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    /// The first wait; doubled each time.
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Where to connect, and which host keys to accept there.
struct Target {
    host: String,
    port: u16,
    user: String,
    place: String,
    timeout: Duration,
    pins: Arc<Vec<PublicKey>>,
}

impl Target {
    fn new(settings: &CheckedFile) -> Result<Target, LoadError> {
        let raw = &settings.raw;
        let host = raw.host.clone().unwrap_or_default();
        let port = raw.port.unwrap_or(22);
        let place = format!("{host}:{port}");
        let pins = pinned_keys(raw.host_key.as_deref(), &place)?;
        Ok(Target {
            host,
            port,
            user: raw.username.clone().unwrap_or_default(),
            timeout: raw
                .timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_TIMEOUT),
            place,
            pins: Arc::new(pins),
        })
    }
}

type Session = client::Handle<PinnedHost>;

/// Fetches the configured file; the temporary file is removed when dropped.
pub async fn download(settings: &CheckedFile) -> Result<NamedTempFile, LoadError> {
    download_with(settings, Retry::default()).await
}

/// [`download`], trying again after transient failures as `retry` says.
pub async fn download_with(
    settings: &CheckedFile,
    retry: Retry,
) -> Result<NamedTempFile, LoadError> {
    let target = Target::new(settings)?;
    let attempts = retry.attempts.max(1);
    let mut wait = retry.backoff;
    let mut attempt = 1;
    loop {
        let error = match try_once(settings, &target).await {
            Ok(file) => return Ok(file),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transient(e)) => e,
        };
        if attempt >= attempts {
            if attempts == 1 {
                return Err(error);
            }
            return Err(LoadError(format!(
                "{} Gave up after {attempts} attempts.",
                error.0
            )));
        }
        tracing::warn!(
            place = %target.place,
            attempt,
            attempts,
            "SFTP download failed, trying again in {} ms: {}",
            wait.as_millis(),
            error.0
        );
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2);
        attempt += 1;
    }
}

async fn try_once(settings: &CheckedFile, target: &Target) -> Result<NamedTempFile, Failure> {
    let mut session = connect(target).await?;
    let outcome = match sign_in(&mut session, settings, target).await {
        Ok(()) => fetch_within(&session, target, &settings.raw.path).await,
        Err(f) => Err(f),
    };
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    outcome
}

/// The whole transfer may take twenty times the timeout: a large file over a slow link is
/// read to its end, a transfer that never ends is stopped.
async fn fetch_within(
    session: &Session,
    target: &Target,
    path: &str,
) -> Result<NamedTempFile, Failure> {
    tokio::time::timeout(
        target.timeout.saturating_mul(20),
        fetch(session, path, &target.place),
    )
    .await
    .map_err(|_| {
        fatal(format!(
            "Downloading {path} from {} took too long and was stopped.",
            target.place
        ))
    })?
}

async fn open_sftp(
    session: &Session,
    place: &str,
) -> Result<russh_sftp::client::SftpSession, Failure> {
    let channel = session
        .channel_open_session()
        .await
        .map_err(|e| broken(place, &e))?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| broken(place, &e))?;
    russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .map_err(|_| {
            fatal(format!(
                "The server {place} accepted the sign-in but does not offer SFTP."
            ))
        })
}

async fn fetch(session: &Session, path: &str, place: &str) -> Result<NamedTempFile, Failure> {
    let sftp = open_sftp(session, place).await?;
    let meta = sftp
        .metadata(path)
        .await
        .map_err(|e| file_failure(path, place, e))?;
    if meta.is_dir() {
        return Err(fatal(format!(
            "{path} on the SFTP server {place} is a folder, not a file."
        )));
    }
    if meta.size.unwrap_or(0) > MAX_FILE_BYTES {
        return Err(fatal(format!(
            "The file {path} on {place} is {} MB; files over {} MB are not read.",
            meta.size.unwrap_or(0) >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut remote = sftp
        .open(path)
        .await
        .map_err(|e| file_failure(path, place, e))?;
    let (local, total) = copy(&mut remote, path, place).await?;
    // A file still being uploaded reads short (or long): better no run than half a list.
    if let Some(expected) = meta.size.filter(|&s| s != total) {
        return Err(fatal(format!(
            "The file {path} on {place} changed while it was being downloaded ({expected} bytes announced, {total} received); it may still be uploading. Nothing was changed."
        )));
    }
    let _ = sftp.close().await;
    Ok(local)
}

/// Copies the remote file into a new temporary file; returns it and the bytes read.
async fn copy(
    remote: &mut russh_sftp::client::fs::File,
    path: &str,
    place: &str,
) -> Result<(NamedTempFile, u64), Failure> {
    let no_room = |e: std::io::Error| fatal(format!("No room to store the downloaded file: {e}."));
    let local = NamedTempFile::new().map_err(no_room)?;
    let mut out = tokio::fs::File::from_std(local.reopen().map_err(no_room)?);
    let mut buf = vec![0u8; 1 << 16];
    let mut total: u64 = 0;
    loop {
        let n = remote.read(&mut buf).await.map_err(|e| {
            Failure::Transient(LoadError(format!(
                "The connection to {place} broke while downloading {path} ({}).",
                e.kind()
            )))
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(fatal(format!(
                "The file {path} on {place} is larger than {} MB and was not read.",
                MAX_FILE_BYTES >> 20
            )));
        }
        out.write_all(&buf[..n]).await.map_err(no_room)?;
    }
    out.flush().await.map_err(no_room)?;
    Ok((local, total))
}
