//! The statutory time limits of a case (docs/DOMAIN.md, "Stages of a case and their statutory
//! deadlines"), computed from its events and exceptions. Inside the hexagon: pure functions of
//! a [`Case`] — no clock, no storage. `today` is an argument wherever the answer depends on it
//! ([`Deadline::status`]); [`deadlines`] and [`next_key_date`] do not depend on it, so the web
//! layer can show them and storage can keep the next key date with the case for work trays.
//!
//! Calendar arithmetic (weeks, days, months, working days and the bank-holiday table) is in
//! [`calendar`] and re-exported here.
//!
//! Exceptions (reg 5(4), 8(2), 10(4), 13(3)) never pause a clock silently: a deadline they
//! move lists them in [`Deadline::affected_by`] and keeps its [`Deadline::statutory`] date
//! beside the later [`Deadline::due`] date.

pub mod calendar;

pub use calendar::{
    days_after, is_bank_holiday, is_working_day, long_date, months_after, weeks_after,
    within_months_starting, working_days_after, working_days_beginning_with,
};

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::{Case, CaseEvent, EventKind, EventNumber, PhaseTransfer, Stage};

/// Who must act by a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// A duty of the local authority: overdue when its day passes unmet.
    La,
    /// A period the family has (comments, appeal): it ends, it is never overdue.
    Family,
}

/// Which statutory time limit a [`Deadline`] is. The order of the variants is the order of
/// the process, used to break ties between deadlines due on the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Decide whether to carry out an EHC needs assessment: 6 weeks from the request
    /// (reg 5(1); exceptions reg 5(4)).
    DecisionWhetherToAssess,
    /// Advice asked for returned: 6 weeks from the request for advice (reg 8; exceptions
    /// reg 8(2) (?)).
    AdviceReturned,
    /// Notify a decision not to issue a plan: 16 weeks from the request (reg 10(1); exceptions
    /// reg 10(4)).
    NotifyNoPlan,
    /// Last day of the family's comments on the draft plan: at least 15 days beginning with the
    /// day it was served (reg 13(1)(a)).
    RepresentationsLastDay,
    /// Issue the final EHC plan: 20 weeks from the request (reg 13(2); exceptions reg 13(3)).
    FinalPlan,
    /// Review the plan: within 12 months starting with the day it was made, then with each
    /// review (CFA 2014 s.44(1)); every 6 months for under-5s (Code 9.178 (?)).
    AnnualReviewBy,
    /// Send the review meeting's invitations and circulate the advice: at least 2 weeks before
    /// the meeting (reg 20, 21).
    InvitationsAndAdviceBy,
    /// Send the review report: 2 weeks after the meeting (reg 20(7), 21(7) (?)).
    ReviewReport,
    /// Decide to maintain, amend or cease the plan: 4 weeks after the meeting
    /// (reg 20(10), 21(9) (?)).
    LaReviewDecision,
    /// Last day of the family's comments on proposed amendments: at least 15 days beginning
    /// with the day they were sent (reg 22(2)(c)).
    AmendmentCommentsLastDay,
    /// Issue the amended plan: 8 weeks from sending the proposals (reg 22(3)).
    AmendedPlanBy,
    /// Review and amend the plan before a phase transfer: 15 February, 31 March, or 5 months
    /// before a post-16 move (reg 18).
    PhaseTransferBy,
    /// A plan transferred from another LA: 15 working days (reg 15(2)).
    TransferredPlanBy,
    /// Last day to appeal: 2 months from the decision, or 1 month from a mediation
    /// certificate, whichever is later (reg 33, 34 (?)).
    AppealBy,
}

impl DeadlineKind {
    /// Every kind, in process order.
    pub const ALL: [Self; 14] = [
        Self::DecisionWhetherToAssess,
        Self::AdviceReturned,
        Self::NotifyNoPlan,
        Self::RepresentationsLastDay,
        Self::FinalPlan,
        Self::AnnualReviewBy,
        Self::InvitationsAndAdviceBy,
        Self::ReviewReport,
        Self::LaReviewDecision,
        Self::AmendmentCommentsLastDay,
        Self::AmendedPlanBy,
        Self::PhaseTransferBy,
        Self::TransferredPlanBy,
        Self::AppealBy,
    ];

