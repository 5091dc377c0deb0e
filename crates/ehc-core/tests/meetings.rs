//! Review meetings in the core: the pure rules of a meeting (short notice, timed alerts) and the
//! case service's meeting use cases on the in-memory store — who may arrange a meeting, reply
//! and give views, what each change writes (timeline, audit, e-mail alerts without the child's
//! details) and how the tracker follows the meeting, its report and the LA's decision.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::AuditKind;
use ehc_core::case::deadline::DeadlineKind;
use ehc_core::case::meeting::{
    MeetingAlert, MeetingNumber, NewMeeting, Organiser, Reply, ReviewMeeting, clock_time,
    short_notice,
};
use ehc_core::case::{
    CaseError, CaseId, CaseService, CaseServiceError, EventKind, NewCase, REPLY_ACTION, ReceivedBy,
    ReviewOutcome, Withdrawal,
};
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::{Store, StoreError};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::cases::{blank_case, midnight};
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::macros::{date, datetime, time};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);
const TODAY: Date = date!(2026 - 03 - 02);
const MEETING_DAY: Date = date!(2026 - 03 - 30);

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn urn(s: &str) -> Urn {
    Urn::parse(s).unwrap()
}

// ---- the pure rules ----------------------------------------------------------------------------

/// A meeting on 30 March 2026 arranged on 2 March, with two invitees who have not replied; the
/// first account (1) is the organiser.
fn meeting() -> ReviewMeeting {
    let mut case = blank_case(date!(2026 - 01 - 05), date!(2019 - 05 - 01));
    ehc_core::test_support::cases::push_event(
        &mut case,
        EventKind::FinalPlanIssued,
        date!(2026 - 02 - 10),
    );
    let number = case
        .schedule_meeting(
            NewMeeting {
                on: MEETING_DAY,
                starts_at: time!(10:00),
                place: "Anytown Primary School, room 4".into(),
                invitees: vec![
                    (id(1), "LA officer".into()),
                    (id(2), "Parent or carer".into()),
                    (id(3), "Contributor of advice".into()),
                    (id(2), "Parent or carer".into()),
                ],
            },
            TODAY,
            NOW,
            Organiser::La { account: id(1) },
        )
        .unwrap();
    case.meeting(number).unwrap().clone()
}

#[test]
fn less_than_two_weeks_notice_is_short_and_two_weeks_is_not() {
    assert!(short_notice(date!(2026 - 03 - 15), TODAY), "13 days");
    assert!(!short_notice(date!(2026 - 03 - 16), TODAY), "14 days");
    assert!(short_notice(TODAY, TODAY));
}

#[test]
fn times_are_written_the_govuk_way() {
    assert_eq!(clock_time(time!(10:00)), "10am");
    assert_eq!(clock_time(time!(14:30)), "2:30pm");
    assert_eq!(clock_time(time!(12:00)), "midday");
    assert_eq!(clock_time(time!(0:00)), "midnight");
    assert_eq!(clock_time(time!(0:15)), "12:15am");
}

#[test]
fn an_invitee_who_has_not_replied_is_reminded_a_week_before_and_only_once() {
    let mut m = meeting();
    assert_eq!(m.invitees.len(), 3, "the same person is invited once");
    assert_eq!(m.next_alert_on(), Some(date!(2026 - 03 - 23)));
    assert!(m.due_alerts(date!(2026 - 03 - 22)).is_empty());

    m.invitees[2].reply = Reply::Declined { at: NOW };
    let due = m.due_alerts(date!(2026 - 03 - 23));
    assert_eq!(
        due,
        [MeetingAlert::ReplyReminder { invitee: id(2) }],
        "not the organiser, not who replied"
    );
    m.record_alert_sent(due[0], date!(2026 - 03 - 23));
    assert!(m.due_alerts(date!(2026 - 03 - 24)).is_empty(), "once");
    assert_eq!(m.next_alert_on(), None);
}

