//! The statutory dates of a case (`ehc_core::case::deadline`, docs/DOMAIN.md): every row of
//! shared/acceptance/deadlines.tsv, one test per timer and status, the calendar arithmetic, and
//! properties over generated cases and dates.
//!
//! The acceptance folder is `$EHC_ACCEPTANCE_DIR` when set, else `../../../shared/acceptance`
//! from this crate; a missing file fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test crate: its helpers fail the test loudly, like the tests themselves"
)]

use std::path::PathBuf;

use ehc_core::case::deadline::{
    Deadline, DeadlineKind, DeadlineStatus, Party, days_after, deadlines, is_working_day,
    long_date, months_after, next_key_date, weeks_after, within_months_starting,
    working_days_after,
};
use ehc_core::case::{
    Case, DeadlineException, EventKind, EventNumber, ExceptionKind, PhaseTransfer, ReviewOutcome,
    Stage,
};
use ehc_core::test_support::cases::{blank_case, midnight, push_event};
use ehc_core::test_support::strategies::{self, any_date, any_exception, exception_for};
use proptest::prelude::*;
use time::Date;
use time::macros::date;

use DeadlineKind as K;

/// A child who is 14 in 2026: never under 5 in these tests unless a test says so.
const BORN: Date = date!(2012 - 03 - 10);

fn case_received(on: Date) -> Case {
    blank_case(on, BORN)
}

/// The only deadline of `kind`; fails when there is none or more than one.
fn only(case: &Case, kind: DeadlineKind) -> Deadline {
    let found: Vec<Deadline> = deadlines(case)
        .into_iter()
        .filter(|d| d.kind == kind)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {} in {:#?}",
        kind.name(),
        deadlines(case)
    );
    found.into_iter().next().unwrap()
}

fn has(case: &Case, kind: DeadlineKind) -> bool {
    deadlines(case).iter().any(|d| d.kind == kind)
}

fn exception(kind: ExceptionKind, from: Date, to: Date) -> DeadlineException {
    DeadlineException {
        kind,
        from,
        to,
        reason: "Recorded in a test".into(),
        recorded_at: midnight(from),
        recorded_by: None,
    }
}

/// A case whose final plan was issued on `issued` after the usual assessment, for a child
/// born on `born`.
fn plan_case(issued: Date, born: Date) -> Case {
    let mut case = blank_case(days_after(issued, -140), born);
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        days_after(issued, -120),
    );
    push_event(
        &mut case,
        EventKind::DraftPlanServed,
        days_after(issued, -30),
    );
    push_event(&mut case, EventKind::FinalPlanIssued, issued);
    case
}

// ---------------------------------------------------------------------------------------
// Acceptance rows

fn acceptance_file() -> PathBuf {
    match std::env::var_os("EHC_ACCEPTANCE_DIR") {
        Some(dir) => PathBuf::from(dir).join("deadlines.tsv"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/acceptance/deadlines.tsv"
        )),
    }
}

/// A `YYYY-MM-DD` date of the file.
fn iso_date(text: &str, line: usize) -> Date {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |i: usize| -> i32 {
        parts
            .get(i)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("deadlines.tsv:{line}: {text:?} is not YYYY-MM-DD"))
    };
    let month = time::Month::try_from(u8::try_from(number(1)).unwrap()).unwrap();
    Date::from_calendar_date(number(0), month, u8::try_from(number(2)).unwrap())
        .unwrap_or_else(|e| panic!("deadlines.tsv:{line}: {text:?}: {e}"))
}

/// The smallest case in which `event` happened on `on`.
fn case_with_event(event: &str, on: Date, line: usize) -> Case {
    match event {
        "request_received" => case_received(on),
        "draft_plan_served" => {
            let mut case = case_received(days_after(on, -70));
            push_event(
                &mut case,
                EventKind::DecisionToAssess { assess: true },
                days_after(on, -60),
            );
            push_event(&mut case, EventKind::DraftPlanServed, on);
            case
        }
        "plan_issued" => plan_case(on, BORN),
        "review_meeting" => {
            // Arranged for `on` and held on `on`: the invitations count back from the meeting,
            // the report and the decision forward from it.
            let mut case = plan_case(days_after(on, -330), BORN);
            push_event(
                &mut case,
                EventKind::ReviewMeetingScheduled { meeting_on: on },
                days_after(on, -60),
            );
            push_event(&mut case, EventKind::ReviewMeetingHeld, on);
            case
        }
        other => panic!("deadlines.tsv:{line}: no case for the event {other:?}"),
    }
}