    /// Stable snake_case name, as in shared/acceptance/deadlines.tsv and storage
    /// ("decision_whether_to_assess", "final_plan", …).
    pub fn name(self) -> &'static str {
        match self {
            Self::DecisionWhetherToAssess => "decision_whether_to_assess",
            Self::AdviceReturned => "advice_returned",
            Self::NotifyNoPlan => "notify_no_plan",
            Self::RepresentationsLastDay => "representations_last_day",
            Self::FinalPlan => "final_plan",
            Self::AnnualReviewBy => "annual_review_by",
            Self::InvitationsAndAdviceBy => "invitations_and_advice_by",
            Self::ReviewReport => "review_report",
            Self::LaReviewDecision => "la_review_decision",
            Self::AmendmentCommentsLastDay => "amendment_comments_last_day",
            Self::AmendedPlanBy => "amended_plan_by",
            Self::PhaseTransferBy => "phase_transfer_by",
            Self::TransferredPlanBy => "transferred_plan_by",
            Self::AppealBy => "appeal_by",
        }
    }

    /// The inverse of [`DeadlineKind::name`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == input)
    }

    /// The next step in words, for a work tray ("Decide whether to assess").
    pub fn describe(self) -> &'static str {
        match self {
            Self::DecisionWhetherToAssess => "Decide whether to assess",
            Self::AdviceReturned => "Advice due",
            Self::NotifyNoPlan => "Tell the family if no EHC plan will be issued",
            Self::RepresentationsLastDay => "Family's comments on the draft plan close",
            Self::FinalPlan => "Issue the final EHC plan",
            Self::AnnualReviewBy => "Review the EHC plan",
            Self::InvitationsAndAdviceBy => "Send review meeting invitations and advice",
            Self::ReviewReport => "Send the review report",
            Self::LaReviewDecision => "Decide whether to maintain, amend or cease the plan",
            Self::AmendmentCommentsLastDay => "Family's comments on the proposed amendments close",
            Self::AmendedPlanBy => "Issue the amended EHC plan",
            Self::PhaseTransferBy => "Review and amend the plan for the phase transfer",
            Self::TransferredPlanBy => "Transfer of the EHC plan from the previous LA due",
            Self::AppealBy => "Family's time to appeal to the tribunal ends",
        }
    }

    /// The source of the time limit. "(?)" marks a source taken from a secondary text, as in
    /// docs/DOMAIN.md: check it before relying on it.
    pub fn source(self) -> &'static str {
        match self {
            Self::DecisionWhetherToAssess => "SEN Regulations 2014, reg 5(1)",
            Self::AdviceReturned => "SEN Regulations 2014, reg 8",
            Self::NotifyNoPlan => "SEN Regulations 2014, reg 10(1)",
            Self::RepresentationsLastDay => "SEN Regulations 2014, reg 13(1)(a)",
            Self::FinalPlan => "SEN Regulations 2014, reg 13(2)",
            Self::AnnualReviewBy => {
                "Children and Families Act 2014, s.44(1); under-5s every 3 to 6 months, \
                 SEND Code of Practice 9.178 (?)"
            }
            Self::InvitationsAndAdviceBy => "SEN Regulations 2014, reg 20, 21",
            Self::ReviewReport => "SEN Regulations 2014, reg 20(7), 21(7) (?)",
            Self::LaReviewDecision => "SEN Regulations 2014, reg 20(10), 21(9) (?)",
            Self::AmendmentCommentsLastDay => "SEN Regulations 2014, reg 22(2)(c)",
            Self::AmendedPlanBy => "SEN Regulations 2014, reg 22(3)",
            Self::PhaseTransferBy => "SEN Regulations 2014, reg 18",
            Self::TransferredPlanBy => "SEN Regulations 2014, reg 15(2)",
            Self::AppealBy => "SEN Regulations 2014, reg 33, 34 (?)",
        }
    }

    /// The regulation whose exceptions can move this deadline (see [`Deadline::due`]), or
    /// `None` when no exception applies.
    pub fn exceptions_source(self) -> Option<&'static str> {
        match self {
            Self::DecisionWhetherToAssess => Some("SEN Regulations 2014, reg 5(4)"),
            Self::AdviceReturned => Some("SEN Regulations 2014, reg 8(2) (?)"),
            Self::NotifyNoPlan => Some("SEN Regulations 2014, reg 10(4)"),
            Self::FinalPlan => Some("SEN Regulations 2014, reg 13(3)"),
            _ => None,
        }
    }

    /// Whose period or duty it is: the family's for the comment periods and the appeal, the
    /// LA's for everything else.
    pub fn party(self) -> Party {
        match self {
            Self::RepresentationsLastDay | Self::AmendmentCommentsLastDay | Self::AppealBy => {
                Party::Family
            }
            _ => Party::La,
        }
    }

    /// The stage of the process the time limit belongs to, for the tracker's sections.
    pub fn stage(self) -> Stage {
        match self {
            Self::DecisionWhetherToAssess => Stage::RequestReceived,
            Self::AdviceReturned | Self::NotifyNoPlan => Stage::Assessment,
            Self::RepresentationsLastDay | Self::FinalPlan => Stage::DraftPlan,
            Self::AnnualReviewBy
            | Self::AmendmentCommentsLastDay
            | Self::AmendedPlanBy
            | Self::PhaseTransferBy
            | Self::TransferredPlanBy => Stage::PlanMaintained,
            Self::InvitationsAndAdviceBy | Self::ReviewReport | Self::LaReviewDecision => {
                Stage::Review
            }
            Self::AppealBy => Stage::Closed,
        }
    }
}

