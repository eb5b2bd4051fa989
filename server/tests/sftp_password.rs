//! Password sign-in over SFTP, against an in-process SSH server (russh) that serves one
//! file: OpenSSH's sshd would need a system account with a password for this.

use russh::server::{Auth, Msg, Server as _, Session};
use russh::{Channel, ChannelId};
use russh_sftp::protocol::{Attrs, Data, FileAttributes, Handle, OpenFlags, Status, StatusCode};
use server::sync::settings::{check_file, FileSettings, Transport};
use server::sync::source::load_file;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery staple";
const PATH: &str = "/exports/people.csv";

#[derive(Clone)]
struct FileServer {
    file: Arc<Vec<u8>>,
}

impl russh::server::Server for FileServer {
    type Handler = Connection;
    fn new_client(&mut self, _: Option<std::net::SocketAddr>) -> Connection {
        Connection {
            file: self.file.clone(),
            channels: HashMap::new(),
        }
    }
}

struct Connection {
    file: Arc<Vec<u8>>,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if user == "blink" && password == PASSWORD {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match (name, self.channels.remove(&id)) {
            ("sftp", Some(channel)) => {
                session.channel_success(id)?;
                let sftp = OneFile {
                    file: self.file.clone(),
                };
                tokio::spawn(russh_sftp::server::run(channel.into_stream(), sftp));
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }
}

/// An SFTP server holding one read-only file at [`PATH`].
struct OneFile {
    file: Arc<Vec<u8>>,
}

impl OneFile {
    fn attrs(&self) -> FileAttributes {
        FileAttributes {
            size: Some(self.file.len() as u64),
            permissions: Some(0o100644),
            ..Default::default()
        }
    }
}

impl russh_sftp::server::Handler for OneFile {
    type Error = StatusCode;

    fn unimplemented(&self) -> StatusCode {
        StatusCode::OpUnsupported
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, StatusCode> {
        match path.as_str() {
            PATH => Ok(Attrs {
                id,
                attrs: self.attrs(),
            }),
            _ => Err(StatusCode::NoSuchFile),
        }
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        _: OpenFlags,
        _: FileAttributes,
    ) -> Result<Handle, StatusCode> {
        match filename.as_str() {
            PATH => Ok(Handle {
                id,
                handle: "h".into(),
            }),
            _ => Err(StatusCode::NoSuchFile),
        }
    }

    async fn fstat(&mut self, id: u32, _: String) -> Result<Attrs, StatusCode> {
        Ok(Attrs {
            id,
            attrs: self.attrs(),
        })
    }

    async fn read(
        &mut self,
        id: u32,
        _: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, StatusCode> {
        let start = offset as usize;
        if start >= self.file.len() {
            return Err(StatusCode::Eof);
        }
        let end = (start + len as usize).min(self.file.len());
        Ok(Data {
            id,
            data: self.file[start..end].to_vec(),
        })
    }

    async fn close(&mut self, id: u32, _: String) -> Result<Status, StatusCode> {
        Ok(Status {
            id,
            status_code: StatusCode::Ok,
            error_message: "Ok".into(),
            language_tag: "en-US".into(),
        })
    }
}

fn keygen(path: &Path) -> String {
    assert!(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success());
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// Starts the server on a loopback port: (port, the host key's public line).
async fn start(file: Vec<u8>, dir: &Path) -> (u16, String) {
    let host_pub = keygen(&dir.join("host"));
    let host_key =
        russh::keys::decode_secret_key(&std::fs::read_to_string(dir.join("host")).unwrap(), None)
            .unwrap();
    let config = Arc::new(russh::server::Config {
        keys: vec![host_key],
        auth_rejection_time: std::time::Duration::from_millis(10),
        auth_rejection_time_initial: Some(std::time::Duration::from_millis(0)),
        ..Default::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut server = FileServer {
            file: Arc::new(file),
        };
        let _ = server.run_on_socket(config, &listener).await;
    });
    (port, host_pub)
}

fn settings(port: u16, host_key: &str, password_ref: &str) -> FileSettings {
    FileSettings {
        transport: Transport::Sftp,
        host: Some("127.0.0.1".into()),
        port: Some(port),
        username: Some("blink".into()),
        password: Some(password_ref.into()),
        host_key: Some(host_key.into()),
        path: PATH.into(),
        timeout_secs: Some(5),
        ..Default::default()
    }
}

#[tokio::test]
async fn password_sign_in_downloads_and_a_wrong_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("Employee ID,Email,First Name,Last Name\n");
    for i in 0..5000 {
        csv.push_str(&format!("E{i},p{i}@example.com,First{i},Last{i}\n"));
    }
    let (port, host_key) = start(csv.into_bytes(), dir.path()).await;
    let secret = dir.path().join("password");
    std::fs::write(&secret, format!("{PASSWORD}\n")).unwrap();

    let ok = check_file(settings(
        port,
        &host_key,
        &format!("file:{}", secret.display()),
    ))
    .unwrap();
    let loaded = load_file(&ok, Arc::new(AtomicUsize::new(0)))
        .await
        .expect("password sign-in works");
    assert_eq!(
        loaded.people.len(),
        5000,
        "a file larger than one SFTP read arrives whole"
    );

    std::fs::write(&secret, "wrong password").unwrap();
    let wrong = check_file(settings(
        port,
        &host_key,
        &format!("file:{}", secret.display()),
    ))
    .unwrap();
    let err = load_file(&wrong, Arc::new(AtomicUsize::new(0)))
        .await
        .unwrap_err()
        .0;
    assert!(
        err.contains("refused the credentials for user blink"),
        "{err}"
    );
    assert!(!err.contains("wrong password") && !err.contains(PASSWORD));
}
