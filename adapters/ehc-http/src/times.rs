//! Instants shown to people: Europe/London local time in GOV.UK style ("9:15am on 30 November
//! 2026").

use time::OffsetDateTime;

/// `at` as Europe/London local time, e.g. `9:15am on 30 November 2026`.
pub fn london(at: OffsetDateTime) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(at.unix_timestamp()) else {
        return at.to_string();
    };
    let zoned = match jiff::tz::TimeZone::get("Europe/London") {
        Ok(tz) => ts.to_zoned(tz),
        Err(_) => ts.to_zoned(jiff::tz::TimeZone::UTC),
    };
    let hour = zoned.hour();
    let (h12, suffix) = match hour {
        0 => (12, "am"),
        1..=11 => (hour, "am"),
        12 => (12, "pm"),
        _ => (hour - 12, "pm"),
    };
    format!(
        "{h12}:{:02}{suffix} on {}",
        zoned.minute(),
        zoned.strftime("%-d %B %Y")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_shown_in_london_time_in_govuk_style() {
        assert_eq!(
            london(datetime!(2026-11-30 09:15 UTC)),
            "9:15am on 30 November 2026"
        );
        assert_eq!(
            london(datetime!(2026-07-01 12:05 UTC)),
            "1:05pm on 1 July 2026"
        );
        assert_eq!(
            london(datetime!(2026-07-01 23:30 UTC)),
            "12:30am on 2 July 2026"
        );
    }
}