#[test]
fn a_reminder_not_sent_lapses_after_the_meetings_day_and_none_when_invited_within_a_week() {
    let m = meeting();
    assert_eq!(m.due_alerts(MEETING_DAY).len(), 2, "due until the day");
    assert!(m.due_alerts(date!(2026 - 03 - 31)).is_empty());

    // Once the day has passed, the scheduler records them lapsed and stops looking.
    let mut passed = meeting();
    assert!(
        passed
            .next_alert_on()
            .is_some_and(|d| d < date!(2026 - 03 - 31))
    );
    assert!(
        !passed.lapse_reminders(MEETING_DAY),
        "not before the day is over"
    );
    assert!(passed.lapse_reminders(date!(2026 - 03 - 31)));
    assert_eq!(passed.next_alert_on(), None);
    assert!(passed.alerts_sent.iter().all(|s| s.lapsed));
    assert!(!passed.lapse_reminders(date!(2026 - 04 - 01)), "once");

    let mut late = meeting();
    late.invited_on = date!(2026 - 03 - 25);
    assert!(late.due_alerts(date!(2026 - 03 - 26)).is_empty());
    assert_eq!(late.next_alert_on(), None);

    let mut withdrawn = meeting();
    withdrawn.withdrawn = true;
    assert!(withdrawn.due_alerts(date!(2026 - 03 - 23)).is_empty());
    assert_eq!(withdrawn.next_alert_on(), None);
}

#[test]
fn the_officer_is_alerted_the_day_after_the_report_was_due_once_and_not_once_it_is_recorded() {
    let mut m = meeting();
    m.held = Some((ehc_core::case::EventNumber(9), MEETING_DAY));
    assert_eq!(m.report_due(), Some(date!(2026 - 04 - 13)));
    assert_eq!(m.decision_due(), Some(date!(2026 - 04 - 27)));
    assert_eq!(
        m.next_alert_on(),
        Some(date!(2026 - 04 - 14)),
        "no reminder once held"
    );
    assert!(m.due_alerts(date!(2026 - 04 - 13)).is_empty());
    assert_eq!(
        m.due_alerts(date!(2026 - 04 - 14)),
        [MeetingAlert::ReportOverdue]
    );
    assert_eq!(
        m.due_alerts(date!(2026 - 05 - 01)),
        [MeetingAlert::ReportOverdue],
        "still due when the job missed days"
    );
    let mut sent = m.clone();
    sent.record_alert_sent(MeetingAlert::ReportOverdue, date!(2026 - 04 - 14));
    sent.record_alert_sent(MeetingAlert::ReportOverdue, date!(2026 - 04 - 15));
    assert_eq!(sent.alerts_sent.len(), 1);
    assert!(sent.due_alerts(date!(2026 - 04 - 20)).is_empty());
    assert_eq!(sent.next_alert_on(), None);

    m.report = Some(ehc_core::case::meeting::MeetingReport {
        sent_on: date!(2026 - 04 - 10),
        text: "Report".into(),
        recorded_at: midnight(date!(2026 - 04 - 10)),
        recorded_by: id(1),
    });
    assert!(m.due_alerts(date!(2026 - 04 - 20)).is_empty());
    assert_eq!(m.next_alert_on(), None);
}

// ---- the service -------------------------------------------------------------------------------

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, Arc<SeededSecretSource>>,
    officer: AccountId,
    case: CaseId,
}

const SENDCO: u128 = 2;
const OTHER_SENDCO: u128 = 3;
const PARENT: u128 = 4;
const CONTRIBUTOR: u128 = 5;
const OTHER_PARENT: u128 = 6;
const OTHER_CONTRIBUTOR: u128 = 7;

