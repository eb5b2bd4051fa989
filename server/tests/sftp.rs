//! The SFTP transport against a real OpenSSH `sshd` started on a loopback port: key
//! sign-in with a pinned host key of any type the server holds, brief network trouble
//! tried again (through a TCP front that drops connections), and each way it can fail,
//! told in plain words.

mod common;

use common::sync::{logs, people_csv, run_row, setup};
use common::TestDb;
use sea_orm::ConnectionTrait;
use server::sync::settings::{check_file, FileSettings, Transport};
use server::sync::source::load_file;
use server::sync::source::sftp::{download_with, Retry};
use server::sync::validate::{LoadError, Loaded};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// The Ed25519 host key, pinned by default.
    host_key: String,
    ecdsa_key: String,
    rsa_key: String,
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
    keygen_typed(path, "ed25519", None)
}

/// A key pair of the given type; returns the public key line ("ssh-rsa AAAA… test\n").
fn keygen_typed(path: &Path, kind: &str, bits: Option<u32>) -> String {
    let mut command = Command::new("ssh-keygen");
    command.args(["-q", "-t", kind, "-N", "", "-C", "test"]);
    if let Some(bits) = bits {
        command.arg("-b").arg(bits.to_string());
    }
    let ok = command
        .arg("-f")
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
    // A stock sshd holds a key of each of these types.
    let host_key = keygen(&d.join("host_key"));
    let ecdsa_key = keygen_typed(&d.join("host_key_ecdsa"), "ecdsa", None);
    let rsa_key = keygen_typed(&d.join("host_key_rsa"), "rsa", Some(2048));
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
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nHostKey {hk}_ecdsa\nHostKey {hk}_rsa\n\
         PidFile {d}/sshd.pid\n\
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
        ecdsa_key,
        rsa_key,
        user,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(sshd)
}

/// Retries as in production, but without making the tests wait seconds.
const QUICK: Retry = Retry {
    attempts: 3,
    backoff: Duration::from_millis(50),
};

/// Downloads straight from the SFTP source, returning the file's text.
async fn fetch(settings: FileSettings, retry: Retry) -> Result<String, LoadError> {
    let checked = check_file(settings).expect("settings are valid");
    let file = download_with(&checked, retry).await?;
    Ok(std::fs::read_to_string(file.path()).unwrap())
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
    let why = fetch(nobody, QUICK).await.unwrap_err().0;
    assert!(why.contains("connection was refused"), "{why}");
    assert!(why.contains("after 3 attempts"), "{why}");

    // A server that accepts connections but never speaks.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut hangs = sshd.settings(&file);
    hangs.port = Some(silent.local_addr().unwrap().port());
    hangs.timeout_secs = Some(1);
    let started = Instant::now();
    let why = fetch(hangs, QUICK).await.unwrap_err().0;
    assert!(
        why.contains("did not answer") || why.contains("stopped answering"),
        "{why}"
    );
    assert!(why.contains("after 3 attempts"), "{why}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the attempts are bounded"
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

/// A TCP front for sshd that closes the first `drop_first` connections as soon as it has
/// accepted them and forwards the later ones; it counts every connection it accepts.
struct Front {
    port: u16,
    seen: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Front {
    async fn start(to: u16, drop_first: usize) -> Front {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Front::serve(listener, to, drop_first)
    }

    fn serve(listener: tokio::net::TcpListener, to: u16, drop_first: usize) -> Front {
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if counter.fetch_add(1, Ordering::SeqCst) < drop_first {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut sshd) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut sshd).await;
                    }
                });
            }
        });
        Front { port, seen, task }
    }

    fn seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    fn settings(&self, sshd: &Sshd, path: &Path) -> FileSettings {
        FileSettings {
            port: Some(self.port),
            ..sshd.settings(path)
        }
    }
}

fn fingerprint(public_key: &str) -> String {
    russh::keys::PublicKey::from_openssh(public_key.trim())
        .unwrap()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string()
}

