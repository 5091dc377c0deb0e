//! Cases built directly, for tests of what the core computes from a case's history
//! ([`crate::case::deadline`]). [`blank_case`] and [`push_event`] bypass
//! [`Case::record_event`]'s checks on purpose, so a test can state exactly the history it means;
//! [`crate::test_support::strategies::case`] builds histories through those checks.

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::case::{
    Case, CaseEvent, CaseId, Child, EventKind, EventNumber, LaReference, ReceivedBy,
};

/// A case with no events and no exceptions, whose request was received on `received_on`, for a
/// child born on `date_of_birth`.
pub fn blank_case(received_on: Date, date_of_birth: Date) -> Case {
    let Ok(la_reference) = LaReference::parse("TEST/1") else {
        unreachable!("a valid reference")
    };
    Case {
        id: CaseId(Uuid::nil()),
        la_reference,
        child: Child {
            given_name: "Sam".into(),
            family_name: "Example".into(),
            date_of_birth,
        },
        received_on,
        received_by: ReceivedBy::Online,
        settings: Vec::new(),
        officer: None,
        family: Vec::new(),
        events: Vec::new(),
        exceptions: Vec::new(),
        withdrawn: Vec::new(),
        advice: Vec::new(),
        created_at: midnight(received_on),
    }
}

/// Appends an event happening on `on`, unchecked, numbering it like [`Case::record_event`].
pub fn push_event(case: &mut Case, kind: EventKind, on: Date) -> EventNumber {
    let number = EventNumber(
        u32::try_from(case.events.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1),
    );
    case.events.push(CaseEvent {
        number,
        on,
        kind,
        recorded_at: midnight(on),
        recorded_by: None,
    });
    number
}

/// The start of `day`, in UTC.
pub fn midnight(day: Date) -> OffsetDateTime {
    day.midnight().assume_utc()
}