impl World {
    /// A case with an EHC plan issued on 10 February 2026, linked to setting 100001, with its
    /// SENDCo, a parent, a contributor, a second parent and a second contributor; and a SENDCo of
    /// another setting.
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            Arc::new(SeededSecretSource::new(7)),
            SecuritySettings::default(),
        );
        let mut w = Self {
            store,
            cases,
            officer: id(1),
            case: CaseId(Uuid::nil()),
        };
        w.person(1, "officer@anytown.example", Role::LaOfficer)
            .await;
        w.case = w
            .cases
            .create(
                w.officer,
                NewCase {
                    la_reference: "EHC-7".into(),
                    given_name: "Ava".into(),
                    family_name: "Thornbury".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: date!(2026 - 01 - 05),
                    received_by: ReceivedBy::Post,
                    settings: vec![urn("100001")],
                },
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        for (kind, on) in [
            (
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 01 - 10),
            ),
            (EventKind::DraftPlanServed, date!(2026 - 01 - 20)),
            (EventKind::FinalPlanIssued, date!(2026 - 02 - 10)),
        ] {
            w.record(kind, on).await.unwrap();
        }
        let case = w.case;
        w.person(
            SENDCO,
            "sendco@school.example",
            Role::Sendco {
                setting: urn("100001"),
            },
        )
        .await;
        w.person(
            OTHER_SENDCO,
            "other.sendco@school.example",
            Role::Sendco {
                setting: urn("100002"),
            },
        )
        .await;
        w.person(PARENT, "parent@example.org", Role::ParentCarer { case })
            .await;
        w.person(CONTRIBUTOR, "ep@example.org", Role::Contributor { case })
            .await;
        w.person(
            OTHER_PARENT,
            "other.parent@example.org",
            Role::ParentCarer { case },
        )
        .await;
        w.person(
            OTHER_CONTRIBUTOR,
            "slt@example.org",
            Role::Contributor { case },
        )
        .await;
        w
    }

    async fn person(&self, n: u128, email: &str, role: Role) -> AccountId {
        let mut tx = self.store.begin().await.unwrap();
        tx.accounts()
            .insert(&Account {
                id: id(n),
                email: EmailAddress::parse(email).unwrap(),
                password_hash: PasswordHash::from_phc("$argon2id$unused"),
                created_at: NOW,
            })
            .await
            .unwrap();
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId(Uuid::from_u128(1000 + n)),
                account: id(n),
                role,
                granted_by: Grantor::System,
                granted_at: NOW,
                expires_at: None,
                revoked: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id(n)
    }

    async fn version(&self) -> i64 {
        self.cases
            .view(self.officer, self.case, NOW, None)
            .await
            .unwrap()
            .version
    }

    async fn record(&self, kind: EventKind, on: Date) -> Result<(), CaseServiceError> {
        let version = self.version().await;
        self.cases
            .record_event(self.officer, self.case, version, kind, on, NOW, TODAY, None)
            .await
    }

    async fn schedule(
        &self,
        by: AccountId,
        on: Date,
        invitees: &[u128],
    ) -> Result<MeetingNumber, CaseServiceError> {
        let version = self.version().await;
        let invitees: Vec<AccountId> = invitees.iter().map(|n| id(*n)).collect();
        self.cases
            .schedule_meeting(
                by,
                self.case,
                version,
                &invitees,
                (on, time!(10:00), "Anytown Primary School, room 4"),
                NOW,
                TODAY,
                None,
            )
            .await
    }

    async fn meeting(&self, number: MeetingNumber) -> ReviewMeeting {
        self.cases
            .view_meeting(self.officer, self.case, number, NOW, None)
            .await
            .unwrap()
            .meeting
    }

    /// Every e-mail queued: (recipient, what it asks, debug text of the whole message).
    async fn emails(&self) -> Vec<(String, String, String)> {
        self.store
            .outbox_messages()
            .await
            .into_iter()
            .filter_map(|m| {
                let Recipient::Email(to) = &m.recipient else {
                    return None;
                };
                let what = match &m.content {
                    MessageContent::CaseUpdate {
                        update: CaseUpdate::ActionRequested { action, .. },
                        ..
                    } => action.clone(),
                    MessageContent::CaseUpdate {
                        update: CaseUpdate::DocumentAdded { kind },
                        ..
                    } => kind.clone(),
                    _ => return None,
                };
                Some((to.to_string(), what, format!("{m:?}")))
            })
            .collect()
    }

    async fn changes(&self) -> usize {
        self.store
            .audit_events()
            .await
            .iter()
            .filter(|e| e.kind == AuditKind::CaseChanged)
            .count()
    }
}

