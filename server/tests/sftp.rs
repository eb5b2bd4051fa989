//! The SFTP transport against a real OpenSSH `sshd` started on a loopback port: key
//! sign-in with a pinned host key, and each way it can fail, told in plain words.

mod common;

use common::sync::{logs, people_csv, run_row, setup};
use common::TestDb;
use sea_orm::ConnectionTrait;
use server::sync::settings::{check_file, FileSettings, Transport};
use server::sync::source::load_file;
use server::sync::validate::{LoadError, Loaded};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    host_key: String,
    user: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn client_key(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }
    fn export(&self) -> PathBuf {
        self.dir.path().join("export")
    }
    fn settings(&self, path: &Path) -> FileSettings {
        FileSettings {
            transport: Transport::Sftp,
            host: Some("127.0.0.1".into()),
            port: Some(self.port),
            username: Some(self.user.clone()),
            private_key: Some(format!("file:{}", self.client_key().display())),
            host_key: Some(self.host_key.clone()),
            path: path.to_string_lossy().into_owned(),
            timeout_secs: Some(5),
            ..Default::default()
        }
    }
}

fn keygen(path: &Path) -> String {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen failed");
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// Starts sshd, or returns `None` (SKIPPED) where OpenSSH is not installed, outside CI.
fn start_sshd(test: &str) -> Option<Sshd> {
    if !Path::new(SSHD).exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{SSHD} is required in CI (Debian package openssh-server)");
        }
        eprintln!("SKIPPED {test}: {SSHD} is not installed (Debian package openssh-server)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let host_key = keygen(&d.join("host_key"));
    let client_pub = keygen(&d.join("client_key"));
    std::fs::write(d.join("authorized_keys"), client_pub).unwrap();
    std::fs::create_dir_all(d.join("export")).unwrap();
    // sshd checks that its privilege-separation folder exists when run as root.
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {d}/sshd.pid\n\
         AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
         PasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel ERROR\n",
        hk = d.join("host_key").display(),
        d = d.display()
    );
    std::fs::write(d.join("sshd_config"), config).unwrap();
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-E")
        .arg(d.join("sshd.log"))
        .arg("-f")
        .arg(d.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd starts");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let sshd = Sshd {
        child,
        port,
        dir,
        host_key,
        user,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(sshd)
}

async fn load(settings: FileSettings) -> Result<Loaded, LoadError> {
    let checked = check_file(settings).expect("settings are valid");
    load_file(&checked, Arc::new(AtomicUsize::new(0))).await
}

#[tokio::test]
async fn downloads_over_sftp_with_a_pinned_host_key() {
    let Some(sshd) = start_sshd("sftp download") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    std::fs::write(&file, people_csv(1..=250)).unwrap();
    let loaded = load(sshd.settings(&file)).await.expect("loads over SFTP");
    assert_eq!(loaded.people.len(), 250);
    assert_eq!(loaded.people[249].email, "person250@example.com");
}

#[tokio::test]
async fn each_failure_is_told_plainly() {
    let Some(sshd) = start_sshd("sftp failures") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    std::fs::write(&file, people_csv(1..=3)).unwrap();
    let fails = |s: FileSettings| async move { load(s).await.unwrap_err().0 };

    let missing = fails(sshd.settings(&sshd.export().join("nope.csv"))).await;
    assert!(
        missing.contains("was not found on the SFTP server"),
        "{missing}"
    );

    let mut other_host = sshd.settings(&file);
    other_host.host_key = Some(keygen(&sshd.dir.path().join("other_host")));
    let mismatch = fails(other_host).await;
    assert!(
        mismatch.contains("does not match the pinned key"),
        "{mismatch}"
    );
    assert!(mismatch.contains("SHA256:"), "{mismatch}");

    let mut unpinned = sshd.settings(&file);
    unpinned.host_key = None;
    assert!(fails(unpinned).await.contains("No host key is pinned"));

    let mut stranger = sshd.settings(&file);
    let stranger_key = sshd.dir.path().join("stranger");
    keygen(&stranger_key);
    stranger.private_key = Some(format!("file:{}", stranger_key.display()));
    let refused = fails(stranger).await;
    assert!(refused.contains("refused the credentials"), "{refused}");

    std::env::set_var("UP_TEST_SFTP_PASSWORD", "not-the-password-x9");
    let mut password = sshd.settings(&file);
    password.private_key = None;
    password.password = Some("env:UP_TEST_SFTP_PASSWORD".into());
    let wrong = fails(password).await;
    assert!(wrong.contains("refused the credentials"), "{wrong}");
    assert!(!wrong.contains("not-the-password-x9"));

    let mut unset = sshd.settings(&file);
    unset.private_key = Some("env:UP_TEST_SURELY_UNSET_KEY".into());
    let why = fails(unset).await;
    assert!(why.contains("UP_TEST_SURELY_UNSET_KEY is not set"), "{why}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut nobody = sshd.settings(&file);
    nobody.port = Some(port);
    assert!(fails(nobody).await.contains("connection was refused"));

    // A server that accepts connections but never speaks.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut hangs = sshd.settings(&file);
    hangs.port = Some(silent.local_addr().unwrap().port());
    hangs.timeout_secs = Some(1);
    let why = fails(hangs).await;
    assert!(
        why.contains("did not answer") || why.contains("stopped answering"),
        "{why}"
    );

    let folder = fails(sshd.settings(&sshd.export())).await;
    assert!(folder.contains("is a folder"), "{folder}");
}

/// The whole path: a configuration stored with SFTP settings, run by the engine.
#[tokio::test]
async fn a_run_over_sftp_ends_in_success() {
    let Some(sshd) = start_sshd("sftp run") else {
        return;
    };
    let db = TestDb::sqlite().await;
    let s = setup(&db.conn, "Acme", "unused.csv").await;
    let file = sshd.export().join("people.csv");
    std::fs::write(&file, people_csv(1..=40)).unwrap();
    let settings = serde_json::to_string(&sshd.settings(&file)).unwrap();
    db.conn
        .execute(sea_orm::Statement::from_sql_and_values(
            db.conn.get_database_backend(),
            "UPDATE sync_configurations SET settings = ? WHERE id = ?",
            [settings.into(), s.config.into()],
        ))
        .await
        .unwrap();
    let run = common::sync::sync_now(&db.conn, s.config).await;
    assert_eq!(run.status, "success", "{:?}", logs(&db.conn, run.id).await);
    assert_eq!(run_row(&db.conn, run.id).await.created, 40);
    db.cleanup().await;
}
