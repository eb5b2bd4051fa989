//! The alert worker: in every server and worker process, one task that places events,
//! checks for staleness now and then, and sends what is due. Many of them can share one
//! database: each step is safe to run from several at once.

use super::channels::Mailer;
use super::deliver::{lease_due, release, send_due, Senders};
use super::{outbox, staleness, AlertSettings};
use crate::sync::engine::now_ms;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;
use tokio::task::JoinSet;

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

/// Places every waiting event as its message and deliveries, after checking staleness
/// when `stale_check` says so.
async fn place(
    db: &DatabaseConnection,
    senders: &Senders,
    stale_check: bool,
) -> Result<(), sea_orm::DbErr> {
    let email = senders.mailer.is_some();
    while outbox::place_events(db, email, now_ms(), BATCH).await? == BATCH as usize {}
    if stale_check {
        staleness::check(db, now_ms()).await?;
        while outbox::place_events(db, email, now_ms(), BATCH).await? == BATCH as usize {}
    }
    Ok(())
}

/// One pass, waited for to its end: place every waiting event, check staleness when
/// `stale_check` says so, send everything due. Returns how many deliveries were tried.
pub async fn step(
    db: &DatabaseConnection,
    senders: &Senders,
    settings: &AlertSettings,
    owner: &str,
    stale_check: bool,
) -> Result<usize, sea_orm::DbErr> {
    place(db, senders, stale_check).await?;
    let mut tried = 0;
    loop {
        let n = send_due(db, senders, &settings.timing, owner, now_ms, BATCH).await?;
        tried += n;
        if n < BATCH as usize {
            return Ok(tried);
        }
    }
}

/// Runs until `shutdown` turns true. Each delivery is sent as its own task, at most
/// [`IN_FLIGHT`] at a time: a webhook that takes its full timeout holds a slot, not the
/// deliveries due after it, which are leased as soon as a slot is free or the next look
/// comes. On shutdown, sends in flight get `shutdown_grace` to finish.
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
    let timing = settings.timing;
    let owner: Arc<str> = owner.into();
    let mut sending: JoinSet<Result<(), sea_orm::DbErr>> = JoinSet::new();
    let mut last_stale_check: Option<Instant> = None;
    let mut next_look = Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if Instant::now() >= next_look {
            let stale_check = last_stale_check.is_none_or(|t| t.elapsed() >= timing.stale_check);
            if stale_check {
                last_stale_check = Some(Instant::now());
            }
            if let Err(e) = place(&db, &senders, stale_check).await {
                report(&e);
            }
            next_look = Instant::now() + timing.poll;
        }
        let free = IN_FLIGHT.saturating_sub(sending.len());
        if free > 0 {
            match lease_due(&db, &owner, &timing, now_ms(), free as u64).await {
                Ok(leased) => {
                    for delivery in leased {
                        let (db, senders, owner) = (db.clone(), senders.clone(), owner.clone());
                        sending.spawn(async move {
                            delivery
                                .deliver(&db, &senders, &timing, &owner, now_ms)
                                .await
                        });
                    }
                }
                Err(e) => report(&e),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next_look.into()) => {}
            _ = shutdown.changed() => {}
            Some(done) = sending.join_next(), if !sending.is_empty() => finished(done),
        }
    }
    let drained = tokio::time::timeout(timing.shutdown_grace, async {
        while let Some(done) = sending.join_next().await {
            finished(done);
        }
    })
    .await;
    if drained.is_err() {
        let stopped = sending.len();
        sending.shutdown().await;
        match release(&db, &owner).await {
            Ok(n) => tracing::info!(stopped, released = n, "alert sends stopped at shutdown"),
            Err(e) => tracing::warn!("alerts: leases not given back (they run out): {e}"),
        }
    }
    tracing::info!(worker = %owner, "alert worker stopped");
}

/// How many deliveries one worker sends at once.
pub const IN_FLIGHT: usize = 32;

fn finished(done: Result<Result<(), sea_orm::DbErr>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report(&e),
        Err(e) => tracing::warn!("alerts: a send stopped: {e}"),
    }
}

fn report(e: &sea_orm::DbErr) {
    if is_busy(e) {
        // SQLite's one write lock is held while a sync applies its changes (seconds, for a
        // large one): nothing is lost, the next look will do.
        tracing::debug!("alerts wait: {e}");
    } else {
        tracing::warn!("alerts: {e}");
    }
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