/// How many days ahead (today included: due today is 0 days left) a deadline is
/// [`DeadlineStatus::DueSoon`].
pub const DUE_SOON_DAYS: i64 = 14;

/// One statutory date of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Which time limit.
    pub kind: DeadlineKind,
    /// The day the time limit is counted from: the request received, the event's day, or the
    /// meeting's day for [`DeadlineKind::InvitationsAndAdviceBy`] (counted back from it). For
    /// [`DeadlineKind::PhaseTransferBy`] the day the transfer was recorded as due: the
    /// regulation fixes a calendar date, which may fall before it.
    pub counts_from: Date,
    /// The date the regulation gives, before any exception.
    pub statutory: Date,
    /// The date that applies: [`Deadline::statutory`] moved later by one day for each distinct
    /// day of the recorded exceptions that falls within `counts_from..=statutory`. Never before
    /// `statutory`.
    pub due: Date,
    /// The exceptions that moved it, as indices into [`Case::exceptions`], in increasing order.
    pub affected_by: Vec<usize>,
    /// The day of the event that met it, if one did.
    pub met_on: Option<Date>,
    /// The event it is about, when it counts from one (the advice request, the review meeting,
    /// the proposals, the decision appealed against, …); `None` when it counts from the
    /// request received.
    pub about: Option<EventNumber>,
}

/// Where a deadline stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineStatus {
    /// Open, and more than [`DUE_SOON_DAYS`] days away.
    NotDueYet {
        /// Days from today to the due date.
        days_left: i64,
    },
    /// Open and due within [`DUE_SOON_DAYS`] days, today included (`days_left` 0 to 14).
    DueSoon {
        /// Days from today to the due date (0: due today).
        days_left: i64,
    },
    /// An LA duty whose due date passed unmet.
    Overdue {
        /// Days since the due date (at least 1).
        days_late: i64,
    },
    /// Met by an event.
    Met {
        /// The event's day.
        on: Date,
        /// Whether that day was after the due date.
        late: bool,
    },
    /// A family period whose last day has passed.
    Ended,
}

impl DeadlineStatus {
    /// The status in words: "Due today", "Due in 5 days", "Overdue by 3 days",
    /// "Met on 16 February 2026", "Met late on 17 February 2026", "Ended".
    pub fn describe(&self) -> String {
        let days = |n: i64| {
            if n == 1 {
                "1 day".to_owned()
            } else {
                format!("{n} days")
            }
        };
        match *self {
            Self::NotDueYet { days_left: 0 } | Self::DueSoon { days_left: 0 } => "Due today".into(),
            Self::NotDueYet { days_left } | Self::DueSoon { days_left } => {
                format!("Due in {}", days(days_left))
            }
            Self::Overdue { days_late } => format!("Overdue by {}", days(days_late)),
            Self::Met { on, late: false } => format!("Met on {}", long_date(on)),
            Self::Met { on, late: true } => format!("Met late on {}", long_date(on)),
            Self::Ended => "Ended".into(),
        }
    }

