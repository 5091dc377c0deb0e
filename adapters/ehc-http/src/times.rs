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

/// The calendar date in Europe/London at `at`: the LA's "today", which statutory dates count in
/// (docs/DOMAIN.md: deadlines are dates in the LA's time zone, never instants).
pub fn london_today(at: OffsetDateTime) -> time::Date {
    let utc = at.date();
    let Ok(ts) = jiff::Timestamp::from_second(at.unix_timestamp()) else {
        return utc;
    };
    let Ok(tz) = jiff::tz::TimeZone::get("Europe/London") else {
        return utc;
    };
    let local = ts.to_zoned(tz).date();
    time::Month::try_from(u8::try_from(local.month()).unwrap_or(1))
        .ok()
        .and_then(|m| {
            time::Date::from_calendar_date(
                i32::from(local.year()),
                m,
                u8::try_from(local.day()).unwrap_or(1),
            )
            .ok()
        })
        .unwrap_or(utc)
}

/// The instant a London calendar day ends: midnight at the start of the next day, Europe/London
/// (an advocate's access "until 5 March" lasts all of 5 March).
pub fn london_midnight_after(day: time::Date) -> OffsetDateTime {
    london_at(day.next_day().unwrap_or(day), 0)
}

/// The instant of `hour`:00 (0–23) on `day` in Europe/London (on the day summer time starts,
/// 1am does not exist and is read as 2am BST).
pub fn london_at(day: time::Date, hour: u8) -> OffsetDateTime {
    let fallback = day.midnight().assume_utc() + time::Duration::hours(i64::from(hour));
    let Ok(civil) = jiff::civil::DateTime::new(
        i16::try_from(day.year()).unwrap_or(9999),
        i8::try_from(u8::from(day.month())).unwrap_or(1),
        i8::try_from(day.day()).unwrap_or(1),
        i8::try_from(hour.min(23)).unwrap_or(0),
        0,
        0,
        0,
    ) else {
        return fallback;
    };
    let Ok(zoned) = civil.in_tz("Europe/London") else {
        return fallback;
    };
    OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).unwrap_or(fallback)
}

/// The hour (Europe/London) at which daily alert digests go out: 7am.
pub const DIGEST_HOUR: u8 = 7;

/// The latest 7am in Europe/London at or before `now`: a digest run sends every alert parked
/// before it ([`ehc_core::alert::DigestService::send_digests`]).
pub fn digest_cutoff(now: OffsetDateTime) -> OffsetDateTime {
    let today = london_today(now);
    let cutoff = london_at(today, DIGEST_HOUR);
    if cutoff <= now {
        cutoff
    } else {
        london_at(today.previous_day().unwrap_or(today), DIGEST_HOUR)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_the_london_date_across_midnight_in_summer_time() {
        use time::macros::{date, datetime};
        // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST); in winter they agree.
        assert_eq!(
            super::london_today(datetime!(2026-06-30 23:30 UTC)),
            date!(2026 - 07 - 01)
        );
        assert_eq!(
            super::london_today(datetime!(2026-12-31 23:30 UTC)),
            date!(2026 - 12 - 31)
        );
        // The end of 1 July in London is 23:00 UTC (BST); of 1 December, midnight UTC.
        assert_eq!(
            super::london_midnight_after(date!(2026 - 07 - 01)),
            datetime!(2026-07-01 23:00 UTC)
        );
        assert_eq!(
            super::london_midnight_after(date!(2026 - 12 - 01)),
            datetime!(2026-12-02 0:00 UTC)
        );
    }
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_digest_cutoff_is_the_latest_7am_in_london() {
        // Winter: 7am London is 07:00 UTC; summer (BST): 06:00 UTC.
        assert_eq!(
            digest_cutoff(datetime!(2026-12-01 07:00 UTC)),
            datetime!(2026-12-01 07:00 UTC)
        );
        assert_eq!(
            digest_cutoff(datetime!(2026-12-01 06:59 UTC)),
            datetime!(2026-11-30 07:00 UTC)
        );
        assert_eq!(
            digest_cutoff(datetime!(2026-07-01 06:30 UTC)),
            datetime!(2026-07-01 06:00 UTC)
        );
        assert_eq!(
            digest_cutoff(datetime!(2026-07-01 05:30 UTC)),
            datetime!(2026-06-30 06:00 UTC)
        );
    }

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
