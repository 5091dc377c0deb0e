//! Calendar arithmetic for the statutory time limits: weeks, calendar days, months, periods of
//! months, and working days in England and Wales. Pure functions of a [`Date`]; every one is
//! total: a result beyond the calendar [`Date`] can hold saturates at [`Date::MAX`] (or
//! [`Date::MIN`] going back), nothing panics.
//!
//! Dates are the LA's calendar dates (Europe/London), never instants (docs/DOMAIN.md).

use time::macros::date;
use time::{Date, Month, Weekday};

/// A date in words, GOV.UK style: day without a leading zero, month in full, year —
/// "5 January 2026".
pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The date `jd` (a Julian day number, as [`Date::to_julian_day`]), clamped to
/// [`Date::MIN`]..=[`Date::MAX`].
fn from_julian(jd: i64) -> Date {
    let min = i64::from(Date::MIN.to_julian_day());
    let max = i64::from(Date::MAX.to_julian_day());
    let clamped = jd.clamp(min, max);
    i32::try_from(clamped)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
        .unwrap_or(if jd < min { Date::MIN } else { Date::MAX })
}

/// `n` calendar days after `d` (before it when `n` is negative). Saturates at
/// [`Date::MAX`] / [`Date::MIN`].
///
/// "At least 15 days beginning with the day served" (reg 13(1)(a)) ends on
/// `days_after(served, 14)`: the day itself is the first of the 15.
pub fn days_after(d: Date, n: i64) -> Date {
    from_julian(i64::from(d.to_julian_day()).saturating_add(n))
}

/// `n` weeks after `d`: the same weekday `n` weeks later ("weeks from a date", docs/DOMAIN.md),
/// i.e. `7 × n` days; negative `n` goes back. Saturates at [`Date::MAX`] / [`Date::MIN`].
///
/// Used for reg 5(1) (6 weeks), reg 8 (6 weeks), reg 10(1) (16 weeks), reg 13(2) (20 weeks),
/// reg 20/21 (2 and 4 weeks) and reg 22 (8 weeks).
pub fn weeks_after(d: Date, n: i64) -> Date {
    days_after(d, n.saturating_mul(7))
}

/// The year and month `n` months after `d`'s month, or `None` when that year is outside the
/// calendar [`Date`] can hold.
fn shift_month(d: Date, n: i32) -> Option<(i32, Month)> {
    let index = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(n);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    if year < Date::MIN.year() || year > Date::MAX.year() {
        return None;
    }
    let month0 = u8::try_from(index.rem_euclid(12)).ok()?;
    Some((year, Month::January.nth_next(month0)))
}

/// What a month shift beyond the calendar saturates to.
fn beyond(n: i32) -> Date {
    if n < 0 { Date::MIN } else { Date::MAX }
}

/// The corresponding date `n` months after `d` (before it when `n` is negative): the same day
/// of the month `n` months on; when that month has no such day, its last day (31 January + 1
/// month = 28 February, or 29 February in a leap year). Saturates at [`Date::MAX`] /
/// [`Date::MIN`].
///
/// Used for the appeal period (2 months from the decision, 1 month from a mediation
/// certificate, reg 33, 34) and for reg 18(2) (5 months before a post-16 move, `n = -5`: a
/// day no later than the one 5 months before, so the period is never shorter).
pub fn months_after(d: Date, n: i32) -> Date {
    let Some((year, month)) = shift_month(d, n) else {
        return beyond(n);
    };
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or_else(|_| beyond(n))
}

/// The last day of the period of `n` months *starting with* `d` (CFA 2014 s.44(1): a review
/// "within the period of 12 months starting with" the date the plan was made).
///
/// Rule (the corresponding date rule, as applied by the courts to periods of months): the
/// period ends on the day before the corresponding date `n` months later — 25 May 2026 + 12 →
/// 24 May 2027. When the month `n` months later has no corresponding date (there is no
/// 29 February 2029, no 31 April), the period ends on the last day of that month —
/// 29 February 2028 + 12 → 28 February 2029; 31 January + 1 → 28 (or 29) February.
///
/// The result is non-decreasing in `d`. `n = 0` gives the day before `d` (an empty period);
/// negative `n` counts back the same way. Saturates at [`Date::MAX`] / [`Date::MIN`].
pub fn within_months_starting(d: Date, n: i32) -> Date {
    let Some((year, month)) = shift_month(d, n) else {
        return beyond(n);
    };
    let last = month.length(year);
    let end = if d.day() <= last {
        Date::from_calendar_date(year, month, d.day())
            .map(|corresponding| corresponding.previous_day().unwrap_or(Date::MIN))
    } else {
        Date::from_calendar_date(year, month, last)
    };
    end.unwrap_or_else(|_| beyond(n))
}

