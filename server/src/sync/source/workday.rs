//! Workday: a RaaS custom report as JSON (`{"Report_Entry": [...]}`), fetched with the
//! Integration System User's basic auth, saved to a temporary file as it arrives and read
//! entry by entry, so memory does not grow with the report's size.

use super::http::{self, Retry};
use crate::sync::person::{Field, RecordRef};
use crate::sync::settings::CheckedWorkday;
use crate::sync::source::table::MAX_FILE_BYTES;
use crate::sync::validate::{LoadError, Loaded, RawRecord, Validator};
use reqwest::StatusCode;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Write;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

const WHAT: &str = "Workday";

pub async fn load(
    settings: &CheckedWorkday,
    progress: Arc<AtomicUsize>,
) -> Result<Loaded, LoadError> {
    load_with(settings, progress, Retry::default()).await
}

pub async fn load_with(
    settings: &CheckedWorkday,
    progress: Arc<AtomicUsize>,
    retry: Retry,
) -> Result<Loaded, LoadError> {
    let raw = &settings.raw;
    let password = settings
        .password
        .resolve()
        .map_err(|e| LoadError(format!("The Workday password could not be read: {e}.")))?;
    let user = raw.username.clone().unwrap_or_else(|| raw.owner.clone());
    let url = report_url(raw)?;
    let timeout = Duration::from_secs(raw.timeout_secs.unwrap_or(120));
    let client = http::client(timeout)?;
    let response = http::send(WHAT, retry, || {
        client
            .get(url.clone())
            .basic_auth(&user, Some(password.expose()))
    })
    .await?;
    let status = response.status();
    if !status.is_success() {
        return Err(refused(status, &user, raw));
    }
    let file = download(response, timeout).await?;
    let mapping = settings.mapping.clone();
    tokio::task::spawn_blocking(move || read_report(file, mapping, progress))
        .await
        .map_err(|_| LoadError::new("Reading the report stopped unexpectedly."))?
}

/// The report's RaaS address: `…/ccx/service/customreport2/<tenant>/<owner>/<report>`,
/// asked for as JSON.
fn report_url(raw: &crate::sync::settings::WorkdaySettings) -> Result<reqwest::Url, LoadError> {
    let base = raw
        .base_url
        .clone()
        .unwrap_or_else(|| format!("https://{}", raw.host));
    let invalid = || {
        LoadError(format!(
            "The Workday address \"{base}\" is not a valid URL."
        ))
    };
    let mut url = reqwest::Url::parse(&base).map_err(|_| invalid())?;
    url.path_segments_mut()
        .map_err(|_| invalid())?
        .pop_if_empty()
        .extend([
            "ccx",
            "service",
            "customreport2",
            &raw.tenant,
            &raw.owner,
            &raw.report,
        ]);
    url.query_pairs_mut().append_pair("format", "json");
    Ok(url)
}

/// Why Workday did not send the report, in the admin's terms.
fn refused(
    status: StatusCode,
    user: &str,
    raw: &crate::sync::settings::WorkdaySettings,
) -> LoadError {
    LoadError(match status {
        StatusCode::UNAUTHORIZED => format!(
            "Workday refused the Integration System User {user}'s credentials ({}). Check the user name and password.",
            http::status_words(status)
        ),
        StatusCode::FORBIDDEN => format!(
            "Workday refused access to the report {}/{} ({}): the Integration System User lacks permission to run it.",
            raw.owner, raw.report, http::status_words(status)
        ),
        StatusCode::NOT_FOUND => format!(
            "Workday did not find the report {}/{} in tenant {} ({}). Check the report's owner and name, and that it is enabled as a web service.",
            raw.owner, raw.report, raw.tenant, http::status_words(status)
        ),
        s => format!("Workday answered {} when asked for the report.", http::status_words(s)),
    })
}