    /// Stable key for styles and filters: "not-due", "due-soon", "overdue", "met", "ended".
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotDueYet { .. } => "not-due",
            Self::DueSoon { .. } => "due-soon",
            Self::Overdue { .. } => "overdue",
            Self::Met { .. } => "met",
            Self::Ended => "ended",
        }
    }
}

impl Deadline {
    /// Whether nothing has met it yet. Family periods are never met: they stay open and
    /// [`DeadlineStatus::Ended`] once their last day passes.
    pub fn is_open(&self) -> bool {
        self.met_on.is_none()
    }

    /// Where it stands on `today` (the LA's calendar date).
    ///
    /// Met → [`DeadlineStatus::Met`], late when met after [`Deadline::due`] — except for
    /// [`DeadlineKind::InvitationsAndAdviceBy`], which the meeting being held closes: the hub
    /// records no day for the invitations themselves, so it never calls them late. Open → due
    /// within [`DUE_SOON_DAYS`] days (today included) is [`DeadlineStatus::DueSoon`], later
    /// [`DeadlineStatus::NotDueYet`]; past the due date an LA duty is
    /// [`DeadlineStatus::Overdue`] and a family period [`DeadlineStatus::Ended`].
    pub fn status(&self, today: Date) -> DeadlineStatus {
        if let Some(on) = self.met_on {
            let late = on > self.due && self.kind != DeadlineKind::InvitationsAndAdviceBy;
            return DeadlineStatus::Met { on, late };
        }
        DeadlineStatus::of_open(self.due, self.kind.party(), today)
    }
}

impl DeadlineStatus {
    /// Where an open (unmet) date `due` of `party` stands on `today`: due within
    /// [`DUE_SOON_DAYS`] days (today included), later, or past — overdue for an LA duty, ended
    /// for a family period. A work tray shows its next key date (an LA duty) this way.
    pub fn of_open(due: Date, party: Party, today: Date) -> Self {
        match ((due - today).whole_days(), party) {
            (d, Party::La) if d < 0 => Self::Overdue { days_late: -d },
            (d, Party::Family) if d < 0 => Self::Ended,
            (d, _) if d <= DUE_SOON_DAYS => Self::DueSoon { days_left: d },
            (d, _) => Self::NotDueYet { days_left: d },
        }
    }
}

/// Builds deadlines for one case: the exceptions' effect, and the events' positions.
struct Timers<'a> {
    case: &'a Case,
    out: Vec<Deadline>,
}

impl<'a> Timers<'a> {
    /// The first event recorded after position `pos` that matches `pick`.
    fn after(&self, pos: usize, pick: impl Fn(&EventKind) -> bool) -> Option<&'a CaseEvent> {
        self.case
            .events
            .iter()
            .skip(pos + 1)
            .find(|e| pick(&e.kind))
    }

    /// The last event matching `pick`, with its position.
    fn last(&self, pick: impl Fn(&EventKind) -> bool) -> Option<(usize, &'a CaseEvent)> {
        self.case
            .events
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| pick(&e.kind))
    }

    fn push(
        &mut self,
        kind: DeadlineKind,
        counts_from: Date,
        statutory: Date,
        met_on: Option<Date>,
        about: Option<EventNumber>,
    ) {
        let (extra, affected_by) = if kind.exceptions_source().is_some() {
            paused_days(self.case, counts_from, statutory)
        } else {
            (0, Vec::new())
        };
        self.out.push(Deadline {
            kind,
            counts_from,
            statutory,
            due: days_after(statutory, extra).max(statutory),
            affected_by,
            met_on,
            about,
        });
    }
}

/// How many days exceptions pause a clock running from `from` with `statutory` as its end:
/// the exception days within the period, counted again over the days they add, until no more
/// are added — so a deadline never falls inside an exception that is still running, and the
/// period outside exceptions stays as long as the statute's. With the indices of the
/// exceptions that count. Ends: each round adds only days of windows after the previous end.
fn paused_days(case: &Case, from: Date, statutory: Date) -> (i64, Vec<usize>) {
    let mut end = statutory;
    loop {
        let (days, affected) = exception_days(case, from, end);
        let next = days_after(statutory, days).max(statutory);
        if next <= end {
            return (days, affected);
        }
        end = next;
    }
}