/// Bank holidays in England and Wales, 2024 to 2030, in order.
///
/// Source: <https://www.gov.uk/bank-holidays> (England and Wales). GOV.UK lists the dates
/// about two years ahead; the later years here follow the same standing rules (New Year's Day,
/// Good Friday, Easter Monday, the first and last Mondays of May, the last Monday of August,
/// Christmas Day and Boxing Day, with a substitute Monday or Tuesday for a day falling at a
/// weekend) and must be checked against GOV.UK when it publishes them, as must any special
/// bank holiday proclaimed later. A unit test below re-derives every row from those rules.
const BANK_HOLIDAYS: [Date; 56] = [
    // 2024
    date!(2024 - 01 - 01),
    date!(2024 - 03 - 29),
    date!(2024 - 04 - 01),
    date!(2024 - 05 - 06),
    date!(2024 - 05 - 27),
    date!(2024 - 08 - 26),
    date!(2024 - 12 - 25),
    date!(2024 - 12 - 26),
    // 2025
    date!(2025 - 01 - 01),
    date!(2025 - 04 - 18),
    date!(2025 - 04 - 21),
    date!(2025 - 05 - 05),
    date!(2025 - 05 - 26),
    date!(2025 - 08 - 25),
    date!(2025 - 12 - 25),
    date!(2025 - 12 - 26),
    // 2026 (Boxing Day is a Saturday: substitute Monday 28 December)
    date!(2026 - 01 - 01),
    date!(2026 - 04 - 03),
    date!(2026 - 04 - 06),
    date!(2026 - 05 - 04),
    date!(2026 - 05 - 25),
    date!(2026 - 08 - 31),
    date!(2026 - 12 - 25),
    date!(2026 - 12 - 28),
    // 2027 (Christmas Day and Boxing Day at the weekend: 27 and 28 December)
    date!(2027 - 01 - 01),
    date!(2027 - 03 - 26),
    date!(2027 - 03 - 29),
    date!(2027 - 05 - 03),
    date!(2027 - 05 - 31),
    date!(2027 - 08 - 30),
    date!(2027 - 12 - 27),
    date!(2027 - 12 - 28),
    // 2028 (New Year's Day is a Saturday: substitute Monday 3 January)
    date!(2028 - 01 - 03),
    date!(2028 - 04 - 14),
    date!(2028 - 04 - 17),
    date!(2028 - 05 - 01),
    date!(2028 - 05 - 29),
    date!(2028 - 08 - 28),
    date!(2028 - 12 - 25),
    date!(2028 - 12 - 26),
    // 2029
    date!(2029 - 01 - 01),
    date!(2029 - 03 - 30),
    date!(2029 - 04 - 02),
    date!(2029 - 05 - 07),
    date!(2029 - 05 - 28),
    date!(2029 - 08 - 27),
    date!(2029 - 12 - 25),
    date!(2029 - 12 - 26),
    // 2030
    date!(2030 - 01 - 01),
    date!(2030 - 04 - 19),
    date!(2030 - 04 - 22),
    date!(2030 - 05 - 06),
    date!(2030 - 05 - 27),
    date!(2030 - 08 - 26),
    date!(2030 - 12 - 25),
    date!(2030 - 12 - 26),
];

/// Whether `d` is a bank holiday in England and Wales, from the table of 2024–2030 taken from
/// <https://www.gov.uk/bank-holidays> (always `false` outside those years).
pub fn is_bank_holiday(d: Date) -> bool {
    BANK_HOLIDAYS.binary_search(&d).is_ok()
}

/// Whether `d` is a working day: Monday to Friday and not a bank holiday in England and Wales
/// (2024–2030 only; other years count weekends only).
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_bank_holiday(d)
}