#[test]
fn every_row_of_the_acceptance_file_holds() {
    let path = acceptance_file();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the acceptance file {} ({e}); set EHC_ACCEPTANCE_DIR to the folder \
             holding shared/acceptance/deadlines.tsv",
            path.display()
        )
    });
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, header) = rows.next().expect("deadlines.tsv has no header");
    assert_eq!(
        header.split('\t').collect::<Vec<_>>(),
        ["event", "date", "deadline", "expected", "source"]
    );
    let mut checked = 0;
    for (line, row) in rows {
        let fields: Vec<&str> = row.split('\t').collect();
        assert_eq!(
            fields.len(),
            5,
            "deadlines.tsv:{line}: expected 5 tab-separated fields"
        );
        let on = iso_date(fields[1], line);
        let kind = DeadlineKind::parse(fields[2])
            .unwrap_or_else(|| panic!("deadlines.tsv:{line}: no deadline named {:?}", fields[2]));
        let expected = iso_date(fields[3], line);
        let case = case_with_event(fields[0], on, line);
        let found = deadlines(&case);
        assert!(
            found
                .iter()
                .any(|d| d.kind == kind && d.statutory == expected),
            "deadlines.tsv:{line}: {} {on} should give {} on {expected} ({}); got {:?}",
            fields[0],
            fields[2],
            fields[4],
            found
                .iter()
                .map(|d| (d.kind.name(), d.statutory))
                .collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert!(checked > 0, "deadlines.tsv has no data rows");
}

// ---------------------------------------------------------------------------------------
// Calendar

#[test]
fn long_dates_are_written_the_gov_uk_way() {
    assert_eq!(long_date(date!(2026 - 01 - 05)), "5 January 2026");
    assert_eq!(long_date(date!(2027 - 12 - 31)), "31 December 2027");
}

#[test]
fn weeks_after_keep_the_weekday_and_cross_the_year_end() {
    let monday = date!(2026 - 12 - 21);
    assert_eq!(weeks_after(monday, 2), date!(2027 - 01 - 04));
    assert_eq!(weeks_after(monday, 2).weekday(), monday.weekday());
    assert_eq!(weeks_after(monday, -1), date!(2026 - 12 - 14));
    assert_eq!(days_after(date!(2028 - 02 - 28), 1), date!(2028 - 02 - 29));
}

#[test]
fn months_after_end_on_the_last_day_of_a_shorter_month() {
    assert_eq!(
        months_after(date!(2026 - 01 - 31), 1),
        date!(2026 - 02 - 28)
    );
    assert_eq!(
        months_after(date!(2028 - 01 - 31), 1),
        date!(2028 - 02 - 29)
    );
    assert_eq!(
        months_after(date!(2026 - 03 - 31), 1),
        date!(2026 - 04 - 30)
    );
    assert_eq!(
        months_after(date!(2026 - 12 - 31), 2),
        date!(2027 - 02 - 28)
    );
    assert_eq!(
        months_after(date!(2026 - 05 - 25), 2),
        date!(2026 - 07 - 25)
    );
    assert_eq!(
        months_after(date!(2027 - 07 - 31), -5),
        date!(2027 - 02 - 28)
    );
}

#[test]
fn a_period_of_months_ends_the_day_before_the_corresponding_date() {
    assert_eq!(
        within_months_starting(date!(2026 - 05 - 25), 12),
        date!(2027 - 05 - 24)
    );
    assert_eq!(
        within_months_starting(date!(2026 - 01 - 01), 12),
        date!(2026 - 12 - 31)
    );
    assert_eq!(
        within_months_starting(date!(2026 - 12 - 31), 12),
        date!(2027 - 12 - 30)
    );
    assert_eq!(
        within_months_starting(date!(2028 - 02 - 28), 12),
        date!(2029 - 02 - 27)
    );
    // No corresponding date: the last day of that month.
    assert_eq!(
        within_months_starting(date!(2028 - 02 - 29), 12),
        date!(2029 - 02 - 28)
    );
    assert_eq!(
        within_months_starting(date!(2026 - 01 - 31), 1),
        date!(2026 - 02 - 28)
    );
    assert_eq!(
        within_months_starting(date!(2026 - 08 - 31), 6),
        date!(2027 - 02 - 28)
    );
    assert_eq!(
        within_months_starting(date!(2028 - 02 - 29), 48),
        date!(2032 - 02 - 28)
    );
}

#[test]
fn working_days_skip_weekends_and_bank_holidays() {
    // Christmas 2026: Friday 25 and the Boxing Day substitute, Monday 28.
    assert_eq!(
        working_days_after(date!(2026 - 12 - 23), 3),
        date!(2026 - 12 - 30)
    );
    // Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert_eq!(
        working_days_after(date!(2026 - 04 - 02), 1),
        date!(2026 - 04 - 07)
    );
    // A Friday's next working day is the Monday.
    assert_eq!(
        working_days_after(date!(2026 - 06 - 12), 1),
        date!(2026 - 06 - 15)
    );
    assert_eq!(
        working_days_after(date!(2026 - 06 - 13), 0),
        date!(2026 - 06 - 13)
    );
    // New Year's Day 2028 is a Saturday: the substitute is Monday 3 January.
    assert!(!is_working_day(date!(2028 - 01 - 03)));
    // After the table only weekends are skipped: 25 and 26 December 2031 count.
    assert_eq!(
        working_days_after(date!(2031 - 12 - 24), 2),
        date!(2031 - 12 - 26)
    );
}

#[test]
fn date_functions_saturate_at_the_ends_of_the_calendar() {
    assert_eq!(days_after(Date::MAX, 1), Date::MAX);
    assert_eq!(days_after(date!(2026 - 01 - 01), i64::MAX), Date::MAX);
    assert_eq!(days_after(date!(2026 - 01 - 01), i64::MIN), Date::MIN);
    assert_eq!(weeks_after(Date::MIN, -1), Date::MIN);
    assert_eq!(weeks_after(date!(2026 - 01 - 01), i64::MAX), Date::MAX);
    assert_eq!(months_after(Date::MAX, 1), Date::MAX);
    assert_eq!(months_after(Date::MIN, i32::MIN), Date::MIN);
    assert_eq!(within_months_starting(Date::MAX, 12), Date::MAX);
    assert_eq!(within_months_starting(Date::MIN, 0), Date::MIN);
    assert_eq!(working_days_after(Date::MAX, 5), Date::MAX);
    assert_eq!(
        working_days_after(date!(2026 - 01 - 01), u32::MAX),
        Date::MAX
    );
}

// ---------------------------------------------------------------------------------------
// Kinds and statuses

