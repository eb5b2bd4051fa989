//! Sign-in throttling: after a few wrong passwords for one email, further attempts for it
//! are refused unchecked for a while, so a password cannot be guessed at speed. Failures are
//! kept in the database, so every server sharing it counts the same attempts.

/// Wrong passwords allowed for one email within [`WINDOW_MS`].
pub const MAX_FAILURES: usize = 5;
/// How far back failures count.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// `Some(seconds)` to wait when the failures in the window (epoch ms, any order) have used
/// up the allowance: until the oldest of the last [`MAX_FAILURES`] leaves the window.
pub fn retry_after_secs(failures_ms: &[i64], now_ms: i64) -> Option<u64> {
    let mut recent: Vec<i64> = failures_ms
        .iter()
        .copied()
        .filter(|&t| t > now_ms - WINDOW_MS && t <= now_ms)
        .collect();
    if recent.len() < MAX_FAILURES {
        return None;
    }
    recent.sort_unstable_by(|a, b| b.cmp(a));
    let freed_at = recent[MAX_FAILURES - 1] + WINDOW_MS;
    Some(((freed_at - now_ms).max(1) as u64).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn a_few_failures_are_allowed() {
        let failures: Vec<i64> = (1..MAX_FAILURES as i64).map(|i| NOW - i * 1000).collect();
        assert_eq!(retry_after_secs(&failures, NOW), None);
    }

    #[test]
    fn the_allowance_used_up_waits_until_the_oldest_counted_failure_expires() {
        let failures: Vec<i64> = (0..MAX_FAILURES as i64).map(|i| NOW - i * 60_000).collect();
        let oldest = NOW - (MAX_FAILURES as i64 - 1) * 60_000;
        let expected = ((oldest + WINDOW_MS - NOW) / 1000) as u64;
        assert_eq!(retry_after_secs(&failures, NOW), Some(expected));
    }

    #[test]
    fn old_failures_do_not_count() {
        let mut failures: Vec<i64> = (0..MAX_FAILURES as i64)
            .map(|i| NOW - WINDOW_MS - i)
            .collect();
        failures.push(NOW - 10);
        assert_eq!(retry_after_secs(&failures, NOW), None);
    }

    #[test]
    fn more_failures_than_the_allowance_count_from_the_newest() {
        // Ten failures a minute apart: the fifth newest (4 minutes ago) frees the way.
        let failures: Vec<i64> = (0..10).map(|i| NOW - i * 60_000).collect();
        assert_eq!(retry_after_secs(&failures, NOW), Some(11 * 60));
    }

    #[test]
    fn never_says_zero() {
        let failures: Vec<i64> = (0..MAX_FAILURES as i64)
            .map(|i| NOW - WINDOW_MS + 1 + i)
            .collect();
        assert_eq!(retry_after_secs(&failures, NOW), Some(1));
    }
}