#[tokio::test]
async fn any_host_key_type_the_server_holds_can_be_pinned() {
    let Some(sshd) = start_sshd("sftp host key types") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    let csv = people_csv(1..=5);
    std::fs::write(&file, &csv).unwrap();

    for (kind, key) in [
        ("RSA", &sshd.rsa_key),
        ("ECDSA", &sshd.ecdsa_key),
        ("Ed25519", &sshd.host_key),
    ] {
        let mut only = sshd.settings(&file);
        only.host_key = Some(key.clone());
        let got = fetch(only, QUICK)
            .await
            .unwrap_or_else(|e| panic!("with only the {kind} key pinned: {}", e.0));
        assert_eq!(got, csv, "{kind}");
    }

    // As known_hosts allows: a retired key of a type the server also holds first, then the
    // server's RSA key after host patterns, with a comment and a blank line between.
    let stranger = keygen(&sshd.dir.path().join("retired_host"));
    let front = Front::start(sshd.port, 0).await;
    let mut several = front.settings(&sshd, &file);
    several.host_key = Some(format!(
        "# retired on 1 March, kept while clients move over\n{stranger}\n\n\
         [127.0.0.1]:{},sftp.acme.example {}",
        front.port, sshd.rsa_key
    ));
    assert_eq!(fetch(several, QUICK).await.expect("one pin matches"), csv);
    assert_eq!(
        front.seen(),
        2,
        "the Ed25519 key is asked for, then the RSA one"
    );

    let mut all = sshd.settings(&file);
    all.host_key = Some(format!(
        "{}{}{}",
        sshd.rsa_key, sshd.ecdsa_key, sshd.host_key
    ));
    assert_eq!(fetch(all, QUICK).await.expect("all pinned"), csv);
}

#[tokio::test]
async fn a_changed_host_key_is_refused_at_the_first_connection() {
    let Some(sshd) = start_sshd("sftp host key mismatch") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    std::fs::write(&file, people_csv(1..=3)).unwrap();
    let front = Front::start(sshd.port, 0).await;

    let mut wrong = front.settings(&sshd, &file);
    wrong.host_key = Some(keygen(&sshd.dir.path().join("other_host")));
    let why = fetch(wrong, QUICK).await.unwrap_err().0;
    assert!(why.contains("does not match the pinned key"), "{why}");
    assert!(why.contains(&fingerprint(&sshd.host_key)), "{why}");
    assert!(!why.contains("attempts"), "{why}");
    assert_eq!(front.seen(), 1, "a mismatch is not tried again");

    // The pinned key's type is one the server does not hold (a P-384 key; its ECDSA key is
    // P-256): the key it does present is named, not an algorithm error.
    let p384 = keygen_typed(&sshd.dir.path().join("p384_host"), "ecdsa", Some(384));
    let mut replaced = front.settings(&sshd, &file);
    replaced.host_key = Some(p384);
    let why = fetch(replaced, QUICK).await.unwrap_err().0;
    assert!(why.contains("does not match the pinned key"), "{why}");
    assert!(why.contains(&fingerprint(&sshd.host_key)), "{why}");
    assert_eq!(front.seen(), 2);

    // Two pinned keys, neither the server's: both of its keys of those types are named.
    let mut neither = front.settings(&sshd, &file);
    neither.host_key = Some(format!(
        "{}{}",
        keygen(&sshd.dir.path().join("other_host2")),
        keygen_typed(&sshd.dir.path().join("other_rsa"), "rsa", Some(2048))
    ));
    let why = fetch(neither, QUICK).await.unwrap_err().0;
    assert!(why.contains("any of the pinned keys"), "{why}");
    assert!(why.contains(&fingerprint(&sshd.host_key)), "{why}");
    assert!(why.contains(&fingerprint(&sshd.rsa_key)), "{why}");
    assert_eq!(front.seen(), 4, "one connection per pinned type");
}