#[test]
fn an_la_officer_arranges_a_meeting_and_each_invitee_but_the_officer_gets_an_invitation_without_the_childs_details()
 {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(w.officer, MEETING_DAY, &[1, SENDCO, PARENT, CONTRIBUTOR])
            .await
            .unwrap();
        assert_eq!(number, MeetingNumber(1));

        let m = w.meeting(number).await;
        assert_eq!(m.on, MEETING_DAY);
        assert_eq!(m.place, "Anytown Primary School, room 4");
        assert_eq!(m.organiser, Organiser::La { account: w.officer });
        let parts: Vec<&str> = m.invitees.iter().map(|i| i.part.as_str()).collect();
        assert!(parts.contains(&"Parent or carer"), "{parts:?}");
        assert!(parts.contains(&"Contributor of advice"), "{parts:?}");
        assert!(m.invitees.iter().all(|i| i.reply == Reply::Awaiting));

        let emails = w.emails().await;
        let mut to: Vec<&str> = emails.iter().map(|(t, _, _)| t.as_str()).collect();
        to.sort_unstable();
        assert_eq!(
            to,
            [
                "ep@example.org",
                "parent@example.org",
                "sendco@school.example"
            ]
        );
        for (_, what, whole) in &emails {
            assert_eq!(what, REPLY_ACTION);
            assert!(whole.contains("EHC-7"), "{whole}");
            assert!(
                !whole.contains("Ava") && !whole.contains("Thornbury"),
                "{whole}"
            );
        }

        let view = w.cases.view(w.officer, w.case, NOW, None).await.unwrap();
        assert!(matches!(
            view.case.events.last().unwrap().kind,
            EventKind::ReviewMeetingScheduled { meeting_on } if meeting_on == MEETING_DAY
        ));
        assert!(
            view.timeline[0]
                .what
                .contains("Review meeting arranged for 30 March 2026 at 10am: 4 people invited"),
            "{:?}",
            view.timeline[0]
        );
        let notice = view
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::InvitationsAndAdviceBy)
            .unwrap();
        assert_eq!(notice.due, date!(2026 - 03 - 16));
    });
}

#[test]
fn a_linked_settings_sendco_arranges_a_meeting_another_setting_gets_not_found_and_a_parent_not_allowed()
 {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(id(SENDCO), MEETING_DAY, &[SENDCO, PARENT])
            .await
            .unwrap();
        assert_eq!(
            w.meeting(number).await.organiser,
            Organiser::Setting {
                account: id(SENDCO),
                urn: urn("100001")
            }
        );
        let before = w.changes().await;
        assert_eq!(
            w.schedule(id(OTHER_SENDCO), MEETING_DAY, &[PARENT]).await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.schedule(id(PARENT), MEETING_DAY, &[PARENT]).await,
            Err(CaseServiceError::NotAllowed)
        );
        assert_eq!(
            w.cases
                .meeting_candidates(id(CONTRIBUTOR), w.case, NOW)
                .await,
            Err(CaseServiceError::NotAllowed)
        );
        assert_eq!(w.changes().await, before);
    });
}

