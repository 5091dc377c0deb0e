//! PLACEHOLDER — replaced by the deadlines branch.
use super::{Case, EventNumber};
use time::Date;

pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    La,
    Family,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeadlineKind {
    DecisionWhetherToAssess,
    FinalPlan,
}
impl DeadlineKind {
    pub fn name(self) -> &'static str {
        "x"
    }
    pub fn describe(self) -> &'static str {
        match self {
            Self::DecisionWhetherToAssess => "Decide whether to assess",
            Self::FinalPlan => "Issue the final EHC plan",
        }
    }
    pub fn source(self) -> &'static str {
        "reg"
    }
    pub fn party(self) -> Party {
        Party::La
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub counts_from: Date,
    pub statutory: Date,
    pub due: Date,
    pub affected_by: Vec<usize>,
    pub met_on: Option<Date>,
    pub about: Option<EventNumber>,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStatus {
    NotDueYet { days_left: i64 },
    DueSoon { days_left: i64 },
    Overdue { days_late: i64 },
    Met { on: Date, late: bool },
    Ended,
}
impl DeadlineStatus {
    pub fn of_open(due: Date, today: Date) -> Self {
        let d = (due - today).whole_days();
        if d < 0 {
            Self::Overdue { days_late: -d }
        } else if d <= 14 {
            Self::DueSoon { days_left: d }
        } else {
            Self::NotDueYet { days_left: d }
        }
    }
    pub fn describe(&self) -> String {
        format!("{self:?}")
    }
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
    pub fn status(&self, today: Date) -> DeadlineStatus {
        match self.met_on {
            Some(on) => DeadlineStatus::Met {
                on,
                late: on > self.due,
            },
            None => DeadlineStatus::of_open(self.due, today),
        }
    }
    pub fn is_open(&self) -> bool {
        self.met_on.is_none()
    }
}
pub fn deadlines(case: &Case) -> Vec<Deadline> {
    let d = case.received_on + time::Duration::weeks(6);
    let met = case
        .first(|k| matches!(k, super::EventKind::DecisionToAssess { .. }))
        .map(|e| e.on);
    vec![Deadline {
        kind: DeadlineKind::DecisionWhetherToAssess,
        counts_from: case.received_on,
        statutory: d,
        due: d,
        affected_by: vec![],
        met_on: met,
        about: None,
    }]
}
pub fn next_key_date(case: &Case) -> Option<Deadline> {
    deadlines(case)
        .into_iter()
        .filter(|d| d.is_open())
        .min_by_key(|d| d.due)
}