#[tokio::test]
async fn host_key_lines_are_read_like_known_hosts() {
    // Never connects: the pins are read first.
    let settings = |host_key: &str| FileSettings {
        transport: Transport::Sftp,
        host: Some("127.0.0.1".into()),
        port: Some(9),
        username: Some("u".into()),
        password: Some("env:UP_TEST_SFTP_UNUSED".into()),
        host_key: Some(host_key.into()),
        path: "/x.csv".into(),
        ..Default::default()
    };
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    for (host_key, expected) in [
        ("", "is not a valid OpenSSH public key"),
        ("# only a comment\n\n", "is not a valid OpenSSH public key"),
        (
            "ssh-ed25519 AAAA-broken",
            "The pinned host key for 127.0.0.1:9 is not a valid",
        ),
        (
            &format!("{key}\nexample.com ssh-rsa AAAA-broken"),
            "Line 2 of the pinned host keys",
        ),
        (
            &format!("@cert-authority *.example.com {key}"),
            "known_hosts marker line (@cert-authority)",
        ),
        (
            &format!("@revoked * {key}"),
            "known_hosts marker line (@revoked)",
        ),
    ] {
        let why = fetch(settings(host_key), QUICK).await.unwrap_err().0;
        assert!(why.contains(expected), "{host_key:?}: {why}");
    }
}

#[tokio::test]
async fn a_dropped_connection_is_tried_again() {
    let Some(sshd) = start_sshd("sftp retries") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    let csv = people_csv(1..=20);
    std::fs::write(&file, &csv).unwrap();

    let flaky = Front::start(sshd.port, 2).await;
    let got = fetch(flaky.settings(&sshd, &file), QUICK).await;
    assert_eq!(got.expect("the third attempt gets through"), csv);
    assert_eq!(flaky.seen(), 3);

    let down = Front::start(sshd.port, usize::MAX).await;
    let started = Instant::now();
    let why = fetch(down.settings(&sshd, &file), QUICK)
        .await
        .unwrap_err()
        .0;
    assert!(why.contains("closed the connection"), "{why}");
    assert!(why.contains("Gave up after 3 attempts"), "{why}");
    assert_eq!(down.seen(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "50 ms, then 100 ms"
    );

    // Nothing listens at first; the server comes up while the download waits.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let to = sshd.port;
    // The server comes up a moment late: the one wait in this file, standing for that
    // moment. The retries below allow some 25 s, so a busy machine cannot outrun them.
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        Front::serve(listener, to, 0)
    });
    let mut starting = sshd.settings(&file);
    starting.port = Some(port);
    // Attempts at about 0, 0.2, 0.6, 1.4, 3, 6.2, 12.6 and 25.4 seconds; it gets through
    // at the first one after the server is up.
    let patient = Retry {
        attempts: 8,
        backoff: Duration::from_millis(200),
    };
    let got = fetch(starting, patient).await;
    assert_eq!(got.expect("gets through once the server is up"), csv);
    assert_eq!(late.await.unwrap().seen(), 1);
}

#[tokio::test]
async fn what_would_fail_again_is_tried_once() {
    let Some(sshd) = start_sshd("sftp no retries") else {
        return;
    };
    let file = sshd.export().join("people.csv");
    std::fs::write(&file, people_csv(1..=3)).unwrap();
    let front = Front::start(sshd.port, 0).await;
    let mut expected = 0;
    let mut once = |settings: FileSettings, words: &'static str| {
        expected += 1;
        let front = &front;
        let expected = expected;
        async move {
            let why = fetch(settings, QUICK).await.unwrap_err().0;
            assert!(why.contains(words), "{why}");
            assert!(!why.contains("attempts"), "{why}");
            assert_eq!(front.seen(), expected, "{words}: tried once");
        }
    };

    let mut stranger = front.settings(&sshd, &file);
    let stranger_key = sshd.dir.path().join("stranger");
    keygen(&stranger_key);
    stranger.private_key = Some(format!("file:{}", stranger_key.display()));
    once(stranger, "refused the credentials").await;

    let mut other_host = front.settings(&sshd, &file);
    other_host.host_key = Some(keygen(&sshd.dir.path().join("other_host")));
    once(other_host, "does not match the pinned key").await;

    let missing = front.settings(&sshd, &sshd.export().join("nope.csv"));
    once(missing, "was not found").await;

    once(front.settings(&sshd, &sshd.export()), "is a folder").await;

    // Not readable: sshd runs as this user, so only when that is not root.
    let locked = sshd.export().join("locked.csv");
    std::fs::write(&locked, "x").unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        once(front.settings(&sshd, &locked), "denied access").await;
    }
}