#[test]
fn every_kind_has_a_stable_name_words_a_source_and_a_party() {
    let names: Vec<&str> = DeadlineKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names,
        [
            "decision_whether_to_assess",
            "advice_returned",
            "notify_no_plan",
            "representations_last_day",
            "final_plan",
            "annual_review_by",
            "invitations_and_advice_by",
            "review_report",
            "la_review_decision",
            "amendment_comments_last_day",
            "amended_plan_by",
            "phase_transfer_by",
            "transferred_plan_by",
            "appeal_by",
        ]
    );
    for kind in DeadlineKind::ALL {
        assert_eq!(DeadlineKind::parse(kind.name()), Some(kind));
        assert!(!kind.describe().is_empty());
        assert!(
            kind.source().contains("2014"),
            "{}: {}",
            kind.name(),
            kind.source()
        );
    }
    assert!(
        DeadlineKind::ALL.windows(2).all(|w| w[0] < w[1]),
        "ALL is in process order"
    );
    assert_eq!(DeadlineKind::parse("final-plan"), None);
    assert_eq!(
        K::DecisionWhetherToAssess.describe(),
        "Decide whether to assess"
    );
    assert_eq!(
        K::DecisionWhetherToAssess.source(),
        "SEN Regulations 2014, reg 5(1)"
    );
    assert!(K::AnnualReviewBy.source().contains("9.178 (?)"));
    let family: Vec<DeadlineKind> = DeadlineKind::ALL
        .into_iter()
        .filter(|k| k.party() == Party::Family)
        .collect();
    assert_eq!(
        family,
        [
            K::RepresentationsLastDay,
            K::AmendmentCommentsLastDay,
            K::AppealBy
        ]
    );
    let with_exceptions: Vec<DeadlineKind> = DeadlineKind::ALL
        .into_iter()
        .filter(|k| k.exceptions_source().is_some())
        .collect();
    assert_eq!(
        with_exceptions,
        [
            K::DecisionWhetherToAssess,
            K::AdviceReturned,
            K::NotifyNoPlan,
            K::FinalPlan
        ]
    );
}

#[test]
fn an_open_duty_is_due_soon_from_14_days_before_and_overdue_the_day_after() {
    let case = case_received(date!(2026 - 01 - 05));
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(decision.due, date!(2026 - 02 - 16));
    assert!(decision.is_open());
    let on = |day| decision.status(day);
    assert_eq!(
        on(date!(2026 - 01 - 05)),
        DeadlineStatus::NotDueYet { days_left: 42 }
    );
    assert_eq!(
        on(date!(2026 - 02 - 01)),
        DeadlineStatus::NotDueYet { days_left: 15 }
    );
    assert_eq!(
        on(date!(2026 - 02 - 02)),
        DeadlineStatus::DueSoon { days_left: 14 }
    );
    assert_eq!(
        on(date!(2026 - 02 - 16)),
        DeadlineStatus::DueSoon { days_left: 0 }
    );
    assert_eq!(
        on(date!(2026 - 02 - 17)),
        DeadlineStatus::Overdue { days_late: 1 }
    );
    assert_eq!(on(date!(2026 - 01 - 05)).describe(), "Due in 42 days");
    assert_eq!(on(date!(2026 - 02 - 15)).describe(), "Due in 1 day");
    assert_eq!(on(date!(2026 - 02 - 16)).describe(), "Due today");
    assert_eq!(on(date!(2026 - 02 - 17)).describe(), "Overdue by 1 day");
    assert_eq!(on(date!(2026 - 02 - 19)).describe(), "Overdue by 3 days");
    assert_eq!(on(date!(2026 - 01 - 05)).key(), "not-due");
    assert_eq!(on(date!(2026 - 02 - 10)).key(), "due-soon");
    assert_eq!(on(date!(2026 - 03 - 01)).key(), "overdue");
}

// ---------------------------------------------------------------------------------------
// 1. Decision whether to assess, 3. notify no plan, 5. final plan

#[test]
fn the_decision_whether_to_assess_is_met_by_the_decision_on_time_or_late() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 16),
    );
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(decision.met_on, Some(date!(2026 - 02 - 16)));
    assert!(!decision.is_open());
    let status = decision.status(date!(2026 - 06 - 01));
    assert_eq!(
        status,
        DeadlineStatus::Met {
            on: date!(2026 - 02 - 16),
            late: false
        }
    );
    assert_eq!(status.describe(), "Met on 16 February 2026");
    assert_eq!(status.key(), "met");

    let mut late = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut late,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 17),
    );
    let status = only(&late, K::DecisionWhetherToAssess).status(date!(2026 - 06 - 01));
    assert_eq!(
        status,
        DeadlineStatus::Met {
            on: date!(2026 - 02 - 17),
            late: true
        }
    );
    assert_eq!(status.describe(), "Met late on 17 February 2026");
}

#[test]
fn a_decision_not_to_assess_closes_the_case_leaving_the_decision_and_the_appeal() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: false },
        date!(2026 - 02 - 10),
    );
    assert_eq!(case.stage(), Stage::Closed);
    let kinds: Vec<DeadlineKind> = deadlines(&case).iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [K::DecisionWhetherToAssess, K::AppealBy]);
    assert_eq!(only(&case, K::AppealBy).statutory, date!(2026 - 04 - 10));
    assert_eq!(next_key_date(&case), None);
}

#[test]
fn notify_no_plan_is_met_by_the_first_draft_plan() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 10),
    );
    assert!(only(&case, K::NotifyNoPlan).is_open());
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 04 - 01));
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 04 - 20));
    let notify = only(&case, K::NotifyNoPlan);
    assert_eq!(notify.statutory, date!(2026 - 04 - 27));
    assert_eq!(notify.met_on, Some(date!(2026 - 04 - 01)));
}