#[test]
fn bad_meetings_are_refused_and_change_nothing() {
    pollster::block_on(async {
        let w = World::new().await;
        let version = w.version().await;
        let outside = w.person(40, "stranger@example.org", Role::LaOfficer).await;
        let _ = outside;
        let not_on_case = w
            .person(
                41,
                "elsewhere@school.example",
                Role::Sendco {
                    setting: urn("100009"),
                },
            )
            .await;
        let before = w.changes().await;
        let cases: [(Vec<AccountId>, Date, &str, CaseServiceError); 5] = [
            (
                vec![id(PARENT)],
                MEETING_DAY,
                "   ",
                CaseServiceError::Invalid(CaseError::Missing(
                    "where the meeting is held or how to join it",
                )),
            ),
            (
                vec![],
                MEETING_DAY,
                "Room 4",
                CaseServiceError::Invalid(CaseError::Missing("who is invited")),
            ),
            (
                vec![not_on_case],
                MEETING_DAY,
                "Room 4",
                CaseServiceError::Invalid(CaseError::OutOfOrder(
                    "Select people from the list: each must be on the case",
                )),
            ),
            (
                vec![id(PARENT)],
                date!(2026 - 03 - 01),
                "Room 4",
                CaseServiceError::Invalid(CaseError::TooEarly {
                    what: "The meeting date",
                    after: "the day it was arranged (2 March 2026)".into(),
                }),
            ),
            (
                vec![id(PARENT)],
                date!(2027 - 12 - 01),
                "Room 4",
                CaseServiceError::Invalid(CaseError::OutOfOrder(
                    "The meeting date must be within 18 months from today",
                )),
            ),
        ];
        for (invitees, on, place, expected) in cases {
            let got = w
                .cases
                .schedule_meeting(
                    w.officer,
                    w.case,
                    version,
                    &invitees,
                    (on, time!(10:00), place),
                    NOW,
                    TODAY,
                    None,
                )
                .await;
            assert_eq!(got, Err(expected));
        }
        let stale = w
            .cases
            .schedule_meeting(
                w.officer,
                w.case,
                version - 1,
                &[id(PARENT)],
                (MEETING_DAY, time!(10:00), "Room 4"),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(matches!(
            stale,
            Err(CaseServiceError::Store(StoreError::Conflict { .. }))
        ));
        assert_eq!(w.changes().await, before);
        assert_eq!(w.version().await, version);
        assert!(w.emails().await.is_empty());

        let short = w
            .schedule(w.officer, date!(2026 - 03 - 10), &[PARENT])
            .await;
        assert!(short.is_ok(), "less than 2 weeks' notice is allowed");
    });
}

#[test]
fn only_invitees_reply_and_a_contributor_not_invited_does_not_see_the_meeting() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(w.officer, MEETING_DAY, &[PARENT, CONTRIBUTOR])
            .await
            .unwrap();
        let later = datetime!(2026-03-03 09:00 UTC);
        let today = date!(2026 - 03 - 03);
        w.cases
            .reply_to_meeting(id(PARENT), w.case, number, true, later, today, None)
            .await
            .unwrap();
        w.cases
            .reply_to_meeting(id(CONTRIBUTOR), w.case, number, false, later, today, None)
            .await
            .unwrap();
        let m = w.meeting(number).await;
        assert_eq!(
            m.invitee(id(PARENT)).unwrap().reply,
            Reply::Accepted { at: later }
        );
        assert_eq!(
            m.invitee(id(CONTRIBUTOR)).unwrap().reply,
            Reply::Declined { at: later }
        );

        let before = w.changes().await;
        assert_eq!(
            w.cases
                .reply_to_meeting(id(OTHER_PARENT), w.case, number, true, later, today, None)
                .await,
            Err(CaseServiceError::NotAllowed),
            "a parent sees the meeting but is not invited"
        );
        assert_eq!(
            w.cases
                .reply_to_meeting(
                    id(OTHER_CONTRIBUTOR),
                    w.case,
                    number,
                    true,
                    later,
                    today,
                    None
                )
                .await,
            Err(CaseServiceError::NotFound),
            "a contributor not invited does not see it"
        );
        assert_eq!(
            w.cases
                .view_meeting(id(OTHER_CONTRIBUTOR), w.case, number, NOW, None)
                .await
                .map(|_| ()),
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .reply_to_meeting(id(OTHER_SENDCO), w.case, number, true, later, today, None)
                .await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .reply_to_meeting(
                    id(PARENT),
                    w.case,
                    MeetingNumber(2),
                    true,
                    later,
                    today,
                    None
                )
                .await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .reply_to_meeting(
                    id(PARENT),
                    w.case,
                    number,
                    false,
                    later,
                    date!(2026 - 03 - 31),
                    None
                )
                .await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "The meeting has taken place or was withdrawn: replies can no longer be given"
            ))),
            "the meeting's day has passed"
        );
        assert_eq!(w.changes().await, before);

        let officer_timeline = w
            .cases
            .view(w.officer, w.case, NOW, None)
            .await
            .unwrap()
            .timeline;
        assert!(officer_timeline[0].what.contains(
            "ep@example.org declined the invitation to the review meeting on 30 March 2026"
        ));
        let family_timeline = w
            .cases
            .view(id(PARENT), w.case, NOW, None)
            .await
            .unwrap()
            .timeline;
        assert!(
            family_timeline
                .iter()
                .all(|t| !t.what.contains("invitation")),
            "replies are for the organisers"
        );
    });
}

