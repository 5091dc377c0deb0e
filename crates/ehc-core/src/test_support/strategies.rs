//! proptest strategies for values of the core: e-mail addresses, passwords that pass the
//! default policy, any text, calendar dates, and EHC cases with histories the case model
//! accepts.

use proptest::prelude::*;
use time::{Date, Month};

use crate::case::deadline::days_after;
use crate::case::{
    Case, DeadlineException, EventKind, ExceptionKind, PhaseTransfer, ReviewOutcome,
};
use crate::test_support::cases::{blank_case, midnight};

/// Valid e-mail addresses in mixed case, like `Jo.Bloggs7@Example-3.gov.uk`.
pub fn email_address() -> impl Strategy<Value = String> {
    (
        "[A-Za-z][A-Za-z0-9]{0,8}(\\.[A-Za-z0-9]{1,8})?",
        "[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9]",
        prop::sample::select(vec!["gov.uk", "org", "sch.uk", "nhs.net", "example.com"]),
    )
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Passwords that meet the default policy: 8–40 characters with a capital and a symbol, drawn
/// so that they are not on the common list.
pub fn valid_password() -> impl Strategy<Value = String> {
    ("[A-ZÉÖ]", "[a-zäé0-9 ]{5,36}", "[!?£%#€-]", "[0-9]{1,2}")
        .prop_map(|(capital, middle, symbol, digits)| format!("{capital}{middle}{symbol}{digits}"))
}

/// Any password-like text, valid or not, including very long and non-ASCII input.
pub fn any_password() -> impl Strategy<Value = String> {
    prop_oneof![
        valid_password(),
        "\\PC{0,20}",
        "[a-z]{1,12}",
        "\\PC{250,300}",
    ]
}

/// The date of Julian day `jd`, clamped to the calendar [`Date`] can hold.
fn julian(jd: i32) -> Date {
    Date::from_julian_day(jd).unwrap_or(if jd < 0 { Date::MIN } else { Date::MAX })
}

/// Dates between `first` and `last`, inclusive.
pub fn date_between(first: Date, last: Date) -> impl Strategy<Value = Date> {
    (first.to_julian_day()..=last.to_julian_day()).prop_map(julian)
}

/// Any date [`Date`] can hold, weighted towards the years of the bank-holiday table
/// (2024–2030), the turn of a year, and the two ends of the calendar.
pub fn any_date() -> impl Strategy<Value = Date> {
    let ymd = |y, m, d| Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN);
    prop_oneof![
        3 => date_between(ymd(2023, Month::January, 1), ymd(2031, Month::December, 31)),
        2 => date_between(Date::MIN, Date::MAX),
        1 => (-20i32..=20).prop_map(|n| days_after(Date::MAX, i64::from(n))),
        1 => (-20i32..=20).prop_map(|n| days_after(Date::MIN, i64::from(n))),
        1 => (2000i32..2100, -8i64..8).prop_map(move |(y, n)| days_after(ymd(y, Month::January, 1), n)),
    ]
}

/// One step of a generated history: which event to try, days after the previous step, and a
/// number that picks the event's details.
type Step = (u8, u16, u16);

