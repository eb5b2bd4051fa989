//! Plain types shared by the browser and the server: no framework, no database.

pub mod alert;
pub mod chart;
pub mod field;
pub mod filter;
pub mod log;
pub mod log_search;
pub mod naming;
pub mod person;
pub mod return_to;
pub mod role;
pub mod run;
pub mod source;
pub mod status;
pub mod time_zone;
pub mod viewer;

pub use alert::{AlertChannel, AlertSetting, DeliveryTally, RunAlert};
pub use chart::{offset_spans, ChartDay, ChartSpan, DayStatusCount, RunChart};
pub use field::Field;
pub use filter::{
    day_label, day_slug, parse_day, read_day, visible, DateRange, FilterError, FilterPart,
    FilterReading, RunFilter, SortOrder,
};
pub use log::{
    EntryRun, FieldChange, LogAction, LogChoice, LogEntry, LogOutcome, LogPage, RunDetail,
    DOWNLOAD_PAGE, PREVIEW_PAGE,
};
pub use log_search::LogSearch;
pub use naming::{display_start, log_file_name, person_file_name, LogFormat};
pub use person::{
    change_line, field_label, not_applied_message, DirectoryState, PersonAnswer, PersonEvent,
    PersonHistory, PersonMatch, PersonQuery, PersonQueryError, MAX_MATCHES, MAX_PERSON_QUERY,
    MAX_TIMELINE_PAGE, TIMELINE_PAGE,
};
pub use return_to::{return_path, sign_in_path};
pub use role::{Access, Role};
pub use run::{
    format_duration, time_ago, ConfigurationSummary, Cursor, HeldRuns, RunChanges, RunCounts,
    RunPage, SyncRunRow, Trigger,
};
pub use source::SourceKind;
pub use status::{LogAvailability, LogKind, RunStatus};
pub use time_zone::{current_zone_name, zone_caption};
pub use viewer::Viewer;