#[test]
fn a_decision_not_to_issue_meets_notify_no_plan_and_drops_the_final_plan() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 10),
    );
    push_event(
        &mut case,
        EventKind::AdviceRequested {
            from: "EP".into(),
            contributor: None,
        },
        date!(2026 - 02 - 11),
    );
    push_event(
        &mut case,
        EventKind::DecisionNotToIssue,
        date!(2026 - 04 - 28),
    );
    let notify = only(&case, K::NotifyNoPlan);
    assert_eq!(
        notify.status(date!(2026 - 05 - 01)),
        DeadlineStatus::Met {
            on: date!(2026 - 04 - 28),
            late: true
        }
    );
    assert!(!has(&case, K::FinalPlan));
    assert!(
        !has(&case, K::AdviceReturned),
        "an unanswered request closes with the case"
    );
    assert_eq!(only(&case, K::AppealBy).statutory, date!(2026 - 06 - 28));
}

#[test]
fn the_final_plan_is_due_20_weeks_after_the_request_and_late_after_that() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 10),
    );
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 05 - 01));
    assert_eq!(
        only(&case, K::FinalPlan).status(date!(2026 - 05 - 26)),
        DeadlineStatus::Overdue { days_late: 1 }
    );
    push_event(&mut case, EventKind::FinalPlanIssued, date!(2026 - 05 - 26));
    let plan = only(&case, K::FinalPlan);
    assert_eq!(plan.statutory, date!(2026 - 05 - 25));
    assert_eq!(
        plan.status(date!(2026 - 06 - 01)),
        DeadlineStatus::Met {
            on: date!(2026 - 05 - 26),
            late: true
        }
    );
}

// ---------------------------------------------------------------------------------------
// 2. Advice

#[test]
fn each_advice_request_has_its_own_six_weeks_met_by_its_own_answer() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 01 - 20),
    );
    let first = push_event(
        &mut case,
        EventKind::AdviceRequested {
            from: "EP".into(),
            contributor: None,
        },
        date!(2026 - 01 - 21),
    );
    let second = push_event(
        &mut case,
        EventKind::AdviceRequested {
            from: "Health".into(),
            contributor: None,
        },
        date!(2026 - 01 - 28),
    );
    push_event(
        &mut case,
        EventKind::AdviceReceived { request: second },
        date!(2026 - 03 - 01),
    );
    let advice: Vec<Deadline> = deadlines(&case)
        .into_iter()
        .filter(|d| d.kind == K::AdviceReturned)
        .collect();
    assert_eq!(advice.len(), 2);
    assert_eq!(
        (advice[0].about, advice[0].statutory, advice[0].met_on),
        (Some(first), date!(2026 - 03 - 04), None)
    );
    assert_eq!(
        (advice[1].about, advice[1].statutory, advice[1].met_on),
        (
            Some(second),
            date!(2026 - 03 - 11),
            Some(date!(2026 - 03 - 01))
        )
    );
    assert_eq!(K::AdviceReturned.describe(), "Advice due");
}

// ---------------------------------------------------------------------------------------
// 4. Comments on the draft

#[test]
fn the_family_comment_period_on_the_last_draft_ends_and_stays_after_the_final_plan() {
    let mut case = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 10),
    );
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 03 - 20));
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 04 - 01));
    let comments = only(&case, K::RepresentationsLastDay);
    assert_eq!(
        (comments.counts_from, comments.statutory),
        (date!(2026 - 04 - 01), date!(2026 - 04 - 15))
    );
    assert_eq!(
        comments.status(date!(2026 - 04 - 15)),
        DeadlineStatus::DueSoon { days_left: 0 }
    );
    assert_eq!(
        comments.status(date!(2026 - 04 - 16)),
        DeadlineStatus::Ended
    );
    assert_eq!(comments.status(date!(2026 - 04 - 16)).describe(), "Ended");
    assert_eq!(comments.status(date!(2026 - 04 - 16)).key(), "ended");
    push_event(&mut case, EventKind::FinalPlanIssued, date!(2026 - 05 - 01));
    assert_eq!(
        only(&case, K::RepresentationsLastDay).status(date!(2026 - 05 - 02)),
        DeadlineStatus::Ended
    );
}

// ---------------------------------------------------------------------------------------
// Exceptions

#[test]
fn an_exception_moves_the_assessment_deadlines_and_lists_itself() {
    let mut case = case_received(date!(2026 - 01 - 05));
    case.exceptions.push(exception(
        ExceptionKind::PersonalCircumstances,
        date!(2026 - 02 - 01),
        date!(2026 - 02 - 10),
    ));
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(
        (decision.statutory, decision.due),
        (date!(2026 - 02 - 16), date!(2026 - 02 - 26))
    );
    assert_eq!(decision.affected_by, [0]);
    assert_eq!(only(&case, K::NotifyNoPlan).due, date!(2026 - 05 - 07));
    assert_eq!(only(&case, K::FinalPlan).due, date!(2026 - 06 - 04));
    assert_eq!(only(&case, K::FinalPlan).statutory, date!(2026 - 05 - 25));
}

#[test]
fn overlapping_exceptions_count_each_day_once() {
    let mut case = case_received(date!(2026 - 01 - 05));
    case.exceptions.push(exception(
        ExceptionKind::PersonalCircumstances,
        date!(2026 - 02 - 01),
        date!(2026 - 02 - 10),
    ));
    case.exceptions.push(exception(
        ExceptionKind::AbsentFromArea,
        date!(2026 - 02 - 05),
        date!(2026 - 03 - 10),
    ));
    // Decision: the exceptions (1 February..10 March together) pause the clock: the 43 days
    // 5 January..16 February become 5..31 January (27 days) and 11..26 March (16 days).
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(decision.due, date!(2026 - 03 - 26));
    assert_eq!(decision.affected_by, [0, 1]);
    // Final plan: 1 February..10 March, 38 days.
    assert_eq!(only(&case, K::FinalPlan).due, date!(2026 - 07 - 02));
}