/// The report's body, kept in a temporary file (at most `MAX_FILE_BYTES`), so that a
/// large report is read as it arrives rather than held in memory.
async fn download(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<tempfile::NamedTempFile, LoadError> {
    let mut file = tempfile::NamedTempFile::new()
        .map_err(|e| LoadError(format!("No room to store the report: {e}.")))?;
    let mut size: u64 = 0;
    let stopped =
        || LoadError::new("Workday stopped sending the report part-way; nothing was changed.");
    let broke = || {
        LoadError::new(
            "The connection to Workday broke while the report was arriving; nothing was changed.",
        )
    };
    loop {
        // The client's read timeout usually fires before this one: a timeout either way
        // means Workday stopped sending.
        let chunk = tokio::time::timeout(timeout, response.chunk())
            .await
            .map_err(|_| stopped())?
            .map_err(|e| if e.is_timeout() { stopped() } else { broke() })?;
        let Some(chunk) = chunk else { break };
        size += chunk.len() as u64;
        if size > MAX_FILE_BYTES {
            return Err(LoadError(format!(
                "The Workday report is larger than {} MB and was not read.",
                MAX_FILE_BYTES >> 20
            )));
        }
        file.write_all(&chunk)
            .map_err(|e| LoadError(format!("No room to store the report: {e}.")))?;
    }
    Ok(file)
}

/// Reads the downloaded report entry by entry into the validator (blocking).
fn read_report(
    file: tempfile::NamedTempFile,
    mapping: crate::sync::mapping::ColumnMapping,
    progress: Arc<AtomicUsize>,
) -> Result<Loaded, LoadError> {
    let opened = std::fs::File::open(file.path())
        .map_err(|e| LoadError(format!("The downloaded report could not be read: {e}.")))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, opened);
    let mut validator = Validator::new(mapping.clone()).with_progress(progress);
    let mut report = Report {
        validator: &mut validator,
        mapping: &mapping,
        entries: 0,
        failure: None,
        found: false,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = (&mut report).deserialize(&mut de).and_then(|_| de.end());
    if let Some(f) = report.failure.take() {
        return Err(f);
    }
    if parsed.is_err() {
        return Err(LoadError::new(
            "Workday sent a report that is not valid JSON (it may have been cut off). Nothing was changed.",
        ));
    }
    if !report.found {
        return Err(LoadError::new(
            "Workday's answer has no Report_Entry list: is the report's output format JSON, and is this a RaaS report?",
        ));
    }
    validator.finish()
}

/// Walks `{"Report_Entry": [ {...}, ... ]}` one entry at a time.
struct Report<'v> {
    validator: &'v mut Validator,
    mapping: &'v crate::sync::mapping::ColumnMapping,
    entries: u64,
    failure: Option<LoadError>,
    found: bool,
}

impl<'de> DeserializeSeed<'de> for &mut Report<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Report<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Workday report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "Report_Entry" {
                self.found = true;
                map.next_value_seed(Entries(&mut *self))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'r, 'v>(&'r mut Report<'v>);

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of report entries")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let report = self.0;
        while let Some(entry) = seq.next_element::<Value>()? {
            report.entries += 1;
            let Value::Object(entry) = entry else {
                report.failure = Some(LoadError(format!(
                    "Entry {} of the Workday report is not an object.",
                    report.entries
                )));
                return Err(serde::de::Error::custom("stop"));
            };
            if let Err(e) = record(report, &entry) {
                report.failure = Some(e);
                return Err(serde::de::Error::custom("stop"));
            }
        }
        Ok(())
    }
}

/// A report entry's fields, mapped like a file's headers; Workday leaves empty fields out.
fn record(report: &mut Report<'_>, entry: &Map<String, Value>) -> Result<(), LoadError> {
    let mut texts: Vec<(Field, String)> = Vec::with_capacity(8);
    for (key, value) in entry {
        let Some(field) = report.mapping.field_for(key) else {
            continue;
        };
        let mut text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            // A reference object ({"ID": ..., "Descriptor": ...}): its descriptor, else its id.
            Value::Object(o) => o
                .get("Descriptor")
                .or_else(|| o.get("ID"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            _ => String::new(),
        };
        // "Terminated: 1" means the opposite of "Active: 1".
        if field == Field::Status && crate::sync::mapping::names_termination(key) {
            text = crate::sync::mapping::active_reading(&text, true).to_string();
        }
        texts.push((field, text));
    }
    let mut raw = RawRecord::default();
    for (field, text) in &texts {
        raw.set(*field, text);
    }
    report
        .validator
        .record(RecordRef::Item(report.entries), raw, None)
}
