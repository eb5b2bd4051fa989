//! How each source words what a demo run logs: its load failures, and its records.

use app::domain::SourceKind;

/// Why a demo load failed, in each source's own terms.
pub(super) fn load_errors(kind: SourceKind) -> [&'static str; 4] {
    match kind {
        SourceKind::GoogleWorkspace => [
            "Could not connect to the source: the connection timed out after 30 seconds.",
            "Google refused the service account key (401 Unauthorized). Check the key in the configuration.",
            "The Directory API answered 403 Forbidden: the service account has no domain-wide delegation for the directory scope.",
            "The Directory API answered 400 Bad Request: the customer ID is not this organisation's.",
        ],
        SourceKind::Workday => [
            "Could not connect to the source: the connection timed out after 30 seconds.",
            "Workday refused the integration user's credentials (401 Unauthorized). Check the integration account's password.",
            "The report URL answered 404 Not Found: check the report's owner and name.",
            "The report has no \"Email\" field; required fields are Employee ID and Email.",
        ],
        SourceKind::Sftp => [
            "Could not connect to the source: the connection timed out after 30 seconds.",
            "The SFTP server refused the key for the configured user (authentication failed).",
            "The file /exports/contractors.csv was not found on the server.",
            "The file has no \"Email\" column; required columns are Employee ID and Email.",
        ],
    }
}

/// How an entry names its record in the source: a file's row (after its header row), or
/// an API's record.
pub(super) fn record_ref(kind: SourceKind, i: usize) -> String {
    match kind {
        SourceKind::Sftp => format!("row {}", i + 2),
        SourceKind::GoogleWorkspace | SourceKind::Workday => format!("record {}", i + 1),
    }
}