#[test]
fn invitees_give_views_before_the_meeting_which_a_contributor_sees_only_of_their_own() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(
                w.officer,
                MEETING_DAY,
                &[PARENT, CONTRIBUTOR, OTHER_CONTRIBUTOR],
            )
            .await
            .unwrap();
        let give = |who: u128, text: &'static str, today: Date| {
            let w = &w;
            async move {
                w.cases
                    .give_meeting_views(id(who), w.case, number, text, NOW, today, None)
                    .await
            }
        };
        give(
            PARENT,
            "Ava is happier at school.\nShe needs help at lunch.",
            TODAY,
        )
        .await
        .unwrap();
        give(CONTRIBUTOR, "Speech is progressing.", TODAY)
            .await
            .unwrap();
        give(OTHER_CONTRIBUTOR, "Reading age 6.", MEETING_DAY)
            .await
            .unwrap();

        let before = w.changes().await;
        assert_eq!(
            give(PARENT, " \u{200B} ", TODAY).await,
            Err(CaseServiceError::Invalid(CaseError::Missing("your views")))
        );
        assert_eq!(
            w.cases
                .give_meeting_views(
                    id(PARENT),
                    w.case,
                    number,
                    &"x".repeat(5001),
                    NOW,
                    TODAY,
                    None
                )
                .await,
            Err(CaseServiceError::Invalid(CaseError::TooLong {
                what: "Your views",
                max: 5000
            }))
        );
        assert_eq!(
            give(OTHER_PARENT, "Not invited", TODAY).await,
            Err(CaseServiceError::NotAllowed)
        );
        assert_eq!(
            give(PARENT, "Too late", date!(2026 - 03 - 31)).await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "The meeting has taken place or was withdrawn: views can no longer be given"
            )))
        );
        assert_eq!(w.changes().await, before);

        let officer_sees = w.meeting(number).await.views;
        assert_eq!(officer_sees.len(), 3);
        assert_eq!(
            officer_sees[0].text,
            "Ava is happier at school.\nShe needs help at lunch."
        );
        let contributor_sees = w
            .cases
            .view_meeting(id(CONTRIBUTOR), w.case, number, NOW, None)
            .await
            .unwrap();
        assert_eq!(contributor_sees.meeting.views.len(), 1);
        assert_eq!(contributor_sees.meeting.views[0].by, id(CONTRIBUTOR));
        assert!(!contributor_sees.manage && !contributor_sees.decide);
        let parent_sees = w
            .cases
            .view_meeting(id(PARENT), w.case, number, NOW, None)
            .await
            .unwrap();
        assert_eq!(parent_sees.meeting.views.len(), 3);
        assert!(
            w.store
                .audit_events()
                .await
                .iter()
                .any(|e| e.kind == AuditKind::CaseViewed && e.detail.ends_with("review meeting 1")),
            "the meeting's view is audited"
        );
        assert!(
            w.store
                .audit_events()
                .await
                .iter()
                .all(|e| !e.detail.contains("happier")),
            "views are not copied into the audit log"
        );
    });
}