#[test]
fn a_setting_closure_pauses_from_a_week_before_it_to_a_week_before_it_reopens() {
    let mut case = case_received(date!(2026 - 05 - 01));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 05 - 20),
    );
    let asked = push_event(
        &mut case,
        EventKind::AdviceRequested {
            from: "Head teacher".into(),
            contributor: None,
        },
        date!(2026 - 07 - 01),
    );
    // Closed 20 July to 1 September, reopening on 2 September: the exception runs 13 July to
    // 26 August (45 days).
    case.exceptions.push(exception(
        ExceptionKind::SettingClosure,
        date!(2026 - 07 - 20),
        date!(2026 - 09 - 01),
    ));
    let advice = only(&case, K::AdviceReturned);
    assert_eq!(advice.about, Some(asked));
    // The clock stops for the whole of 13 July..26 August: 12 August + 45 days.
    assert_eq!(
        (advice.statutory, advice.due),
        (date!(2026 - 08 - 12), date!(2026 - 09 - 26))
    );
    assert_eq!(advice.affected_by, [0]);
    // 21 August + 45 days; 18 September + 45 days.
    assert_eq!(only(&case, K::NotifyNoPlan).due, date!(2026 - 10 - 05));
    assert_eq!(only(&case, K::FinalPlan).due, date!(2026 - 11 - 02));
    // Over before the closure's window begins: untouched.
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(
        (decision.statutory, decision.due),
        (date!(2026 - 06 - 12), date!(2026 - 06 - 12))
    );
    assert!(decision.affected_by.is_empty());
}

#[test]
fn exceptions_do_not_move_review_or_family_deadlines() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    case.exceptions.push(exception(
        ExceptionKind::AbsentFromArea,
        date!(2027 - 04 - 01),
        date!(2027 - 06 - 30),
    ));
    for d in deadlines(&case) {
        if d.kind.exceptions_source().is_none() {
            assert_eq!(d.due, d.statutory, "{}", d.kind.name());
            assert!(d.affected_by.is_empty(), "{}", d.kind.name());
        }
    }
}

// ---------------------------------------------------------------------------------------
// 6. Annual review

#[test]
fn the_annual_review_is_due_within_12_months_and_restarts_at_each_review() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    let review = only(&case, K::AnnualReviewBy);
    assert_eq!(
        (review.counts_from, review.statutory),
        (date!(2026 - 05 - 25), date!(2027 - 05 - 24))
    );
    assert!(review.is_open());
    let held = push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    push_event(
        &mut case,
        EventKind::ReviewDecision {
            outcome: ReviewOutcome::Maintain,
        },
        date!(2027 - 05 - 01),
    );
    let review = only(&case, K::AnnualReviewBy);
    assert_eq!(
        (review.counts_from, review.statutory),
        (date!(2027 - 04 - 20), date!(2028 - 04 - 19))
    );
    assert_eq!(review.about, Some(held));
    assert!(review.is_open(), "always open while the plan is in force");
}

#[test]
fn under_fives_are_reviewed_within_6_months() {
    let case = plan_case(date!(2026 - 05 - 25), date!(2023 - 01 - 10));
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2026 - 11 - 24)
    );
    // Five on the day the period starts: 12 months.
    let case = plan_case(date!(2026 - 05 - 25), date!(2021 - 05 - 25));
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2027 - 05 - 24)
    );
    // Six months from 31 August: there is no 31 February.
    let case = plan_case(date!(2026 - 08 - 31), date!(2023 - 01 - 10));
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2027 - 02 - 28)
    );
}

#[test]
fn a_plan_issued_on_29_february_is_reviewed_by_28_february() {
    let case = plan_case(date!(2028 - 02 - 29), BORN);
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2029 - 02 - 28)
    );
    let case = plan_case(date!(2026 - 12 - 31), BORN);
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2027 - 12 - 30)
    );
}

// ---------------------------------------------------------------------------------------
// 7–9. Review meetings

#[test]
fn invitations_are_due_two_weeks_before_the_meeting_and_close_when_it_is_held() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    let arranged = push_event(
        &mut case,
        EventKind::ReviewMeetingScheduled {
            meeting_on: date!(2027 - 04 - 20),
        },
        date!(2027 - 03 - 01),
    );
    let invitations = only(&case, K::InvitationsAndAdviceBy);
    assert_eq!(
        (invitations.counts_from, invitations.statutory),
        (date!(2027 - 04 - 20), date!(2027 - 04 - 06))
    );
    assert_eq!(invitations.about, Some(arranged));
    assert_eq!(
        invitations.status(date!(2027 - 04 - 07)),
        DeadlineStatus::Overdue { days_late: 1 }
    );
    push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    let invitations = only(&case, K::InvitationsAndAdviceBy);
    assert_eq!(invitations.met_on, Some(date!(2027 - 04 - 20)));
    // The hub has no day for the invitations themselves: holding the meeting is never "late".
    assert_eq!(
        invitations.status(date!(2027 - 04 - 21)),
        DeadlineStatus::Met {
            on: date!(2027 - 04 - 20),
            late: false
        }
    );
    // The next meeting arranged opens the next one.
    push_event(
        &mut case,
        EventKind::ReviewMeetingScheduled {
            meeting_on: date!(2028 - 03 - 15),
        },
        date!(2028 - 01 - 10),
    );
    let invitations = only(&case, K::InvitationsAndAdviceBy);
    assert_eq!(
        (invitations.statutory, invitations.met_on),
        (date!(2028 - 03 - 01), None)
    );
}

