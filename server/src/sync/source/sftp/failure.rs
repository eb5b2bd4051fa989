//! How an SFTP download can fail, in an admin's words, and which failures are worth
//! another attempt.

use crate::sync::validate::LoadError;

/// Why an attempt failed. Only trouble on the way (a connection refused, dropped or
/// silent) is worth another attempt: a refused credential, a changed host key or a missing
/// file would fail the same way again, and retrying a credential can lock an account.
pub(super) enum Failure {
    Transient(LoadError),
    Fatal(LoadError),
}

pub(super) fn fatal(message: String) -> Failure {
    Failure::Fatal(LoadError(message))
}

/// A connection-level failure, worth another attempt when the network or the server was
/// briefly at fault.
pub(super) fn broken(place: &str, e: &russh::Error) -> Failure {
    use std::io::ErrorKind as K;
    let words = LoadError(connect_words(place, e));
    let transient = match e {
        russh::Error::IO(io) => matches!(
            io.kind(),
            K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::TimedOut
                | K::UnexpectedEof
                | K::BrokenPipe
                | K::NotConnected
        ),
        russh::Error::Disconnect
        | russh::Error::HUP
        | russh::Error::InactivityTimeout
        | russh::Error::KeepaliveTimeout
        | russh::Error::ConnectionTimeout
        | russh::Error::Elapsed(_)
        | russh::Error::SendError
        | russh::Error::RecvError => true,
        _ => false,
    };
    if transient {
        Failure::Transient(words)
    } else {
        Failure::Fatal(words)
    }
}

pub(super) fn file_failure(
    path: &str,
    place: &str,
    e: russh_sftp::client::error::Error,
) -> Failure {
    use russh_sftp::client::error::Error as E;
    use russh_sftp::protocol::StatusCode as S;
    match e {
        E::Status(s) => match s.status_code {
            S::NoSuchFile => fatal(format!(
                "The file {path} was not found on the SFTP server {place}."
            )),
            S::PermissionDenied => {
                fatal(format!("The SFTP server {place} denied access to {path}."))
            }
            S::NoConnection | S::ConnectionLost => Failure::Transient(LoadError(format!(
                "The connection to {place} broke while downloading {path}."
            ))),
            _ => fatal(format!(
                "The SFTP server {place} could not send {path}: {}.",
                s.error_message.chars().take(120).collect::<String>()
            )),
        },
        other => {
            let words = LoadError(format!(
                "The SFTP transfer of {path} from {place} failed: {}.",
                other.to_string().chars().take(120).collect::<String>()
            ));
            match other {
                E::IO(_) | E::Timeout => Failure::Transient(words),
                _ => Failure::Fatal(words),
            }
        }
    }
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
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => {
                format!("The SFTP server {place} closed the connection.")
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
        russh::Error::Disconnect
        | russh::Error::HUP
        | russh::Error::SendError
        | russh::Error::RecvError => {
            format!("The SFTP server {place} closed the connection.")
        }
        russh::Error::InactivityTimeout
        | russh::Error::KeepaliveTimeout
        | russh::Error::ConnectionTimeout
        | russh::Error::Elapsed(_) => {
            format!("The SFTP server {place} stopped answering.")
        }
        _ => format!("The SFTP connection to {place} failed."),
    }
}
