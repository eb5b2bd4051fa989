//! The alert worker: in every server and worker process, one task that places events,
//! checks for staleness now and then, and sends what is due. Many of them can share one
//! database: each step is safe to run from several at once.

use super::channels::Mailer;
use super::deliver::{send_due, Senders};
use super::{outbox, staleness, AlertSettings};
use crate::sync::engine::now_ms;
use sea_orm::DatabaseConnection;
use std::time::Instant;
use tokio::sync::watch;

/// How many events or deliveries one step takes at most.
const BATCH: u64 = 50;

/// The worker's senders, from the settings: fails when email is configured but cannot be
/// used (a bad URL or an unreadable password), so a server does not start deaf.
pub fn senders(settings: &AlertSettings) -> Result<Senders, String> {
    let mailer = settings.smtp.as_ref().map(Mailer::new).transpose()?;
    let http = reqwest::Client::builder()
        .user_agent("User Provisioning alerts")
        // A redirect is not followed: the signed body goes only where it was set to go.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("the webhook client could not start: {e}"))?;
    Ok(Senders {
        mailer,
        http,
        public_url: settings.public_url.clone(),
    })
}

/// One pass: place every waiting event, check staleness when `stale_check` says so, send
/// everything due. Returns how many deliveries were tried.
pub async fn step(
    db: &DatabaseConnection,
    senders: &Senders,
    settings: &AlertSettings,
    owner: &str,
    stale_check: bool,
) -> Result<usize, sea_orm::DbErr> {
    let email = senders.mailer.is_some();
    while outbox::place_events(db, email, now_ms(), BATCH).await? == BATCH as usize {}
    if stale_check {
        staleness::check(db, now_ms()).await?;
        while outbox::place_events(db, email, now_ms(), BATCH).await? == BATCH as usize {}
    }
    let mut tried = 0;
    loop {
        let n = send_due(db, senders, &settings.timing, owner, now_ms, BATCH).await?;
        tried += n;
        if n < BATCH as usize {
            return Ok(tried);
        }
    }
}

/// Runs until `shutdown` turns true.
pub async fn run(
    db: DatabaseConnection,
    settings: AlertSettings,
    senders: Senders,
    owner: String,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(
        email = senders.mailer.is_some(),
        worker = %owner,
        "alert worker started"
    );
    let mut last_stale_check: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let stale_check =
            last_stale_check.is_none_or(|t| t.elapsed() >= settings.timing.stale_check);
        if stale_check {
            last_stale_check = Some(Instant::now());
        }
        match step(&db, &senders, &settings, &owner, stale_check).await {
            Ok(_) => {}
            // SQLite's one write lock is held while a sync applies its changes (seconds,
            // for a large one): nothing is lost, the next look will do.
            Err(e) if is_busy(&e) => tracing::debug!("alerts wait: {e}"),
            Err(e) => tracing::warn!("alerts: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(settings.timing.poll) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(worker = %owner, "alert worker stopped");
}

/// SQLite's "database is locked" (`SQLITE_BUSY`): another writer held the lock past the
/// busy timeout.
fn is_busy(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{sqlx, DbErr, RuntimeErr};
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(db)))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(db)))) = e
    else {
        return false;
    };
    // SQLite's primary result code 5, extended codes included (5 + 256·n).
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 5)
}