/// The distinct days of the case's exception windows ([`super::DeadlineException::window`])
/// within `from..=to`, and the indices of the exceptions that have any.
fn exception_days(case: &Case, from: Date, to: Date) -> (i64, Vec<usize>) {
    let mut windows: Vec<(Date, Date)> = Vec::new();
    let mut affected = Vec::new();
    for (i, exception) in case.exceptions.iter().enumerate() {
        let (start, end) = exception.window();
        let (start, end) = (start.max(from), end.min(to));
        if start <= end {
            windows.push((start, end));
            affected.push(i);
        }
    }
    windows.sort();
    let mut days = 0;
    let mut counted_to: Option<Date> = None;
    for (start, end) in windows {
        let start = match counted_to {
            Some(c) if c >= end => continue,
            Some(c) if c >= start => days_after(c, 1),
            _ => start,
        };
        days += (end - start).whole_days() + 1;
        counted_to = Some(end);
    }
    (days, affected)
}

/// Every statutory date that applies to `case` now, ordered by [`Deadline::due`] (then by
/// kind, in process order, then by the event it is about). Independent of today: use
/// [`Deadline::status`] for where each stands. Total: no error, no panic.
///
/// | kind | counted from | date | met by |
/// |---|---|---|---|
/// | decision whether to assess | request received | + 6 weeks (reg 5(1)) | the decision to assess or not |
/// | advice returned | each advice request | + 6 weeks (reg 8) | the advice received for it |
/// | notify no plan | request received | + 16 weeks (reg 10(1)) | a decision not to issue, or the first draft plan (the LA decided to issue) |
/// | representations last day | the last draft plan served | + 14 days: 15 days beginning with the day served (reg 13(1)(a)) | — (family; ends) |
/// | final plan | request received | + 20 weeks (reg 13(2)) | the final plan issued |
/// | annual review by | the later of the plan (issued or transferred in) and the last review meeting held | the end of 12 months starting with it ([`within_months_starting`]; 6 months if the child is under 5 that day) | — (open while the plan is in force) |
/// | invitations and advice by | the last meeting arranged | meeting − 14 days (reg 20, 21) | the meeting held after it was arranged |
/// | review report | the last meeting held | + 2 weeks | its report ([`super::meeting::MeetingReport::sent_on`]), or the review decision after it, whichever is first |
/// | LA review decision | the last meeting held | + 4 weeks | the review decision after it |
/// | amendment comments last day | the last proposals | + 14 days (reg 22(2)(c)) | — (family; ends) |
/// | amended plan by | the last proposals | + 8 weeks (reg 22(3)) | the amended plan issued after them |
/// | phase transfer by | each phase transfer recorded | 15 February / 31 March of the year, or 5 months before a post-16 move (reg 18) | an amended plan or review decision after it |
/// | transferred plan by | the transfer in | the 15th working day beginning with that day (reg 15(2)) | the next event recorded |
/// | appeal by | the latest appealable decision | + 2 months, or a later mediation certificate + 1 month (reg 33, 34) | — (family; ends) |
///
/// "After" means recorded later in [`Case::events`]. Decision whether to assess, notify no
/// plan and final plan do not apply to a case that came in by transfer ([`EventKind::TransferIn`]:
/// the plan moved with the child); notify no plan and final plan are dropped once the LA
/// decided not to assess, and the final plan once it decided not to issue. Recorded
/// exceptions move only decision whether to assess, advice returned, notify no plan and final
/// plan (the kinds with a [`DeadlineKind::exceptions_source`]; see [`Deadline::due`]). Once
/// the case is closed ([`Stage::Closed`]), only the deadlines that were met and the appeal
/// period remain.
pub fn deadlines(case: &Case) -> Vec<Deadline> {
    let mut t = Timers {
        case,
        out: Vec::new(),
    };
    let received = case.received_on;
    let transferred_in = case.first(|k| matches!(k, EventKind::TransferIn { .. }));
    let not_assessed = case
        .first(|k| matches!(k, EventKind::DecisionToAssess { assess: false }))
        .is_some();
    let not_issued = case
        .first(|k| matches!(k, EventKind::DecisionNotToIssue))
        .is_some();

    // 1, 3, 5: the assessment, counted from the request.
    if transferred_in.is_none() {
        let decided = case.first(|k| matches!(k, EventKind::DecisionToAssess { .. }));
        t.push(
            DeadlineKind::DecisionWhetherToAssess,
            received,
            weeks_after(received, 6),
            decided.map(|e| e.on),
            None,
        );
        if !not_assessed {
            let settled = case.first(|k| {
                matches!(
                    k,
                    EventKind::DecisionNotToIssue | EventKind::DraftPlanServed
                )
            });
            t.push(
                DeadlineKind::NotifyNoPlan,
                received,
                weeks_after(received, 16),
                settled.map(|e| e.on),
                None,
            );
            if !not_issued {
                let issued = case.first(|k| matches!(k, EventKind::FinalPlanIssued));
                t.push(
                    DeadlineKind::FinalPlan,
                    received,
                    weeks_after(received, 20),
                    issued.map(|e| e.on),
                    None,
                );
            }
        }
    }

    // 2: each request for advice.
    for (pos, event) in case.events.iter().enumerate() {
        if matches!(event.kind, EventKind::AdviceRequested { .. }) {
            let number = event.number;
            let answered = t.after(
                pos,
                |k| matches!(k, EventKind::AdviceReceived { request } if *request == number),
            );
            t.push(
                DeadlineKind::AdviceReturned,
                event.on,
                weeks_after(event.on, 6),
                answered.map(|e| e.on),
                Some(number),
            );
        }
    }

    // 4: comments on the last draft.
    if let Some((_, draft)) = t.last(|k| matches!(k, EventKind::DraftPlanServed)) {
        t.push(
            DeadlineKind::RepresentationsLastDay,
            draft.on,
            days_after(draft.on, 14),
            None,
            Some(draft.number),
        );
    }

    annual_review(&mut t);
    review_meetings(&mut t);
    amendments_and_transfers(&mut t);
    appeal(&mut t);

    let mut out = t.out;
    if case.stage() == Stage::Closed {
        out.retain(|d| d.met_on.is_some() || d.kind == DeadlineKind::AppealBy);
    }
    out.sort_by(|a, b| {
        (a.due, a.kind, a.about, a.counts_from).cmp(&(b.due, b.kind, b.about, b.counts_from))
    });
    out
}