#[test]
fn the_review_report_and_decision_are_met_by_the_next_review_decision() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    let held = push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    let report = only(&case, K::ReviewReport);
    let decision = only(&case, K::LaReviewDecision);
    assert_eq!(
        (report.statutory, decision.statutory),
        (date!(2027 - 05 - 04), date!(2027 - 05 - 18))
    );
    assert_eq!((report.about, decision.about), (Some(held), Some(held)));
    assert!(report.is_open() && decision.is_open());
    push_event(
        &mut case,
        EventKind::ReviewDecision {
            outcome: ReviewOutcome::Amend,
        },
        date!(2027 - 05 - 10),
    );
    let on = date!(2027 - 06 - 01);
    assert_eq!(
        only(&case, K::ReviewReport).status(on),
        DeadlineStatus::Met {
            on: date!(2027 - 05 - 10),
            late: true
        }
    );
    assert_eq!(
        only(&case, K::LaReviewDecision).status(on),
        DeadlineStatus::Met {
            on: date!(2027 - 05 - 10),
            late: false
        }
    );
}

// ---------------------------------------------------------------------------------------
// 10. Amendments

#[test]
fn proposed_amendments_give_the_family_15_days_and_the_la_8_weeks() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    push_event(
        &mut case,
        EventKind::AmendmentProposed,
        date!(2026 - 11 - 02),
    );
    push_event(
        &mut case,
        EventKind::AmendedPlanIssued,
        date!(2026 - 12 - 01),
    );
    let proposed = push_event(
        &mut case,
        EventKind::AmendmentProposed,
        date!(2027 - 05 - 18),
    );
    let comments = only(&case, K::AmendmentCommentsLastDay);
    assert_eq!(
        (comments.statutory, comments.about),
        (date!(2027 - 06 - 01), Some(proposed))
    );
    assert_eq!(comments.kind.party(), Party::Family);
    let amended = only(&case, K::AmendedPlanBy);
    assert_eq!(amended.statutory, date!(2027 - 07 - 13));
    assert!(
        amended.is_open(),
        "the plan amended before these proposals does not meet it"
    );
    push_event(
        &mut case,
        EventKind::AmendedPlanIssued,
        date!(2027 - 07 - 01),
    );
    assert_eq!(
        only(&case, K::AmendedPlanBy).met_on,
        Some(date!(2027 - 07 - 01))
    );
}

// ---------------------------------------------------------------------------------------
// 11. Phase transfers

#[test]
fn phase_transfers_fall_on_their_fixed_dates() {
    let transfers = [
        (PhaseTransfer::School { year: 2027 }, date!(2027 - 02 - 15)),
        (
            PhaseTransfer::SecondaryToPost16 { year: 2028 },
            date!(2028 - 03 - 31),
        ),
        (
            PhaseTransfer::Post16ToPost16 {
                moves_on: date!(2027 - 07 - 31),
            },
            date!(2027 - 02 - 28),
        ),
        (
            PhaseTransfer::Post16ToPost16 {
                moves_on: date!(2027 - 09 - 06),
            },
            date!(2027 - 04 - 06),
        ),
    ];
    for (transfer, expected) in transfers {
        let mut case = plan_case(date!(2026 - 05 - 25), BORN);
        push_event(
            &mut case,
            EventKind::AmendedPlanIssued,
            date!(2026 - 08 - 01),
        );
        let recorded = push_event(
            &mut case,
            EventKind::PhaseTransferDue { transfer },
            date!(2026 - 09 - 01),
        );
        let by = only(&case, K::PhaseTransferBy);
        assert_eq!(
            (by.statutory, by.counts_from, by.about),
            (expected, date!(2026 - 09 - 01), Some(recorded))
        );
        assert!(
            by.is_open(),
            "an amended plan before the transfer was recorded does not meet it"
        );
        push_event(
            &mut case,
            EventKind::ReviewDecision {
                outcome: ReviewOutcome::Maintain,
            },
            date!(2026 - 12 - 01),
        );
        assert_eq!(
            only(&case, K::PhaseTransferBy).met_on,
            Some(date!(2026 - 12 - 01))
        );
    }
}

// ---------------------------------------------------------------------------------------
// 12. Transfer in

#[test]
fn a_transfer_in_counts_15_working_days_beginning_with_the_day_and_skips_the_assessment() {
    let mut case = case_received(date!(2026 - 12 - 21));
    let moved = push_event(
        &mut case,
        EventKind::TransferIn {
            from_la: "Otherton".into(),
        },
        date!(2026 - 12 - 21),
    );
    // Monday 21 December is day 1; Christmas, the Boxing Day substitute and New Year's Day
    // are skipped: day 15 is Wednesday 13 January.
    let transfer = only(&case, K::TransferredPlanBy);
    assert_eq!(
        (transfer.statutory, transfer.about, transfer.met_on),
        (date!(2027 - 01 - 13), Some(moved), None)
    );
    assert!(
        !has(&case, K::DecisionWhetherToAssess)
            && !has(&case, K::NotifyNoPlan)
            && !has(&case, K::FinalPlan)
    );
    assert_eq!(
        only(&case, K::AnnualReviewBy).statutory,
        date!(2027 - 12 - 20)
    );
    push_event(
        &mut case,
        EventKind::ReviewMeetingScheduled {
            meeting_on: date!(2027 - 03 - 01),
        },
        date!(2027 - 01 - 05),
    );
    assert_eq!(
        only(&case, K::TransferredPlanBy).met_on,
        Some(date!(2027 - 01 - 05))
    );

    // Known on a Saturday: the first working day is the Tuesday after the Boxing Day substitute.
    let mut case = case_received(date!(2026 - 12 - 26));
    push_event(
        &mut case,
        EventKind::TransferIn {
            from_la: "Otherton".into(),
        },
        date!(2026 - 12 - 26),
    );
    assert_eq!(
        only(&case, K::TransferredPlanBy).statutory,
        date!(2027 - 01 - 19)
    );
}

