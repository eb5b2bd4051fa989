//! Downloads a file over SFTP (russh) into a temporary file: host key pinned, password or
//! key authentication, every failure told in plain words.

use crate::sync::settings::CheckedFile;
use crate::sync::source::table::MAX_FILE_BYTES;
use crate::sync::validate::LoadError;
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::NamedTempFile;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

struct PinnedHost {
    expected: PublicKey,
    /// The fingerprint the server offered, when it was not the pinned one.
    offered: Arc<Mutex<Option<String>>>,
}

impl client::Handler for PinnedHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let offered = match key {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => key,
            russh::keys::PublicKeyOrCertificate::Certificate(_) => {
                *self.offered.lock().expect("lock") = Some("a certificate".into());
                return Ok(false);
            }
        };
        if offered.key_data() == self.expected.key_data() {
            return Ok(true);
        }
        *self.offered.lock().expect("lock") =
            Some(offered.fingerprint(HashAlg::Sha256).to_string());
        Ok(false)
    }
}

/// Fetches the configured file; the temporary file is removed when dropped.
pub async fn download(settings: &CheckedFile) -> Result<NamedTempFile, LoadError> {
    let raw = &settings.raw;
    let host = raw.host.clone().unwrap_or_default();
    let port = raw.port.unwrap_or(22);
    let user = raw.username.clone().unwrap_or_default();
    let place = format!("{host}:{port}");
    let timeout = raw
        .timeout_secs
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);

    let expected = raw
        .host_key
        .as_deref()
        .ok_or_else(|| {
            LoadError(format!(
                "No host key is pinned for the SFTP server {place}, so its identity cannot be checked. Add the server's public host key (host_key) to the configuration."
            ))
        })
        .and_then(|k| {
            PublicKey::from_openssh(k.trim()).map_err(|_| {
                LoadError(format!(
                    "The pinned host key for {place} is not a valid OpenSSH public key (expected \"ssh-ed25519 AAAA…\")."
                ))
            })
        })?;

    let offered = Arc::new(Mutex::new(None));
    let handler = PinnedHost {
        expected,
        offered: offered.clone(),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(timeout),
        ..Default::default()
    });
    let connect = tokio::time::timeout(
        timeout,
        client::connect(config, (host.as_str(), port), handler),
    )
    .await
    .map_err(|_| {
        LoadError(format!(
            "The SFTP server {place} did not answer within {} seconds.",
            timeout.as_secs()
        ))
    })?;
    let mut session = match connect {
        Ok(s) => s,
        Err(e) => {
            if let Some(fp) = offered.lock().expect("lock").take() {
                return Err(LoadError(format!(
                    "The SFTP server {place} presented a host key ({fp}) that does not match the pinned key. Nothing was downloaded. If the server's key was changed on purpose, update host_key in the configuration."
                )));
            }
            return Err(LoadError(connect_words(&place, &e)));
        }
    };

    let authenticated = tokio::time::timeout(timeout, async {
        if let Some(key_ref) = &settings.private_key {
            let pem = key_ref.resolve().map_err(|e| {
                LoadError(format!("The SFTP private key could not be read: {e}."))
            })?;
            let key = russh::keys::decode_secret_key(pem.expose(), None).map_err(|_| {
                LoadError(format!(
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
                .authenticate_publickey(&user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(|e| LoadError(connect_words(&place, &e)))?;
            if ok.success() {
                return Ok(());
            }
        }
        if let Some(pw_ref) = &settings.password {
            let pw = pw_ref.resolve().map_err(|e| {
                LoadError(format!("The SFTP password could not be read: {e}."))
            })?;
            let ok = session
                .authenticate_password(&user, pw.expose())
                .await
                .map_err(|e| LoadError(connect_words(&place, &e)))?;
            if ok.success() {
                return Ok(());
            }
        }
        Err(LoadError(format!(
            "The SFTP server {place} refused the credentials for user {user}. Check the username, password or key."
        )))
    })
    .await
    .map_err(|_| LoadError(format!("The SFTP server {place} stopped answering during sign-in.")))?;
    authenticated?;

    let fetched = tokio::time::timeout(
        timeout.saturating_mul(20),
        fetch(&session, &raw.path, &place),
    )
    .await;
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    fetched.map_err(|_| {
        LoadError(format!(
            "Downloading {} from {place} took too long and was stopped.",
            raw.path
        ))
    })?
}

async fn fetch(
    session: &client::Handle<PinnedHost>,
    path: &str,
    place: &str,
) -> Result<NamedTempFile, LoadError> {
    let channel_err = |e: russh::Error| LoadError(connect_words(place, &e));
    let channel = session.channel_open_session().await.map_err(channel_err)?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(channel_err)?;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .map_err(|_| {
            LoadError(format!(
                "The server {place} accepted the sign-in but does not offer SFTP."
            ))
        })?;
    let file_err = |e: russh_sftp::client::error::Error| match e {
        russh_sftp::client::error::Error::Status(s) => match s.status_code {
            russh_sftp::protocol::StatusCode::NoSuchFile => LoadError(format!(
                "The file {path} was not found on the SFTP server {place}."
            )),
            russh_sftp::protocol::StatusCode::PermissionDenied => {
                LoadError(format!("The SFTP server {place} denied access to {path}."))
            }
            _ => LoadError(format!(
                "The SFTP server {place} could not send {path}: {}.",
                s.error_message.chars().take(120).collect::<String>()
            )),
        },
        other => LoadError(format!(
            "The SFTP transfer of {path} from {place} failed: {}.",
            other.to_string().chars().take(120).collect::<String>()
        )),
    };
    let meta = sftp.metadata(path).await.map_err(file_err)?;
    if meta.is_dir() {
        return Err(LoadError(format!(
            "{path} on the SFTP server {place} is a folder, not a file."
        )));
    }
    if meta.size.unwrap_or(0) > MAX_FILE_BYTES {
        return Err(LoadError(format!(
            "The file {path} on {place} is {} MB; files over {} MB are not read.",
            meta.size.unwrap_or(0) >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut remote = sftp.open(path).await.map_err(file_err)?;
    let local = NamedTempFile::new()
        .map_err(|e| LoadError(format!("No room to store the downloaded file: {e}.")))?;
    let mut out = tokio::fs::File::from_std(
        local
            .reopen()
            .map_err(|e| LoadError(format!("No room to store the downloaded file: {e}.")))?,
    );
    let mut buf = vec![0u8; 1 << 16];
    let mut total: u64 = 0;
    loop {
        let n = remote.read(&mut buf).await.map_err(|e| {
            LoadError(format!(
                "The connection to {place} broke while downloading {path} ({}).",
                e.kind()
            ))
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(LoadError(format!(
                "The file {path} on {place} is larger than {} MB and was not read.",
                MAX_FILE_BYTES >> 20
            )));
        }
        out.write_all(&buf[..n])
            .await
            .map_err(|e| LoadError(format!("No room to store the downloaded file: {e}.")))?;
    }
    out.flush()
        .await
        .map_err(|e| LoadError(format!("No room to store the downloaded file: {e}.")))?;
    // A file still being uploaded reads short (or long): better no run than half a list.
    if let Some(expected) = meta.size.filter(|&s| s != total) {
        return Err(LoadError(format!(
            "The file {path} on {place} changed while it was being downloaded ({expected} bytes announced, {total} received); it may still be uploading. Nothing was changed."
        )));
    }
    let _ = sftp.close().await;
    Ok(local)
}

/// A connection-level failure in an admin's words.
fn connect_words(place: &str, e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                format!("Could not connect to the SFTP server {place}: the connection was refused (is the host and port right, and is the server running?).")
            }
            std::io::ErrorKind::TimedOut => {
                format!("The SFTP server {place} did not answer in time.")
            }
            _ if io.to_string().contains("lookup") || io.to_string().contains("resolve") || io.to_string().contains("known") => {
                format!("The SFTP server's host name in {place} could not be found (DNS).")
            }
            k => format!("Could not connect to the SFTP server {place} ({k})."),
        },
        russh::Error::UnknownKey => format!(
            "The SFTP server {place} presented a host key that does not match the pinned key. Nothing was downloaded."
        ),
        russh::Error::KexInit | russh::Error::NoCommonAlgo { .. } => format!(
            "The server at {place} speaks no SSH algorithm in common with the service, or is not an SSH server."
        ),
        russh::Error::Disconnect | russh::Error::HUP => {
            format!("The SFTP server {place} closed the connection.")
        }
        russh::Error::InactivityTimeout => {
            format!("The SFTP server {place} stopped answering.")
        }
        _ => format!("The SFTP connection to {place} failed."),
    }
}