/// 6: the annual review, while a plan is in force.
fn annual_review(t: &mut Timers<'_>) {
    let case = t.case;
    if case.stage() == Stage::Closed {
        return;
    }
    let plan =
        case.first(|k| matches!(k, EventKind::FinalPlanIssued | EventKind::TransferIn { .. }));
    let Some(plan) = plan else { return };
    let held = t
        .last(|k| matches!(k, EventKind::ReviewMeetingHeld))
        .map(|(_, e)| e);
    let start = match held {
        Some(h) if h.on >= plan.on => h,
        _ => plan,
    };
    let months = if case.child.age_on(start.on) < 5 {
        6
    } else {
        12
    };
    t.push(
        DeadlineKind::AnnualReviewBy,
        start.on,
        within_months_starting(start.on, months),
        None,
        Some(start.number),
    );
}

/// 7, 8, 9: the last meeting arranged and the last meeting held.
fn review_meetings(t: &mut Timers<'_>) {
    let scheduled = t.last(|k| matches!(k, EventKind::ReviewMeetingScheduled { .. }));
    if let Some((pos, event)) = scheduled
        && let EventKind::ReviewMeetingScheduled { meeting_on } = event.kind
    {
        let held = t.after(pos, |k| matches!(k, EventKind::ReviewMeetingHeld));
        t.push(
            DeadlineKind::InvitationsAndAdviceBy,
            meeting_on,
            days_after(meeting_on, -14),
            held.map(|e| e.on),
            Some(event.number),
        );
    }
    if let Some((pos, held)) = t.last(|k| matches!(k, EventKind::ReviewMeetingHeld)) {
        let decided = t
            .after(pos, |k| matches!(k, EventKind::ReviewDecision { .. }))
            .map(|e| e.on);
        let about = Some(held.number);
        // The report recorded for the meeting held, if the hub has it; else the decision.
        let reported = t
            .case
            .meetings
            .iter()
            .filter(|m| m.held.is_some_and(|(e, _)| e == held.number))
            .find_map(|m| m.report.as_ref().map(|r| r.sent_on));
        let report_met = match (reported, decided) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        };
        t.push(
            DeadlineKind::ReviewReport,
            held.on,
            weeks_after(held.on, 2),
            report_met,
            about,
        );
        t.push(
            DeadlineKind::LaReviewDecision,
            held.on,
            weeks_after(held.on, 4),
            decided,
            about,
        );
    }
}