/// The `n`th working day after `d` (`d` itself is not counted; `n = 0` gives `d`).
///
/// Working days are Monday to Friday, skipping the bank holidays of England and Wales for
/// 2024–2030 (GOV.UK, see [`is_bank_holiday`]); before 2024 and after 2030 only weekends are
/// skipped. Used for reg 15 (transfer of a plan between LAs). Saturates at [`Date::MAX`].
pub fn working_days_after(d: Date, n: u32) -> Date {
    let table_first = i64::from(BANK_HOLIDAYS[0].to_julian_day());
    let table_last = i64::from(BANK_HOLIDAYS[BANK_HOLIDAYS.len() - 1].to_julian_day());
    let max = i64::from(Date::MAX.to_julian_day());
    let mut jd = i64::from(d.to_julian_day());
    let mut left = i64::from(n);
    while left > 0 {
        if jd >= max {
            return Date::MAX;
        }
        // Outside the table every run of 7 days holds exactly 5 working days: skip whole weeks
        // while they stay clear of it, leaving at least one day to count one by one.
        let weeks_wanted = (left - 1) / 5;
        let weeks = if jd >= table_last {
            weeks_wanted
        } else {
            weeks_wanted.min((table_first - jd - 1).max(0) / 7)
        };
        if weeks > 0 {
            jd = jd.saturating_add(weeks * 7);
            left -= weeks * 5;
            continue;
        }
        jd += 1;
        if is_working_day(from_julian(jd)) {
            left -= 1;
        }
    }
    from_julian(jd)
}

/// The last of `n` working days *beginning with* `d`: `d` counts as the first when it is a
/// working day (reg 15(2): "within 15 working days beginning with the day on which it did
/// become aware"). `n = 0` gives `d`. Saturates at [`Date::MAX`].
pub fn working_days_beginning_with(d: Date, n: u32) -> Date {
    if n > 0 && is_working_day(d) {
        working_days_after(d, n - 1)
    } else {
        working_days_after(d, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Easter Sunday (the anonymous Gregorian algorithm).
    fn easter(year: i32) -> Date {
        let a = year % 19;
        let b = year / 100;
        let c = year % 100;
        let d = b / 4;
        let e = b % 4;
        let f = (b + 8) / 25;
        let g = (b - f + 1) / 3;
        let h = (19 * a + b - d - g + 15) % 30;
        let i = c / 4;
        let k = c % 4;
        let l = (32 + 2 * e + 2 * i - h - k) % 7;
        let m = (a + 11 * h + 22 * l) / 451;
        let month = (h + l - 7 * m + 114) / 31;
        let day = (h + l - 7 * m + 114) % 31 + 1;
        Date::from_calendar_date(
            year,
            Month::try_from(u8::try_from(month).unwrap()).unwrap(),
            u8::try_from(day).unwrap(),
        )
        .unwrap()
    }

    fn first_monday(year: i32, month: Month) -> Date {
        let mut d = Date::from_calendar_date(year, month, 1).unwrap();
        while d.weekday() != Weekday::Monday {
            d = d.next_day().unwrap();
        }
        d
    }

    fn last_monday(year: i32, month: Month) -> Date {
        let mut d = Date::from_calendar_date(year, month, month.length(year)).unwrap();
        while d.weekday() != Weekday::Monday {
            d = d.previous_day().unwrap();
        }
        d
    }

    /// The standing rules of the England and Wales bank holidays (no special days).
    fn by_rule(year: i32) -> Vec<Date> {
        let next_weekday = |mut d: Date, taken: &[Date]| {
            while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) || taken.contains(&d) {
                d = d.next_day().unwrap();
            }
            d
        };
        let new_year = next_weekday(
            Date::from_calendar_date(year, Month::January, 1).unwrap(),
            &[],
        );
        let easter = easter(year);
        let christmas = next_weekday(
            Date::from_calendar_date(year, Month::December, 25).unwrap(),
            &[],
        );
        let boxing = next_weekday(
            Date::from_calendar_date(year, Month::December, 26).unwrap(),
            &[christmas],
        );
        vec![
            new_year,
            easter - time::Duration::days(2),
            easter + time::Duration::days(1),
            first_monday(year, Month::May),
            last_monday(year, Month::May),
            last_monday(year, Month::August),
            christmas,
            boxing,
        ]
    }

    #[test]
    fn the_bank_holiday_table_follows_the_standing_rules_and_is_sorted() {
        let expected: Vec<Date> = (2024..=2030).flat_map(by_rule).collect();
        assert_eq!(BANK_HOLIDAYS.to_vec(), expected);
        assert!(BANK_HOLIDAYS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn weekday_skipping_past_the_table_matches_counting_day_by_day() {
        for start in [
            date!(2030 - 12 - 20),
            date!(2023 - 06 - 01),
            date!(2031 - 01 - 04),
        ] {
            for n in 0..400 {
                let mut d = start;
                for _ in 0..n {
                    d = d.next_day().unwrap();
                    while !is_working_day(d) {
                        d = d.next_day().unwrap();
                    }
                }
                assert_eq!(
                    working_days_after(start, n),
                    d,
                    "{start} + {n} working days"
                );
            }
        }
    }
}