// ---------------------------------------------------------------------------------------
// 13. Appeal

#[test]
fn the_appeal_runs_two_months_from_the_latest_decision_or_one_month_from_a_later_certificate() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    let appeal = only(&case, K::AppealBy);
    assert_eq!(
        (appeal.counts_from, appeal.statutory),
        (date!(2026 - 05 - 25), date!(2026 - 07 - 25))
    );
    assert_eq!(appeal.kind.party(), Party::Family);
    assert_eq!(appeal.status(date!(2026 - 07 - 26)), DeadlineStatus::Ended);
    push_event(
        &mut case,
        EventKind::MediationCertificate,
        date!(2026 - 06 - 01),
    );
    assert_eq!(
        only(&case, K::AppealBy).statutory,
        date!(2026 - 07 - 25),
        "two months is later"
    );
    push_event(
        &mut case,
        EventKind::MediationCertificate,
        date!(2026 - 07 - 20),
    );
    assert_eq!(
        only(&case, K::AppealBy).statutory,
        date!(2026 - 08 - 20),
        "a month from the certificate"
    );
    push_event(
        &mut case,
        EventKind::AmendmentProposed,
        date!(2026 - 11 - 01),
    );
    let amended = push_event(
        &mut case,
        EventKind::AmendedPlanIssued,
        date!(2026 - 12 - 31),
    );
    let appeal = only(&case, K::AppealBy);
    assert_eq!(
        (appeal.statutory, appeal.about),
        (date!(2027 - 02 - 28), Some(amended))
    );
}

// ---------------------------------------------------------------------------------------
// Closed cases, order, next key date

#[test]
fn a_ceased_plan_leaves_only_met_deadlines_and_the_appeal() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    push_event(
        &mut case,
        EventKind::AmendmentProposed,
        date!(2027 - 01 - 10),
    );
    push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    push_event(
        &mut case,
        EventKind::ReviewDecision {
            outcome: ReviewOutcome::Cease,
        },
        date!(2027 - 05 - 10),
    );
    assert_eq!(case.stage(), Stage::Closed);
    let all = deadlines(&case);
    assert!(
        all.iter()
            .all(|d| d.met_on.is_some() || d.kind == K::AppealBy),
        "{all:#?}"
    );
    assert!(!has(&case, K::AnnualReviewBy) && !has(&case, K::AmendedPlanBy));
    assert!(has(&case, K::LaReviewDecision) && has(&case, K::FinalPlan));
    assert_eq!(only(&case, K::AppealBy).statutory, date!(2027 - 07 - 10));
    assert_eq!(next_key_date(&case), None);
}

#[test]
fn deadlines_come_in_order_of_due_date() {
    let mut case = plan_case(date!(2026 - 05 - 25), BORN);
    push_event(
        &mut case,
        EventKind::ReviewMeetingScheduled {
            meeting_on: date!(2027 - 04 - 20),
        },
        date!(2027 - 03 - 01),
    );
    push_event(
        &mut case,
        EventKind::ReviewMeetingHeld,
        date!(2027 - 04 - 20),
    );
    push_event(
        &mut case,
        EventKind::AmendmentProposed,
        date!(2027 - 05 - 01),
    );
    let all = deadlines(&case);
    assert!(all.len() >= 8);
    assert!(all.windows(2).all(|w| w[0].due <= w[1].due), "{all:#?}");
}

#[test]
fn the_next_key_date_is_the_open_la_duty_due_first() {
    let mut case = case_received(date!(2026 - 01 - 05));
    assert_eq!(
        next_key_date(&case).map(|d| d.kind),
        Some(K::DecisionWhetherToAssess)
    );
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 02 - 10),
    );
    push_event(&mut case, EventKind::DraftPlanServed, date!(2026 - 04 - 01));
    // Open: the family's comments (15 April) and the final plan (25 May): only the LA's counts.
    let next = next_key_date(&case).unwrap();
    assert_eq!((next.kind, next.due), (K::FinalPlan, date!(2026 - 05 - 25)));

    // Ties go to the earlier step of the process.
    let mut tie = case_received(date!(2026 - 01 - 05));
    push_event(
        &mut tie,
        EventKind::AdviceRequested {
            from: "EP".into(),
            contributor: None,
        },
        date!(2026 - 01 - 05),
    );
    let next = next_key_date(&tie).unwrap();
    assert_eq!(
        (next.kind, next.due),
        (K::DecisionWhetherToAssess, date!(2026 - 02 - 16))
    );
    assert_eq!(only(&tie, K::AdviceReturned).due, next.due);
}