/// The event a [`Step`] tries on `case` on `day`.
fn step_event(case: &Case, choice: u8, day: Date, extra: u16) -> EventKind {
    match choice {
        0 | 1 => EventKind::DecisionToAssess {
            assess: choice == 0 || !extra.is_multiple_of(5),
        },
        2 | 3 => EventKind::AdviceRequested {
            from: "Educational psychologist".into(),
            contributor: None,
        },
        4 => {
            let unanswered: Vec<_> = case
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::AdviceRequested { .. }))
                .map(|e| e.number)
                .filter(|n| {
                    !case.events.iter().any(|e| matches!(e.kind, EventKind::AdviceReceived { request } if request == *n))
                })
                .collect();
            let request = unanswered
                .get(usize::from(extra) % unanswered.len().max(1))
                .copied();
            request.map_or(EventKind::DraftPlanServed, |request| {
                EventKind::AdviceReceived { request }
            })
        }
        5 => EventKind::DraftPlanServed,
        6 => EventKind::FinalPlanIssued,
        7 if extra.is_multiple_of(4) => EventKind::DecisionNotToIssue,
        7 | 8 => EventKind::ReviewMeetingScheduled {
            meeting_on: days_after(day, i64::from(extra % 90)),
        },
        9 => EventKind::ReviewMeetingHeld,
        10 => {
            let outcome = match extra % 6 {
                0 => ReviewOutcome::Cease,
                1 | 2 => ReviewOutcome::Maintain,
                _ => ReviewOutcome::Amend,
            };
            EventKind::ReviewDecision { outcome }
        }
        11 => EventKind::AmendmentProposed,
        12 => EventKind::AmendedPlanIssued,
        13 => {
            let year = day.year() + i32::from(extra % 3);
            let transfer = match extra % 3 {
                0 => PhaseTransfer::School { year },
                1 => PhaseTransfer::SecondaryToPost16 { year },
                _ => PhaseTransfer::Post16ToPost16 {
                    moves_on: days_after(day, i64::from(extra)),
                },
            };
            EventKind::PhaseTransferDue { transfer }
        }
        14 => EventKind::TransferIn {
            from_la: "Otherton Council".into(),
        },
        _ => EventKind::MediationCertificate,
    }
}

/// An exception starting `start` days after the request, lasting `days` days.
fn exception_at(case: &Case, kind: u8, start: u16, days: u16) -> DeadlineException {
    let from = days_after(case.received_on, i64::from(start));
    DeadlineException {
        kind: ExceptionKind::ALL[usize::from(kind) % ExceptionKind::ALL.len()],
        from,
        to: days_after(from, i64::from(days)),
        reason: "Generated".into(),
        recorded_at: midnight(from),
        recorded_by: None,
    }
}

/// Any exception, valid or not for [`Case::record_exception`] (it may end before the request,
/// be shorter than 4 weeks, …): `start` days after the request (negative: before), `days` long.
pub fn any_exception() -> impl Strategy<Value = (u8, i16, u16)> {
    (0u8..3, -100i16..400, 0u16..200)
}

/// Builds the exception of [`any_exception`]'s triple for `case`.
pub fn exception_for(case: &Case, (kind, start, days): (u8, i16, u16)) -> DeadlineException {
    let from = days_after(case.received_on, i64::from(start));
    DeadlineException {
        from,
        to: days_after(from, i64::from(days)),
        ..exception_at(case, kind, 0, 0)
    }
}

/// EHC cases whose events were recorded through [`Case::record_event`] (so every history is one
/// the model accepts: assessments, plans, reviews, amendments, transfers, closures), with
/// exceptions recorded through [`Case::record_exception`]. Requests are received between 2015
/// and 2035, for children aged 0 to 20.
pub fn case() -> impl Strategy<Value = Case> {
    let received = date_between(
        Date::from_calendar_date(2015, Month::January, 1).unwrap_or(Date::MIN),
        Date::from_calendar_date(2035, Month::December, 31).unwrap_or(Date::MAX),
    );
    let steps = prop::collection::vec((0u8..16, 0u16..120, 0u16..400), 0..24);
    let exceptions = prop::collection::vec((0u8..3, 0u16..300, 0u16..120), 0..3);
    (received, 0u16..7300, steps, exceptions).prop_map(|(received, age, steps, exceptions)| {
        let mut case = blank_case(received, days_after(received, -i64::from(age)));
        let mut day = received;
        let steps: Vec<Step> = steps;
        for (choice, gap, extra) in steps {
            day = days_after(day, i64::from(gap));
            let kind = step_event(&case, choice, day, extra);
            let _refused = case.record_event(kind, day, day, midnight(day), None);
        }
        for (kind, start, days) in exceptions {
            let exception = exception_at(&case, kind, start, days);
            let today = exception.from;
            let _refused = case.record_exception(exception, today);
        }
        case
    })
}