/// 10, 11, 12: amendments, phase transfers and a transfer in.
fn amendments_and_transfers(t: &mut Timers<'_>) {
    if let Some((pos, proposed)) = t.last(|k| matches!(k, EventKind::AmendmentProposed)) {
        let issued = t
            .after(pos, |k| matches!(k, EventKind::AmendedPlanIssued))
            .map(|e| e.on);
        let about = Some(proposed.number);
        let on = proposed.on;
        t.push(
            DeadlineKind::AmendmentCommentsLastDay,
            on,
            days_after(on, 14),
            None,
            about,
        );
        t.push(
            DeadlineKind::AmendedPlanBy,
            on,
            weeks_after(on, 8),
            issued,
            about,
        );
    }
    for (pos, event) in t.case.events.iter().enumerate() {
        match &event.kind {
            EventKind::PhaseTransferDue { transfer } => {
                let done = t.after(pos, |k| {
                    matches!(
                        k,
                        EventKind::AmendedPlanIssued | EventKind::ReviewDecision { .. }
                    )
                });
                t.push(
                    DeadlineKind::PhaseTransferBy,
                    event.on,
                    phase_transfer_by(*transfer),
                    done.map(|e| e.on),
                    Some(event.number),
                );
            }
            EventKind::TransferIn { .. } => {
                let next = t.case.events.get(pos + 1).map(|e| e.on);
                t.push(
                    DeadlineKind::TransferredPlanBy,
                    event.on,
                    working_days_beginning_with(event.on, 15),
                    next,
                    Some(event.number),
                );
            }
            _ => {}
        }
    }
}

/// The reg 18 date for a phase transfer: 15 February (reg 18(1)(b)) or 31 March
/// (reg 18(1)(a)) of the year of transfer, or 5 months before a post-16 move (reg 18(2)).
fn phase_transfer_by(transfer: PhaseTransfer) -> Date {
    let fixed = |year: i32, month: Month, day: u8| {
        Date::from_calendar_date(year, month, day).unwrap_or(if year < 0 {
            Date::MIN
        } else {
            Date::MAX
        })
    };
    match transfer {
        PhaseTransfer::School { year } => fixed(year, Month::February, 15),
        PhaseTransfer::SecondaryToPost16 { year } => fixed(year, Month::March, 31),
        PhaseTransfer::Post16ToPost16 { moves_on } => months_after(moves_on, -5),
    }
}

/// 13: the appeal against the latest appealable decision.
fn appeal(t: &mut Timers<'_>) {
    let decision = t.last(|k| {
        matches!(
            k,
            EventKind::DecisionToAssess { assess: false }
                | EventKind::DecisionNotToIssue
                | EventKind::FinalPlanIssued
                | EventKind::AmendedPlanIssued
                | EventKind::ReviewDecision { .. }
        )
    });
    let Some((pos, decision)) = decision else {
        return;
    };
    let mediation = t
        .case
        .events
        .iter()
        .skip(pos + 1)
        .rev()
        .find(|e| matches!(e.kind, EventKind::MediationCertificate));
    let by_decision = months_after(decision.on, 2);
    let by = mediation.map_or(by_decision, |m| by_decision.max(months_after(m.on, 1)));
    t.push(
        DeadlineKind::AppealBy,
        decision.on,
        by,
        None,
        Some(decision.number),
    );
}

/// The open LA duty due first (ties: in process order): what a work tray shows as the case's
/// next key date. Family periods are left out. Independent of today, so storage can keep it
/// with the case; `None` when no LA duty is open.
pub fn next_key_date(case: &Case) -> Option<Deadline> {
    deadlines(case)
        .into_iter()
        .find(|d| d.is_open() && d.kind.party() == Party::La)
}