#[test]
fn the_advice_the_meeting_held_its_report_and_the_las_decision_are_recorded_and_tracked() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(id(SENDCO), date!(2026 - 03 - 20), &[SENDCO, PARENT, 1])
            .await
            .unwrap();
        let advice_day = date!(2026 - 03 - 05);
        let at = |d: Date| midnight(d) + time::Duration::hours(10);
        let version = w.version().await;
        w.cases
            .record_advice_circulated(
                id(SENDCO),
                w.case,
                version,
                number,
                advice_day,
                at(advice_day),
                advice_day,
                None,
            )
            .await
            .unwrap();
        assert!(
            w.emails()
                .await
                .iter()
                .any(|(to, what, _)| to == "parent@example.org"
                    && what == ehc_core::case::READ_ADVICE_ACTION)
        );

        let held_day = date!(2026 - 03 - 20);
        let version = w.version().await;
        assert_eq!(
            w.cases
                .record_meeting_held(
                    id(PARENT),
                    w.case,
                    version,
                    number,
                    held_day,
                    at(held_day),
                    held_day,
                    None
                )
                .await,
            Err(CaseServiceError::NotAllowed)
        );
        assert_eq!(
            w.cases
                .record_meeting_report(
                    id(SENDCO),
                    w.case,
                    version,
                    number,
                    (held_day, "Too soon"),
                    at(held_day),
                    held_day,
                    None
                )
                .await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "Record the meeting as held before its report"
            )))
        );
        w.cases
            .record_meeting_held(
                id(SENDCO),
                w.case,
                version,
                number,
                held_day,
                at(held_day),
                held_day,
                None,
            )
            .await
            .unwrap();
        let version = w.version().await;
        assert_eq!(
            w.cases
                .record_advice_circulated(
                    id(SENDCO),
                    w.case,
                    version,
                    number,
                    date!(2026 - 03 - 21),
                    at(date!(2026 - 03 - 21)),
                    date!(2026 - 03 - 21),
                    None
                )
                .await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "The date must be on or before the day of the meeting"
            )))
        );
        let report_day = date!(2026 - 04 - 01);
        w.cases
            .record_meeting_report(
                id(SENDCO),
                w.case,
                version,
                number,
                (report_day, "Outcomes reviewed; placement to continue."),
                at(report_day),
                report_day,
                None,
            )
            .await
            .unwrap();
        assert!(
            w.emails()
                .await
                .iter()
                .any(|(to, what, _)| to == "parent@example.org" && what == "Review meeting report")
        );

        let view = w
            .cases
            .view(w.officer, w.case, at(report_day), None)
            .await
            .unwrap();
        let report = view
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::ReviewReport)
            .unwrap();
        assert_eq!(report.statutory, date!(2026 - 04 - 03));
        assert_eq!(report.met_on, Some(report_day), "met by the report");
        let decision = view
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::LaReviewDecision)
            .unwrap();
        assert_eq!(decision.statutory, date!(2026 - 04 - 17));
        assert_eq!(decision.met_on, None);

        let decided_on = date!(2026 - 04 - 10);
        w.cases
            .record_event(
                w.officer,
                w.case,
                w.version().await,
                EventKind::ReviewDecision {
                    outcome: ReviewOutcome::Maintain,
                },
                decided_on,
                at(decided_on),
                decided_on,
                None,
            )
            .await
            .unwrap();
        let seen = w
            .cases
            .view_meeting(w.officer, w.case, number, at(decided_on), None)
            .await
            .unwrap();
        assert_eq!(seen.decision.map(|e| e.on), Some(decided_on));
        assert_eq!(
            seen.meeting.report.as_ref().map(|r| r.sent_on),
            Some(report_day)
        );
        assert_eq!(seen.meeting.advice_circulated_on, Some(advice_day));
        assert!(seen.manage && seen.decide);
    });
}

