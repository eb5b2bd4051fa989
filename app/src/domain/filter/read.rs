//! Reading a filter from a link: every part that is valid, and every problem of the
//! others, so that a page can list all that is wrong with a link at once and keep the rest.

use super::{
    day::parse_day, quoted, DateRange, FilterError, FilterReading, RunFilter, SortOrder,
    MAX_CONFIGURATION_LEN, MAX_QUERY_LEN,
};
use crate::domain::source::SourceKind;
use crate::domain::status::RunStatus;
use chrono::NaiveDate;

/// The keys given at most once; a key given twice is not guessed at.
const ONCE: [&str; 6] = ["range", "sort", "source", "config", "from", "to"];

impl RunFilter {
    /// Parses a URL query string (with or without the leading `?`): the filter, or the
    /// first of its problems. Unknown keys are ignored so that other parameters can share
    /// the URL.
    pub fn from_query(query: &str) -> Result<Self, FilterError> {
        let reading = RunFilter::read(query);
        match reading.problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(reading.filter),
        }
    }

    /// Reads a URL query string as far as it goes: every part that is valid, and every
    /// problem of the others (a part with a problem is left at its default).
    pub fn read(query: &str) -> FilterReading {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut filter = RunFilter::default();
        let mut problems = Vec::new();
        if query.len() > MAX_QUERY_LEN {
            problems.push(FilterError::TooLong);
            return FilterReading { filter, problems };
        }
        let [range, sort, source, config, from, to] = given(query, &mut filter, &mut problems);
        // Words the page writes are read in any case (`sort=Oldest`), as statuses are.
        let lower = |v: Option<String>| v.map(|v| v.to_ascii_lowercase());
        let (range, sort, source) = (lower(range), lower(sort), lower(source));
        // Dates beside a named range (All Time, Last 7 Days, …) are what the filter form
        // sends from its folded date fields, without script, after Custom was left: the
        // range named is the one chosen, and the dates are left out unread, whatever they
        // hold (the form kept what was typed there).
        let named = matches!(range.as_deref(), Some("all" | "7d" | "30d"));
        let (from, to) = if named { (None, None) } else { (from, to) };
        let (mut from, mut to) = (
            date("From", from.as_deref(), &mut problems),
            date("To", to.as_deref(), &mut problems),
        );
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                problems.push(FilterError::FromAfterTo { from: f, to: t });
                (from, to) = (None, None);
            }
        }
        filter.range = date_range(range.as_deref(), from, to, &mut problems);
        filter.sort = sort_order(sort.as_deref(), &mut problems);
        filter.source = source_kind(source.as_deref(), &mut problems);
        filter.configuration = configuration(config, &mut problems);
        FilterReading { filter, problems }
    }
}

/// A filter's link tidied to the one the page itself writes, when it says the same filter
/// another way: as the filter form sends it without script (`range=all&from=&to=&
/// sort=newest&source=&config=`, every field named, empty or not, the dates as typed:
/// `from=15+Jan+2024`), or as a person edits it (`status=Success`, `status` given twice,
/// a default named, dates beside a range that is not custom). `None` when the link is the
/// page's own (its keys in any order), or has a problem (the page explains those). Keys
/// that are not the filter's (`after=`) are kept.
pub fn tidied_link(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let is_filter_key = |k: &str| k == "status" || ONCE.contains(&k);
    let filter_pairs = |q: &str| {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| is_filter_key(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // Stable: a key given twice keeps its values' order.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs
    };
    let reading = RunFilter::read(query);
    if !reading.problems.is_empty() {
        return None;
    }
    let own = reading.filter.to_query();
    // An empty part (`?status=success&`) is untidy too, though it says nothing.
    let empty_part = !query.is_empty() && query.split('&').any(str::is_empty);
    if filter_pairs(query) == filter_pairs(&own) && !empty_part {
        return None;
    }
    let mut tidy = form_urlencoded::Serializer::new(own);
    for (k, v) in form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| !is_filter_key(k)) {
        tidy.append_pair(&k, &v);
    }
    Some(tidy.finish())
}

