//! What the app needs from the server side, as traits the server implements.

use crate::domain::{
    ConfigurationSummary, Cursor, DayStatusCount, HeldRuns, LogEntry, LogFormat, LogKind,
    LogOutcome, PersonEvent, PersonMatch, RunAlert, RunFilter, SourceKind, SyncRunRow, Viewer,
};
use async_trait::async_trait;
use std::sync::Arc;

/// A failure inside the store. Its text is for the server's log only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Every connection to the database stayed in use for as long as a request may wait
    /// for one: the server is overloaded, and the request may be tried again.
    #[error("no database connection came free in time")]
    Busy,
    #[error("{0}")]
    Failed(String),
}

/// A request for one page of an organisation's runs.
#[derive(Debug, Clone)]
pub struct ListRuns {
    pub organisation_id: i64,
    pub filter: RunFilter,
    /// The date range resolved to a UTC window `[since, until)` in epoch milliseconds.
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// A page of runs as the store returns them: rows, and how many match in all
/// (counted for the first page only; later pages keep that figure).
#[derive(Debug, Clone)]
pub struct RunsFound {
    pub runs: Vec<SyncRunRow>,
    pub total: Option<u64>,
    /// Why the filter's configuration covers none of the organisation's runs (and nothing
    /// was read).
    pub scope_problem: Option<ScopeProblem>,
}

/// A filter's configuration that cannot be read as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeProblem {
    /// The organisation has no configuration of that name.
    UnknownName,
    /// The configuration imports from this source, not the one the filter also names.
    OtherSource(SourceKind),
}

/// One run with what its details page shows beyond the table row.
#[derive(Debug, Clone)]
pub struct RunFound {
    pub row: SyncRunRow,
    /// Why the run ended as it did, in words for the admin (a cancel, a load failure…).
    pub status_reason: Option<String>,
    /// What queued the run; `None` for a word the service does not know.
    pub trigger: Option<crate::domain::Trigger>,
    pub threshold_count: Option<u32>,
    pub threshold_percent: Option<u32>,
}

/// A request for a page of one run's log entries, already checked against the viewer.
#[derive(Debug, Clone)]
pub struct LogRequest {
    pub run_id: i64,
    pub kind: LogKind,
    /// Entries after this sequence number.
    pub after: Option<i32>,
    pub limit: u32,
    /// Case-insensitive text to find in the record, ids, email, action or message.
    pub search: Option<String>,
    /// Only the entries with one of these outcomes; all of them when empty.
    pub outcomes: Vec<LogOutcome>,
}

/// What a sign-in attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    /// A new session; its token goes in the cookie.
    Opened(String),
    /// An unknown email or a wrong password (the two are not told apart).
    Refused,
    /// Too many recent failures for this email: not even checked, try again later.
    Throttled { retry_after_secs: u64 },
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Checks the password and opens a new session. `replacing` is the session the browser
    /// held before, if any: it ends, so a token planted before sign-in is worth nothing after.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        replacing: Option<&str>,
    ) -> Result<SignInOutcome, StoreError>;
    /// The viewer of a live session: neither past its absolute lifetime nor idle too long.
    async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>, StoreError>;
    /// The same, with their organisation's count of changes to its runs (as
    /// [`RunStore::change_count`]) read in the same statement: the live view's poll that
    /// finds nothing new is then one statement, not two.
    async fn viewer_with_change_count(
        &self,
        token: &str,
    ) -> Result<Option<(Viewer, i64)>, StoreError>;
    async fn sign_out(&self, token: &str) -> Result<(), StoreError>;
}