#[test]
fn withdrawing_the_arrangement_as_a_mistake_withdraws_the_meeting_and_replies_stop() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w.schedule(w.officer, MEETING_DAY, &[PARENT]).await.unwrap();
        w.cases
            .withdraw(
                w.officer,
                w.case,
                w.version().await,
                Withdrawal::LastEvent,
                "Wrong date",
                NOW,
                None,
            )
            .await
            .unwrap();
        let m = w.meeting(number).await;
        assert!(m.withdrawn);
        assert_eq!(m.next_alert_on(), None);
        assert_eq!(
            w.cases
                .reply_to_meeting(id(PARENT), w.case, number, true, NOW, TODAY, None)
                .await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "The meeting has taken place or was withdrawn: replies can no longer be given"
            )))
        );
    });
}

#[test]
fn the_alert_job_reminds_those_who_have_not_replied_once_and_tells_the_officer_of_an_overdue_report()
 {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w
            .schedule(w.officer, MEETING_DAY, &[1, PARENT, SENDCO])
            .await
            .unwrap();
        w.cases
            .reply_to_meeting(id(SENDCO), w.case, number, true, NOW, TODAY, None)
            .await
            .unwrap();
        let invitations = w.emails().await.len();
        let week_before = date!(2026 - 03 - 23);
        let at = midnight(week_before);
        assert_eq!(
            w.cases
                .send_meeting_alerts(w.case, at, date!(2026 - 03 - 22))
                .await,
            Ok(0)
        );
        assert_eq!(
            w.cases.send_meeting_alerts(w.case, at, week_before).await,
            Ok(1)
        );
        assert_eq!(
            w.cases.send_meeting_alerts(w.case, at, week_before).await,
            Ok(0),
            "once"
        );
        let timeline = w
            .cases
            .view(w.officer, w.case, at, None)
            .await
            .unwrap()
            .timeline;
        assert!(
            timeline
                .iter()
                .any(|t| t.what
                    == "Review meeting 1: reminder sent to an invitee who has not replied"),
            "on the timeline"
        );
        let emails = w.emails().await;
        assert_eq!(emails.len(), invitations + 1);
        let (to, what, _) = emails.last().unwrap();
        assert_eq!(
            (to.as_str(), what.as_str()),
            ("parent@example.org", REPLY_ACTION)
        );

        let held = MEETING_DAY;
        w.cases
            .record_meeting_held(
                w.officer,
                w.case,
                w.version().await,
                number,
                held,
                midnight(held),
                held,
                None,
            )
            .await
            .unwrap();
        let overdue = date!(2026 - 04 - 14);
        assert_eq!(
            w.cases
                .send_meeting_alerts(w.case, midnight(overdue), overdue)
                .await,
            Ok(1)
        );
        let (to, what, _) = w.emails().await.pop().unwrap();
        assert_eq!(
            (to.as_str(), what.as_str()),
            (
                "officer@anytown.example",
                ehc_core::case::SEND_REPORT_ACTION
            ),
            "no case officer assigned: the organiser"
        );
        assert_eq!(
            w.cases
                .send_meeting_alerts(w.case, midnight(overdue), overdue)
                .await,
            Ok(0)
        );
    });
}

#[test]
fn the_alert_job_records_reminders_lapsed_once_the_meetings_day_has_passed_unheld() {
    pollster::block_on(async {
        let w = World::new().await;
        w.schedule(w.officer, MEETING_DAY, &[1, PARENT])
            .await
            .unwrap();
        let next = |case: &ehc_core::case::Case| case.next_timed_alert_on();
        let after = date!(2026 - 03 - 31);
        let before = w.cases.view(w.officer, w.case, NOW, None).await.unwrap();
        assert!(next(&before.case).is_some_and(|d| d < after), "a past day");
        let emails = w.emails().await.len();
        assert_eq!(
            w.cases
                .send_meeting_alerts(w.case, midnight(after), after)
                .await,
            Ok(0),
            "nothing is sent"
        );
        assert_eq!(w.emails().await.len(), emails);
        let view = w.cases.view(w.officer, w.case, NOW, None).await.unwrap();
        assert_eq!(next(&view.case), None, "not read for them again");
        assert_eq!(view.version, before.version + 1);
    });
}
