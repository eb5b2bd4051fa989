//! A configuration's schedule: "every 15m", "every 6h", "every 1d", or "manual".

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Runs only when an operator queues one.
    Manual,
    /// A run per interval (milliseconds), in slots aligned to the UTC epoch.
    Every(i64),
}

const MINUTE: i64 = 60_000;

impl Schedule {
    /// The start of the slot `now_ms` falls in: one scheduled run per slot.
    pub fn slot(interval_ms: i64, now_ms: i64) -> i64 {
        now_ms - now_ms.rem_euclid(interval_ms)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a schedule is \"manual\" or \"every N\" with m, h or d (for example \"every 6h\"), from every 1m to every 30d")]
pub struct BadSchedule;

impl FromStr for Schedule {
    type Err = BadSchedule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        if s == "manual" {
            return Ok(Schedule::Manual);
        }
        let spec = s.strip_prefix("every ").ok_or(BadSchedule)?.trim();
        let (n, unit) = spec.split_at(spec.len().saturating_sub(1));
        let n: i64 = n.trim().parse().map_err(|_| BadSchedule)?;
        let unit_ms = match unit {
            "m" => MINUTE,
            "h" => 60 * MINUTE,
            "d" => 24 * 60 * MINUTE,
            _ => return Err(BadSchedule),
        };
        let ms = n.checked_mul(unit_ms).ok_or(BadSchedule)?;
        if !(MINUTE..=30 * 24 * 60 * MINUTE).contains(&ms) {
            return Err(BadSchedule);
        }
        Ok(Schedule::Every(ms))
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Schedule::Manual => f.write_str("manual"),
            Schedule::Every(ms) if ms % (24 * 60 * MINUTE) == 0 => {
                write!(f, "every {}d", ms / (24 * 60 * MINUTE))
            }
            Schedule::Every(ms) if ms % (60 * MINUTE) == 0 => {
                write!(f, "every {}h", ms / (60 * MINUTE))
            }
            Schedule::Every(ms) => write!(f, "every {}m", ms / MINUTE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for s in ["manual", "every 15m", "every 6h", "every 1d"] {
            assert_eq!(s.parse::<Schedule>().unwrap().to_string(), s);
        }
        assert_eq!("Every 90m".parse(), Ok(Schedule::Every(90 * MINUTE)));
        assert_eq!(
            "every 24h".parse::<Schedule>().unwrap().to_string(),
            "every 1d"
        );
        for bad in [
            "",
            "hourly",
            "every",
            "every 0m",
            "every 5s",
            "every -1h",
            "every 31d",
            "every 999999999999999d",
        ] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn slots_align() {
        let h = 60 * MINUTE;
        assert_eq!(Schedule::slot(h, 3 * h + 5), 3 * h);
        assert_eq!(Schedule::slot(h, 3 * h), 3 * h);
    }
}