#[async_trait]
pub trait RunStore: Send + Sync {
    /// Rows come back with `start_display` empty: the caller writes it in the viewer's zone.
    async fn list_runs(&self, request: &ListRuns) -> Result<RunsFound, StoreError>;
    /// The overview chart's counts: the runs matching `request` (its window, statuses and
    /// configuration; not its cursor) per day of the viewer's calendar and status, the day
    /// told by `offsets` (see [`crate::domain::offset_spans`]). The inner error when the
    /// filter's configuration cannot be read as asked.
    async fn count_run_days(
        &self,
        request: &ListRuns,
        offsets: &[(i64, i64)],
    ) -> Result<Result<Vec<DayStatusCount>, ScopeProblem>, StoreError>;
    async fn configurations(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<ConfigurationSummary>, StoreError>;
    /// The organisation's count of changes to its runs: it grows with each new run and
    /// each new version of one (not always by one). A page that has read it before reading
    /// its runs later passes it to [`RunStore::runs_changed_since`].
    async fn change_count(&self, organisation_id: i64) -> Result<i64, StoreError>;
    /// The organisation's runs changed after its count of changes was `since` that a page
    /// holding `held` may show (each at its current version), in the order they last
    /// changed; `None` when more than `limit` runs changed in all, held or not.
    async fn runs_changed_since(
        &self,
        organisation_id: i64,
        since: i64,
        held: HeldRuns,
        limit: u32,
    ) -> Result<Option<Vec<SyncRunRow>>, StoreError>;
    /// One run of the organisation; `None` if there is none with that id in it.
    async fn run(&self, organisation_id: i64, run_id: i64) -> Result<Option<RunFound>, StoreError>;
    /// A page of a run's log, and how many entries match in all (counted on the first page).
    async fn log_entries(
        &self,
        request: &LogRequest,
    ) -> Result<(Vec<LogEntry>, Option<u64>), StoreError>;
    /// Keeps, for audit, who downloaded which run's logs in which format.
    async fn record_download(
        &self,
        run_id: i64,
        user_id: i64,
        format: LogFormat,
    ) -> Result<(), StoreError>;
}

/// A person a search found, with what finding their timeline needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPerson {
    pub person: PersonMatch,
    /// The search keys of the log entries that are theirs: entries that carry this
    /// Employee ID or one of these emails.
    pub employee_key: Option<String>,
    pub email_keys: Vec<String>,
    /// The configurations that keep them in sync or last logged them: whose queued and
    /// running runs concern them.
    pub configuration_ids: Vec<i64>,
}

/// The people a search found: exactly one when the text is someone's email or Employee
/// ID, else those whose email or Employee ID starts with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleFound {
    pub people: Vec<FoundPerson>,
    /// More people start with the text than were returned.
    pub more: bool,
}

#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// The organisation's people whose email or Employee ID is `query` (ignoring the case of
    /// ASCII letters), else those whose email or Employee ID starts with it, at most
    /// `limit` of them.
    async fn find_people(
        &self,
        organisation_id: i64,
        query: &str,
        limit: usize,
    ) -> Result<PeopleFound, StoreError>;
    /// A page of the person's log entries, newest run first, after `after`. Entries come
    /// back with `run_started` empty: the caller writes it in the viewer's zone.
    async fn timeline(
        &self,
        organisation_id: i64,
        person: &FoundPerson,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<PersonEvent>, StoreError>;
    /// The organisation's queued and running runs of these configurations.
    async fn active_runs(
        &self,
        organisation_id: i64,
        configuration_ids: &[i64],
    ) -> Result<Vec<SyncRunRow>, StoreError>;
    /// Keeps, for audit, who looked up whose history (`format` for a download of it).
    async fn record_person_search(
        &self,
        organisation_id: i64,
        user_id: i64,
        query: &str,
        format: Option<LogFormat>,
    ) -> Result<(), StoreError>;
}

/// What alerts need from the store: admins' choices and what runs' alerts came to.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Whether the admin receives alert emails (on unless they turned it off).
    async fn email_alerts(&self, user_id: i64) -> Result<bool, StoreError>;
    /// Turns the admin's alert emails on or off, and keeps the time zone their emails
    /// are written in when it is known.
    async fn set_email_alerts(
        &self,
        user_id: i64,
        on: bool,
        time_zone: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Keeps the time zone the admin's alert emails are written in, their choice as it is.
    async fn remember_time_zone(&self, user_id: i64, time_zone: &str) -> Result<(), StoreError>;
    /// The run's alert: its message and how its deliveries stand; `send_at_ms` is left
    /// for the caller to write in the viewer's zone, as `send_at_display`.
    async fn run_alert(&self, run_id: i64) -> Result<(RunAlert, Option<i64>), StoreError>;
    /// Whether this server sends email.
    fn email_configured(&self) -> bool;
}

/// Whether the service can take traffic: its database answers and its schema is current.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// `Err` says, for operators, what is not ready.
    async fn ready(&self) -> Result<(), StoreError>;
    /// Operators' figures (runs by status and source, queue depth…) as Prometheus text.
    async fn metrics(&self) -> Result<String, StoreError>;
}

/// Everything the server functions reach through context.
#[derive(Clone)]
pub struct Stores {
    pub auth: Arc<dyn AuthStore>,
    pub runs: Arc<dyn RunStore>,
    pub people: Arc<dyn PeopleStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub health: Arc<dyn HealthStore>,
}
