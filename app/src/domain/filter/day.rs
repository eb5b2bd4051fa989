//! The days of a Custom range as people write them: "15 Jan 2024", as the page writes
//! them, "January 15, 2024", or 2024-01-15, as links write them.

use chrono::NaiveDate;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `day` as the page writes it: "5 Dec 2026".
pub fn day_label(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// `day` as links write it: "2026-12-05".
pub fn day_slug(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The day `text` names: a day, a month's name (or its first three letters or more) and a
/// four-digit year in either order of day and month ("15 Jan 2024", "Jan 15, 2024"), or a
/// link's 2024-01-15. `None` for anything else: a numeric 05/12/2026 is 5 December to some
/// readers and 12 May to others, so it is not guessed at.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if is_slug(text) {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '-' | '/'))
        .filter(|w| !w.is_empty())
        .collect();
    let [first, second, year] = words[..] else {
        return None;
    };
    let (day, month) = match (month(first), month(second)) {
        (None, Some(m)) => (first, m),
        (Some(m), None) => (second, m),
        _ => return None,
    };
    let year = number(year, 4, 4)?;
    let day = number(strip_ordinal(day), 1, 2)?;
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// Whether `text` is shaped exactly as a link writes a day (chrono alone would also take
/// "2026-1-1" or "+2026-01-01").
pub fn is_slug(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The month (1 to 12) a word names: its name, or the name's first three letters or more.
fn month(word: &str) -> Option<u32> {
    let word = word.to_lowercase();
    if word.chars().count() < 3 {
        return None;
    }
    // "Sept" is how many write September.
    let word = if word == "sept" {
        "sep".to_string()
    } else {
        word
    };
    MONTHS
        .iter()
        .position(|m| m.starts_with(&word))
        .map(|i| i as u32 + 1)
}

/// "1st", "22nd", "3rd", "15th": the day's number.
fn strip_ordinal(day: &str) -> &str {
    ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| day.strip_suffix(s))
        .unwrap_or(day)
}

/// A number of `min` to `max` ASCII digits.
fn number(word: &str, min: usize, max: usize) -> Option<u32> {
    ((min..=max).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn days_are_read_as_people_and_links_write_them() {
        for (text, want) in [
            ("2024-01-15", day(2024, 1, 15)),
            ("15 Jan 2024", day(2024, 1, 15)),
            (" 15 jan 2024 ", day(2024, 1, 15)),
            ("05 January 2024", day(2024, 1, 5)),
            ("Jan 15, 2024", day(2024, 1, 15)),
            ("January 15 2024", day(2024, 1, 15)),
            ("15-Jan-2024", day(2024, 1, 15)),
            ("1st Sept 2024", day(2024, 9, 1)),
            ("29 Feb 2024", day(2024, 2, 29)),
            ("5 Dec 2026", day(2026, 12, 5)),
        ] {
            assert_eq!(parse_day(text), want, "{text}");
        }
    }

    #[test]
    fn anything_else_is_not_guessed_at() {
        for text in [
            "",
            "05/12/2026",
            "2026-1-1",
            "+2026-01-01",
            "2024-13-01",
            "29 Feb 2023",
            "32 Jan 2024",
            "15 Ja 2024",
            "15 Jan 24",
            "Jan Feb 2024",
            "15 Jan 2024 extra",
            "15 Jan",
            "٥ Jan 2024",
        ] {
            assert_eq!(parse_day(text), None, "{text}");
        }
    }

    #[test]
    fn the_label_reads_back() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(day_label(d), "5 Dec 2026");
        assert_eq!(parse_day(&day_label(d)), Some(d));
        assert_eq!(parse_day(&day_slug(d)), Some(d));
    }
}