#[test]
fn the_next_key_date_follows_an_exception() {
    let mut case = case_received(date!(2026 - 01 - 05));
    case.exceptions.push(exception(
        ExceptionKind::PersonalCircumstances,
        date!(2026 - 01 - 10),
        date!(2026 - 01 - 19),
    ));
    let next = next_key_date(&case).unwrap();
    assert_eq!(
        (next.kind, next.statutory, next.due),
        (
            K::DecisionWhetherToAssess,
            date!(2026 - 02 - 16),
            date!(2026 - 02 - 26)
        )
    );
    assert_eq!(next.affected_by, [0]);
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every deadline counts forward from its day, except the two the regulations count
    /// backwards: the invitations (2 weeks before the meeting, reg 20/21) and the phase
    /// transfer (a fixed date or 5 months before the move, reg 18, which may fall before the
    /// day the transfer was recorded).
    #[test]
    fn no_deadline_falls_before_the_day_it_counts_from(case in strategies::case()) {
        let all = deadlines(&case);
        for d in &all {
            if !matches!(d.kind, K::InvitationsAndAdviceBy | K::PhaseTransferBy) {
                prop_assert!(d.statutory >= d.counts_from, "{d:?}");
            }
            prop_assert!(d.due >= d.statutory, "{d:?}");
            prop_assert_eq!(d.affected_by.is_empty(), d.due == d.statutory, "{:?}", d);
            prop_assert!(d.affected_by.iter().all(|&i| i < case.exceptions.len()));
            prop_assert!(d.affected_by.is_empty() || d.kind.exceptions_source().is_some());
        }
        prop_assert!(all.windows(2).all(|w| w[0].due <= w[1].due));
        if case.stage() == Stage::Closed {
            prop_assert!(all.iter().all(|d| d.met_on.is_some() || d.kind == K::AppealBy));
        }
    }

    #[test]
    fn adding_an_exception_never_makes_a_deadline_earlier(case in strategies::case(), extra in any_exception()) {
        let before = deadlines(&case);
        let mut with = case.clone();
        with.exceptions.push(exception_for(&case, extra));
        let after = deadlines(&with);
        prop_assert_eq!(before.len(), after.len());
        for b in &before {
            let a = after
                .iter()
                .find(|a| a.kind == b.kind && a.about == b.about && a.counts_from == b.counts_from)
                .unwrap();
            prop_assert_eq!(a.statutory, b.statutory);
            prop_assert!(a.due >= b.due, "{:?} became {:?}", b, a);
            prop_assert!(b.affected_by.iter().all(|i| a.affected_by.contains(i)));
        }
    }

    #[test]
    fn the_next_key_date_is_open_and_due_no_later_than_any_open_la_duty(case in strategies::case()) {
        let open: Vec<Deadline> = deadlines(&case)
            .into_iter()
            .filter(|d| d.is_open() && d.kind.party() == Party::La)
            .collect();
        match next_key_date(&case) {
            None => prop_assert!(open.is_empty()),
            Some(next) => {
                prop_assert!(next.is_open());
                prop_assert_eq!(next.kind.party(), Party::La);
                prop_assert!(open.iter().all(|d| (next.due, next.kind) <= (d.due, d.kind)));
            }
        }
    }

    #[test]
    fn date_functions_are_total_and_monotonic_in_the_date(
        a in any_date(),
        b in any_date(),
        n in prop_oneof![-1000i64..1000, any::<i64>()],
        months in prop_oneof![-30i32..30, any::<i32>()],
        working in prop_oneof![0u32..100, any::<u32>()],
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(days_after(lo, n) <= days_after(hi, n));
        prop_assert!(weeks_after(lo, n) <= weeks_after(hi, n));
        prop_assert!(months_after(lo, months) <= months_after(hi, months));
        prop_assert!(within_months_starting(lo, months) <= within_months_starting(hi, months));
        prop_assert!(working_days_after(lo, working) <= working_days_after(hi, working));
        let _ = long_date(a);
    }

    #[test]
    fn date_functions_are_monotonic_in_their_count(
        d in any_date(),
        n in -5000i64..5000,
        step in 0i64..400,
        months in -400i32..400,
        month_step in 0i32..40,
        working in 0u32..5000,
        working_step in 0u32..400,
    ) {
        prop_assert!(days_after(d, n) <= days_after(d, n + step));
        prop_assert!(weeks_after(d, n) <= weeks_after(d, n + step));
        prop_assert!(months_after(d, months) <= months_after(d, months + month_step));
        prop_assert!(within_months_starting(d, months) <= within_months_starting(d, months + month_step));
        prop_assert!(working_days_after(d, working) <= working_days_after(d, working + working_step));
        let end = working_days_after(d, working + 1);
        prop_assert!(end == Date::MAX || (end > d && is_working_day(end)));
        let later = weeks_after(d, n);
        prop_assert!(later == Date::MAX || later == Date::MIN || later.weekday() == d.weekday());
    }
}

/// The tests above build histories with `push_event`: it numbers events as the model does.
#[test]
fn pushed_events_are_numbered_like_recorded_ones() {
    let mut case = case_received(date!(2026 - 01 - 05));
    assert_eq!(
        push_event(
            &mut case,
            EventKind::DecisionToAssess { assess: true },
            date!(2026 - 01 - 10)
        ),
        EventNumber(1)
    );
    let recorded = case
        .record_event(
            EventKind::AdviceRequested {
                from: "EP".into(),
                contributor: None,
            },
            date!(2026 - 01 - 11),
            date!(2026 - 01 - 11),
            midnight(date!(2026 - 01 - 11)),
            None,
        )
        .unwrap();
    assert_eq!(recorded, EventNumber(2));
}

#[test]
fn a_deadline_paused_by_an_exception_still_running_falls_after_it() {
    // Received 1 November 2026, the family away 10 November 2026 to 31 March 2027 (142 days):
    // the 43 days of the decision's period are 1..9 November and then 34 days from 1 April.
    let mut case = case_received(date!(2026 - 11 - 01));
    case.exceptions.push(exception(
        ExceptionKind::AbsentFromArea,
        date!(2026 - 11 - 10),
        date!(2027 - 03 - 31),
    ));
    let decision = only(&case, K::DecisionWhetherToAssess);
    assert_eq!(decision.statutory, date!(2026 - 12 - 13));
    assert_eq!(decision.due, date!(2027 - 05 - 04));
}
