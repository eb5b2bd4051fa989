//! Time zone names as people read them today. Browsers report the zone by the name their
//! ICU data keeps, which for some places is one the tz database replaced years ago
//! ("Asia/Calcutta", "Europe/Kiev"): the page says "Times are shown in Asia/Kolkata".

/// Old zone names browsers still report, beside the tz database's current name; both
/// name the same rules.
pub const RENAMED_ZONES: [(&str, &str); 19] = [
    ("Africa/Asmera", "Africa/Asmara"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("America/Catamarca", "America/Argentina/Catamarca"),
    ("America/Coral_Harbour", "America/Atikokan"),
    ("America/Cordoba", "America/Argentina/Cordoba"),
    ("America/Godthab", "America/Nuuk"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("America/Jujuy", "America/Argentina/Jujuy"),
    ("America/Louisville", "America/Kentucky/Louisville"),
    ("America/Mendoza", "America/Argentina/Mendoza"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Atlantic/Faeroe", "Atlantic/Faroe"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Pacific/Enderbury", "Pacific/Kanton"),
    ("Pacific/Ponape", "Pacific/Pohnpei"),
    ("Pacific/Truk", "Pacific/Chuuk"),
];

/// The zone's current name: `name` itself unless it is one of [`RENAMED_ZONES`]' old ones.
pub fn current_zone_name(name: &str) -> &str {
    RENAMED_ZONES
        .binary_search_by(|(old, _)| (*old).cmp(name))
        .map_or(name, |i| RENAMED_ZONES[i].1)
}

/// The zone as a caption says it: "Kolkata time (UTC+05:30)", the place from the zone's
/// name and its offsets from UTC over the year (`offsets` in seconds, the two differing
/// where clocks change): "New York time (UTC−05:00, or UTC−04:00 in summer time)". A
/// list of times that spans a change is then read right on either side of it.
pub fn zone_caption(name: &str, offsets: (i32, i32)) -> String {
    let (standard, summer) = (offsets.0.min(offsets.1), offsets.0.max(offsets.1));
    let utc = |seconds: i32| {
        let sign = if seconds < 0 { '−' } else { '+' };
        let minutes = seconds.unsigned_abs() / 60;
        format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    let offset = if standard == summer {
        utc(standard)
    } else {
        format!("{}, or {} in summer time", utc(standard), utc(summer))
    };
    let place = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
    // Zones named for an offset (Etc/GMT+10) or for UTC itself have no place to name.
    if matches!(
        name,
        "UTC" | "Etc/UTC" | "Etc/UCT" | "Etc/Universal" | "Etc/Zulu" | "GMT"
    ) && standard == 0
        && summer == 0
    {
        "UTC".to_string()
    } else if name.starts_with("Etc/") || !name.contains('/') {
        offset
    } else {
        format!("{place} time ({offset})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_name_the_place_and_the_offset() {
        assert_eq!(
            zone_caption("Asia/Kolkata", (19_800, 19_800)),
            "Kolkata time (UTC+05:30)"
        );
        assert_eq!(
            zone_caption("America/New_York", (-18_000, -14_400)),
            "New York time (UTC−05:00, or UTC−04:00 in summer time)"
        );
        // South of the equator summer comes in January: the larger offset all the same.
        assert_eq!(
            zone_caption("Australia/Sydney", (39_600, 36_000)),
            "Sydney time (UTC+10:00, or UTC+11:00 in summer time)"
        );
        assert_eq!(
            zone_caption("America/Argentina/Buenos_Aires", (-10_800, -10_800)),
            "Buenos Aires time (UTC−03:00)"
        );
        assert_eq!(
            zone_caption("Asia/Kathmandu", (20_700, 20_700)),
            "Kathmandu time (UTC+05:45)"
        );
        assert_eq!(zone_caption("UTC", (0, 0)), "UTC");
        assert_eq!(zone_caption("Etc/GMT+10", (-36_000, -36_000)), "UTC−10:00");
    }

    #[test]
    fn old_names_read_as_today() {
        assert_eq!(current_zone_name("Asia/Calcutta"), "Asia/Kolkata");
        assert_eq!(current_zone_name("Europe/Kiev"), "Europe/Kyiv");
        assert_eq!(current_zone_name("Pacific/Truk"), "Pacific/Chuuk");
        assert_eq!(current_zone_name("Europe/London"), "Europe/London");
        assert_eq!(current_zone_name(""), "");
        // Sorted, for the binary search, and never renamed twice.
        assert!(RENAMED_ZONES.windows(2).all(|w| w[0].0 < w[1].0));
        for (_, new) in RENAMED_ZONES {
            assert_eq!(current_zone_name(new), new);
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn both_names_are_the_same_zone() {
        use chrono::{Offset, TimeZone};
        for (old, new) in RENAMED_ZONES {
            let (a, b): (chrono_tz::Tz, chrono_tz::Tz) =
                (old.parse().unwrap(), new.parse().unwrap());
            for secs in [946_684_800, 1_593_561_600, 1_767_225_600, 1_783_000_000] {
                let offset = |z: chrono_tz::Tz| z.timestamp_opt(secs, 0).unwrap().offset().fix();
                assert_eq!(offset(a), offset(b), "{old} {new} at {secs}");
            }
        }
    }
}