/// The statuses, read into `filter` as they come, and the value of each key of [`ONCE`]
/// given once (`None` for one given twice, which is a problem).
fn given(
    query: &str,
    filter: &mut RunFilter,
    problems: &mut Vec<FilterError>,
) -> [Option<String>; 6] {
    let mut given: [Option<String>; 6] = Default::default();
    let mut repeated = [false; 6];
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == "status" {
            for part in value.split(',').filter(|p| !p.is_empty()) {
                match part.parse::<RunStatus>() {
                    Ok(status) => {
                        filter.statuses.insert(status);
                    }
                    Err(e) => problems.push(FilterError::UnknownStatus(quoted(&e.0))),
                }
            }
        } else if let Some(i) = ONCE.iter().position(|k| *k == key) {
            // The same value again says nothing new (the page's words in any case);
            // another value is not guessed at.
            let same = |v: &str| match ONCE[i] {
                "range" | "sort" | "source" => v.eq_ignore_ascii_case(&value),
                _ => v == value,
            };
            if given[i].as_deref().is_some_and(|v| !same(v)) {
                if !repeated[i] {
                    problems.push(FilterError::Repeated(ONCE[i].to_string()));
                }
                repeated[i] = true;
            }
            given[i] = Some(value.into_owned());
        }
    }
    for (slot, twice) in given.iter_mut().zip(repeated) {
        if twice {
            *slot = None;
        }
    }
    given
}

/// The From or To date (`field`), as the date fields send it, or its problem.
fn date(field: &str, value: Option<&str>, problems: &mut Vec<FilterError>) -> Option<NaiveDate> {
    read_day(field, value.unwrap_or_default()).unwrap_or_else(|e| {
        problems.push(e);
        None
    })
}

/// The From or To date (`field`) as written in its field or a link ([`parse_day`]):
/// `None` when empty, a problem when it names no day, or one outside the years runs can
/// have.
pub fn read_day(field: &str, value: &str) -> Result<Option<NaiveDate>, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match parse_day(v) {
        Some(d) if (1970..=9999).contains(&chrono::Datelike::year(&d)) => Ok(Some(d)),
        Some(_) => Err(FilterError::DateOutOfRange {
            field: field.into(),
            value: quoted(v),
        }),
        None => Err(FilterError::BadDate {
            field: field.into(),
            value: quoted(v),
        }),
    }
}

/// The range named, or Custom when dates alone are given.
fn date_range(
    range: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    problems: &mut Vec<FilterError>,
) -> DateRange {
    let dated = from.is_some() || to.is_some();
    match range {
        None | Some("") if dated => DateRange::Custom { from, to },
        None | Some("") | Some("all") => DateRange::AllTime,
        Some("7d") => DateRange::Last7Days,
        Some("30d") => DateRange::Last30Days,
        Some("custom") => DateRange::Custom { from, to },
        Some(other) => {
            problems.push(FilterError::UnknownRange(quoted(other)));
            match dated {
                true => DateRange::Custom { from, to },
                false => DateRange::AllTime,
            }
        }
    }
}

fn sort_order(sort: Option<&str>, problems: &mut Vec<FilterError>) -> SortOrder {
    match sort {
        None | Some("") | Some("newest") => SortOrder::NewestFirst,
        Some("oldest") => SortOrder::OldestFirst,
        Some(other) => {
            problems.push(FilterError::UnknownSort(quoted(other)));
            SortOrder::NewestFirst
        }
    }
}

fn source_kind(source: Option<&str>, problems: &mut Vec<FilterError>) -> Option<SourceKind> {
    let slug = source.filter(|s| !s.is_empty())?;
    let kind = slug.parse().ok();
    if kind.is_none() {
        problems.push(FilterError::UnknownSource(quoted(slug)));
    }
    kind
}

fn configuration(config: Option<String>, problems: &mut Vec<FilterError>) -> Option<String> {
    match config {
        Some(c) if c.chars().count() > MAX_CONFIGURATION_LEN => {
            problems.push(FilterError::ConfigurationTooLong);
            None
        }
        // No configuration can be named so (names are refused with them), and the page
        // would quote the characters back.
        Some(c) if c.chars().any(char::is_control) => {
            problems.push(FilterError::ConfigurationControl);
            None
        }
        Some(c) if !c.trim().is_empty() => Some(c),
        _ => None,
    }
}
