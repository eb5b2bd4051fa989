//! The alert worker: in every server and worker process, one task that places events,
//! checks for staleness now and then, and sends what is due. Many of them can share one
//! database: each step is safe to run from several at once.

use super::channels::Mailer;
use super::deliver::{send_due, Senders};
use super::lease::{lease_due, release, unlease, Lane, Leased};
use super::{outbox, staleness, AlertSettings, AlertSettingsError};
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
pub fn senders(settings: &AlertSettings) -> Result<Senders, AlertSettingsError> {
    let mailer = settings.smtp.as_ref().map(Mailer::new).transpose()?;
    let http = reqwest::Client::builder()
        .user_agent("User Provisioning alerts")
        // A redirect is not followed: the signed body goes only where it was set to go.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(AlertSettingsError::WebhookClient)?;
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

/// Runs until `shutdown` turns true. Each delivery is sent as its own task, in one of two
/// lanes with slots of their own: at most [`EMAILS_IN_FLIGHT`] emails and
/// [`WEBHOOKS_IN_FLIGHT`] webhooks, no more than [`WEBHOOKS_PER_ORGANISATION`] of them to
/// one organisation's receiver. A relay that stalls holds the email slots, not the
/// webhooks; a receiver that hangs holds its organisation's two, not the others'. What
/// is due is leased as soon as a slot is free or the next look comes. On shutdown, sends
/// in flight get `shutdown_grace` to finish.
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
    let mut in_flight = InFlight::default();
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
        for (lane, limit) in in_flight.free_lanes() {
            match lease_due(&db, &owner, &timing, now_ms(), limit, lane.as_lane()).await {
                Ok(leased) => {
                    let (send, later) = in_flight.admit(leased);
                    if let Err(e) = unlease(&db, &owner, &later).await {
                        report(&e);
                    }
                    for delivery in send {
                        let what = (delivery.channel() == "email", delivery.organisation_id());
                        let (db, senders, owner) = (db.clone(), senders.clone(), owner.clone());
                        let task = sending.spawn(async move {
                            delivery
                                .deliver(&db, &senders, &timing, &owner, now_ms)
                                .await
                        });
                        in_flight.started(task.id(), what);
                    }
                }
                Err(e) => report(&e),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next_look.into()) => {}
            _ = shutdown.changed() => {}
            Some(done) = sending.join_next_with_id(), if !sending.is_empty() => {
                in_flight.finished(&done);
                finished(done.map(|(_, r)| r));
            }
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
        match release(&db, &owner, now_ms()).await {
            Ok(n) => tracing::info!(stopped, released = n, "alert sends stopped at shutdown"),
            Err(e) => tracing::warn!("alerts: leases not given back (they run out): {e}"),
        }
    }
    tracing::info!(worker = %owner, "alert worker stopped");
}

/// How many emails one worker sends at once (to its one relay).
pub const EMAILS_IN_FLIGHT: usize = 16;
/// How many webhooks one worker sends at once, in all.
pub const WEBHOOKS_IN_FLIGHT: usize = 16;
/// How many of those may go to one organisation's receiver.
pub const WEBHOOKS_PER_ORGANISATION: usize = 2;

/// The sends under way: how many of each channel, and webhooks per organisation.
#[derive(Default)]
struct InFlight {
    tasks: std::collections::HashMap<tokio::task::Id, (bool, i64)>,
    emails: usize,
    webhooks: usize,
    per_organisation: std::collections::HashMap<i64, usize>,
}

/// A lane with free slots, and the organisations whose webhooks have none.
enum FreeLane {
    Emails,
    Webhooks(Vec<i64>),
}

impl FreeLane {
    fn as_lane(&self) -> Lane<'_> {
        match self {
            FreeLane::Emails => Lane {
                channel: Some("email"),
                skip_organisations: &[],
            },
            FreeLane::Webhooks(full) => Lane {
                channel: Some("webhook"),
                skip_organisations: full,
            },
        }
    }
}

impl InFlight {
    fn free_lanes(&self) -> Vec<(FreeLane, u64)> {
        let mut lanes = Vec::new();
        if self.emails < EMAILS_IN_FLIGHT {
            lanes.push((FreeLane::Emails, (EMAILS_IN_FLIGHT - self.emails) as u64));
        }
        if self.webhooks < WEBHOOKS_IN_FLIGHT {
            let full: Vec<i64> = self
                .per_organisation
                .iter()
                .filter(|(_, n)| **n >= WEBHOOKS_PER_ORGANISATION)
                .map(|(org, _)| *org)
                .collect();
            lanes.push((
                FreeLane::Webhooks(full),
                (WEBHOOKS_IN_FLIGHT - self.webhooks) as u64,
            ));
        }
        lanes
    }

    /// Splits what was leased into what may be sent now and what goes back: webhooks past
    /// their organisation's share.
    fn admit(&self, leased: Vec<Leased>) -> (Vec<Leased>, Vec<Leased>) {
        let mut taken: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        leased.into_iter().partition(|l| {
            if l.channel() != "webhook" {
                return true;
            }
            let org = l.organisation_id();
            let now = self.per_organisation.get(&org).copied().unwrap_or(0);
            let n = taken.entry(org).or_insert(0);
            *n += 1;
            now + *n <= WEBHOOKS_PER_ORGANISATION
        })
    }

    fn started(&mut self, task: tokio::task::Id, (email, org): (bool, i64)) {
        self.tasks.insert(task, (email, org));
        if email {
            self.emails += 1;
        } else {
            self.webhooks += 1;
            *self.per_organisation.entry(org).or_insert(0) += 1;
        }
    }

    fn finished<T>(&mut self, done: &Result<(tokio::task::Id, T), tokio::task::JoinError>) {
        let id = match done {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        let Some((email, org)) = self.tasks.remove(&id) else {
            return;
        };
        if email {
            self.emails -= 1;
        } else {
            self.webhooks -= 1;
            if let Some(n) = self.per_organisation.get_mut(&org) {
                *n -= 1;
                if *n == 0 {
                    self.per_organisation.remove(&org);
                }
            }
        }
    }
}

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
