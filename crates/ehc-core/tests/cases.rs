//! The case service on the in-memory store: who may create, see and change a case, what each
//! change writes (timeline, audit, alerts) and what the work trays hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::AuditKind;
use ehc_core::case::tray::TraySort;
use ehc_core::case::{
    CaseError, CaseId, CaseRole, CaseService, CaseServiceError, EventKind, ExceptionKind, NewCase,
    ReceivedBy, TrayFilters,
};
use ehc_core::invitation::InviteOutcome;
use ehc_core::outbox::{CaseUpdate, MessageContent};
use ehc_core::password::PasswordHash;
use ehc_core::ports::{Store, StoreError};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);
const TODAY: Date = date!(2026 - 03 - 02);

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, Arc<SeededSecretSource>>,
    officer: AccountId,
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn urn(s: &str) -> Urn {
    Urn::parse(s).unwrap()
}

impl World {
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            Arc::new(SeededSecretSource::new(3)),
            SecuritySettings::default(),
        );
        let world = Self {
            store,
            cases,
            officer: id(1),
        };
        world
            .person(1, "officer@anytown.example", Role::LaOfficer, None)
            .await;
        world
    }

    /// An account with one role.
    async fn person(
        &self,
        n: u128,
        email: &str,
        role: Role,
        expires_at: Option<OffsetDateTime>,
    ) -> AccountId {
        let mut tx = self.store.begin().await.unwrap();
        if tx.accounts().get(id(n)).await.unwrap().is_none() {
            tx.accounts()
                .insert(&Account {
                    id: id(n),
                    email: EmailAddress::parse(email).unwrap(),
                    password_hash: PasswordHash::from_phc("$argon2id$unused"),
                    created_at: NOW,
                })
                .await
                .unwrap();
        }
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId(Uuid::from_u128(1000 + n + u128::from(expires_at.is_some()))),
                account: id(n),
                role,
                granted_by: Grantor::System,
                granted_at: NOW,
                expires_at,
                revoked: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id(n)
    }

    async fn case(&self, reference: &str, settings: &[&str]) -> CaseId {
        self.cases
            .create(
                self.officer,
                NewCase {
                    la_reference: reference.into(),
                    given_name: "Ava".into(),
                    family_name: "Thornbury".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: date!(2026 - 01 - 05),
                    received_by: ReceivedBy::Post,
                    settings: settings.iter().map(|s| urn(s)).collect(),
                },
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap()
    }

    async fn tray(&self, viewer: AccountId, filters: TrayFilters) -> Vec<String> {
        self.cases
            .tray(viewer, &filters, NOW, TODAY)
            .await
            .unwrap()
            .0
            .rows
            .into_iter()
            .map(|r| r.la_reference.to_string())
            .collect()
    }
}

#[test]
fn only_an_la_officer_creates_a_case_and_its_clocks_start_on_the_day_received() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
        let decide = &view.deadlines[0];
        assert_eq!(decide.kind.name(), "decision_whether_to_assess");
        assert_eq!(
            decide.statutory,
            date!(2026 - 02 - 16),
            "6 weeks from 5 January, not from today"
        );
        assert!(
            view.timeline[0]
                .what
                .contains("received by post on 5 January 2026")
        );

        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case }, None)
            .await;
        let refused = w
            .cases
            .create(
                parent,
                NewCase {
                    la_reference: "EHC-2".into(),
                    given_name: "A".into(),
                    family_name: "B".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: TODAY,
                    received_by: ReceivedBy::Phone,
                    settings: vec![],
                },
                NOW,
                TODAY,
                None,
            )
            .await;
        assert_eq!(refused, Err(CaseServiceError::NotAllowed));
        assert_eq!(w.tray(w.officer, TrayFilters::default()).await, ["EHC-1"]);
    });
}

#[test]
fn bad_texts_and_dates_are_refused_before_anything_is_stored() {
    pollster::block_on(async {
        let w = World::new().await;
        w.case("EHC-1", &[]).await;
        let base = NewCase {
            la_reference: "EHC-9".into(),
            given_name: "Ava".into(),
            family_name: "Thornbury".into(),
            date_of_birth: date!(2019 - 05 - 01),
            received_on: date!(2026 - 01 - 05),
            received_by: ReceivedBy::Email,
            settings: vec![],
        };
        let cases = [
            (
                NewCase {
                    la_reference: "EHC-1".into(),
                    ..base.clone()
                },
                CaseServiceError::ReferenceTaken,
            ),
            (
                NewCase {
                    la_reference: "EHC 1".into(),
                    ..base.clone()
                },
                CaseServiceError::Invalid(CaseError::BadReference),
            ),
            (
                NewCase {
                    given_name: "  ".into(),
                    ..base.clone()
                },
                CaseServiceError::Invalid(CaseError::Missing("the child's first name")),
            ),
            (
                NewCase {
                    received_on: date!(2026 - 03 - 03),
                    ..base.clone()
                },
                CaseServiceError::Invalid(CaseError::InFuture("The date the request was received")),
            ),
            (
                NewCase {
                    date_of_birth: date!(1990 - 01 - 01),
                    ..base.clone()
                },
                CaseServiceError::Invalid(CaseError::TooOld),
            ),
        ];
        for (new, expected) in cases {
            assert_eq!(
                w.cases.create(w.officer, new, NOW, TODAY, None).await,
                Err(expected)
            );
        }
        assert_eq!(w.tray(w.officer, TrayFilters::default()).await, ["EHC-1"]);
    });
}

#[test]
fn a_case_the_viewer_may_not_see_is_not_found_like_a_missing_one_and_every_view_is_audited() {
    pollster::block_on(async {
        let w = World::new().await;
        let a = w.case("EHC-A", &["100001"]).await;
        let b = w.case("EHC-B", &["100002"]).await;
        let sendco = w
            .person(
                3,
                "sendco@school.example",
                Role::Sendco {
                    setting: urn("100001"),
                },
                None,
            )
            .await;
        assert!(w.cases.view(sendco, a, NOW, None).await.is_ok());
        assert_eq!(
            w.cases.view(sendco, b, NOW, None).await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .view(sendco, CaseId(Uuid::from_u128(77)), NOW, None)
                .await,
            Err(CaseServiceError::NotFound)
        );
        let views: Vec<_> = w
            .store
            .audit_events()
            .await
            .into_iter()
            .filter(|e| e.kind == AuditKind::CaseViewed)
            .collect();
        assert_eq!(views.len(), 1, "only the view that showed the case");
        assert_eq!(views[0].actor, Some(sendco));
        assert!(views[0].detail.contains(&a.to_string()));
    });
}

#[test]
fn a_change_needs_the_version_it_read_and_a_stale_one_changes_nothing() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let decide = EventKind::DecisionToAssess { assess: true };
        w.cases
            .record_event(
                w.officer,
                case,
                1,
                decide.clone(),
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let stale = w
            .cases
            .record_event(
                w.officer,
                case,
                1,
                EventKind::DraftPlanServed,
                date!(2026 - 02 - 20),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(matches!(
            stale,
            Err(CaseServiceError::Store(StoreError::Conflict { .. }))
        ));
        let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
        assert_eq!(view.version, 2);
        assert_eq!(view.case.events.len(), 1);
    });
}

#[test]
fn impossible_events_are_refused_with_their_reason() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let record = |kind, on| {
            w.cases
                .record_event(w.officer, case, 1, kind, on, NOW, TODAY, None)
        };
        assert_eq!(
            record(EventKind::FinalPlanIssued, date!(2026 - 02 - 01)).await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                "Record the draft plan being sent to the family first"
            )))
        );
        assert!(matches!(
            record(
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 01 - 04)
            )
            .await,
            Err(CaseServiceError::Invalid(CaseError::TooEarly { .. }))
        ));
        assert!(matches!(
            record(EventKind::ReviewMeetingHeld, date!(2026 - 02 - 01)).await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(_)))
        ));
        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case }, None)
            .await;
        assert_eq!(
            w.cases
                .record_exception(
                    parent,
                    case,
                    1,
                    ExceptionKind::PersonalCircumstances,
                    (TODAY, TODAY),
                    "x",
                    NOW,
                    TODAY,
                    None
                )
                .await,
            Err(CaseServiceError::NotAllowed)
        );
        assert!(
            w.cases
                .view(w.officer, case, NOW, None)
                .await
                .unwrap()
                .case
                .events
                .is_empty()
        );
    });
}

#[test]
fn a_stage_reached_alerts_the_family_and_sendcos_with_the_reference_only() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &["100001"]).await;
        w.person(2, "parent@example.org", Role::ParentCarer { case }, None)
            .await;
        w.person(
            3,
            "sendco@school.example",
            Role::Sendco {
                setting: urn("100001"),
            },
            None,
        )
        .await;
        w.person(4, "ep@example.org", Role::Contributor { case }, None)
            .await;
        w.cases
            .record_event(
                w.officer,
                case,
                1,
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let alerts: Vec<_> = w
            .store
            .outbox_messages()
            .await
            .into_iter()
            .filter_map(|m| match m.content {
                MessageContent::CaseUpdate {
                    case_reference,
                    update: CaseUpdate::StageReached { stage },
                } => Some((format!("{:?}", m.recipient), case_reference, stage)),
                _ => None,
            })
            .collect();
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert!(
            alerts
                .iter()
                .all(|(_, r, s)| r == "EHC-1" && s == "EHC needs assessment")
        );
        assert!(
            alerts
                .iter()
                .any(|(to, _, _)| to.contains("parent@example.org"))
        );
        assert!(
            alerts
                .iter()
                .any(|(to, _, _)| to.contains("sendco@school.example"))
        );
    });
}

#[test]
fn inviting_to_a_case_registers_a_new_address_or_grants_an_existing_account_and_says_so_on_the_timeline()
 {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let new = w
            .cases
            .invite(
                w.officer,
                case,
                "mum@example.org",
                CaseRole::ParentCarer,
                NOW,
                None,
            )
            .await
            .unwrap();
        assert!(matches!(new, InviteOutcome::Invited { .. }));
        w.person(5, "ep@example.org", Role::LaOfficer, None).await;
        let existing = w
            .cases
            .invite(
                w.officer,
                case,
                "EP@example.org",
                CaseRole::Contributor,
                NOW,
                None,
            )
            .await
            .unwrap();
        assert!(matches!(
            existing,
            InviteOutcome::GrantedToExistingAccount { .. }
        ));
        let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
        assert!(view.timeline.iter().any(|e| {
            e.what
                .contains("mum@example.org given access as parent or carer")
        }));
        assert!(
            view.people
                .iter()
                .any(|p| p.email == "ep@example.org" && p.role == "Contributor of advice")
        );
    });
}

#[test]
fn trays_hold_the_cases_of_each_role_and_an_advocate_only_while_the_grant_lasts() {
    pollster::block_on(async {
        let w = World::new().await;
        let a = w.case("EHC-A", &["100001"]).await;
        let b = w.case("EHC-B", &["100002"]).await;
        let sendco = w
            .person(
                3,
                "sendco@school.example",
                Role::Sendco {
                    setting: urn("100001"),
                },
                None,
            )
            .await;
        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case: b }, None)
            .await;
        let contributor = w
            .person(4, "ep@example.org", Role::Contributor { case: a }, None)
            .await;
        let until = NOW + time::Duration::days(1);
        let advocate = w
            .person(
                6,
                "advocate@sendiass.example",
                Role::Advocate { for_person: parent },
                Some(until),
            )
            .await;
        let all = TrayFilters {
            sort: TraySort::ChildName,
            ..TrayFilters::default()
        };
        assert_eq!(w.tray(w.officer, all.clone()).await.len(), 2);
        assert_eq!(w.tray(sendco, all.clone()).await, ["EHC-A"]);
        assert_eq!(w.tray(parent, all.clone()).await, ["EHC-B"]);
        assert_eq!(w.tray(contributor, all.clone()).await, ["EHC-A"]);
        assert_eq!(w.tray(advocate, all.clone()).await, ["EHC-B"]);
        assert!(w.cases.view(advocate, b, NOW, None).await.is_ok());
        assert!(w.cases.view(advocate, a, NOW, None).await.is_err());
        let later = until + time::Duration::SECOND;
        assert_eq!(
            w.cases.view(advocate, b, later, None).await,
            Err(CaseServiceError::NotFound)
        );
        assert!(
            w.cases
                .tray(advocate, &all, later, TODAY)
                .await
                .unwrap()
                .0
                .rows
                .is_empty()
        );
        let setting_only = TrayFilters {
            settings_only: true,
            ..all
        };
        assert!(
            w.tray(w.officer, setting_only.clone()).await.is_empty(),
            "an officer holds no setting"
        );
        assert_eq!(w.tray(sendco, setting_only).await, ["EHC-A"]);
    });
}

#[test]
fn a_contributor_sees_only_their_own_advice_request_and_no_people() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let ep = w
            .person(4, "ep@example.org", Role::Contributor { case }, None)
            .await;
        let other = w
            .person(5, "ot@example.org", Role::Contributor { case }, None)
            .await;
        for (version, kind) in (1..).zip([
            EventKind::DecisionToAssess { assess: true },
            EventKind::AdviceRequested {
                from: "Educational psychologist".into(),
                contributor: Some(ep),
            },
            EventKind::AdviceRequested {
                from: "Occupational therapist".into(),
                contributor: Some(other),
            },
        ]) {
            w.cases
                .record_event(
                    w.officer,
                    case,
                    version,
                    kind,
                    date!(2026 - 02 - 10),
                    NOW,
                    TODAY,
                    None,
                )
                .await
                .unwrap();
        }
        let view = w.cases.view(ep, case, NOW, None).await.unwrap();
        assert!(!view.access.is_participant());
        assert!(view.people.is_empty());
        assert_eq!(view.deadlines.len(), 1, "{:?}", view.deadlines);
        assert_eq!(view.deadlines[0].kind.name(), "advice_returned");
        assert!(
            view.timeline
                .iter()
                .all(|e| !e.what.contains("Occupational"))
        );
        assert!(
            view.timeline
                .iter()
                .any(|e| e.what.contains("Educational psychologist"))
        );
    });
}

mod rules {
    use super::*;
    use ehc_core::case::{Case, DeadlineException, LaReference};
    use ehc_core::test_support::cases::{blank_case, push_event};

    fn planned() -> Case {
        let mut case = blank_case(date!(2025 - 09 - 01), date!(2018 - 01 - 01));
        push_event(
            &mut case,
            EventKind::DecisionToAssess { assess: true },
            date!(2025 - 10 - 01),
        );
        push_event(&mut case, EventKind::DraftPlanServed, date!(2025 - 12 - 01));
        case
    }

    #[test]
    fn a_final_plan_waits_for_the_end_of_the_familys_15_days() {
        let mut case = planned();
        let refused = case.record_event(
            EventKind::FinalPlanIssued,
            date!(2025 - 12 - 15),
            TODAY,
            NOW,
            None,
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            "The date must be on or after the day after the family's 15 days to comment on the draft end (reg 13(1)) (16 December 2025)"
        );
        assert!(
            case.record_event(
                EventKind::FinalPlanIssued,
                date!(2025 - 12 - 16),
                TODAY,
                NOW,
                None
            )
            .is_ok()
        );
        case.record_event(
            EventKind::AmendmentProposed,
            date!(2026 - 01 - 10),
            TODAY,
            NOW,
            None,
        )
        .unwrap();
        assert!(
            case.record_event(
                EventKind::AmendedPlanIssued,
                date!(2026 - 01 - 24),
                TODAY,
                NOW,
                None
            )
            .is_err()
        );
        assert!(
            case.record_event(
                EventKind::AmendedPlanIssued,
                date!(2026 - 01 - 25),
                TODAY,
                NOW,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn review_meetings_come_in_date_order_and_within_18_months() {
        let mut case = planned();
        case.record_event(
            EventKind::FinalPlanIssued,
            date!(2025 - 12 - 20),
            TODAY,
            NOW,
            None,
        )
        .unwrap();
        case.record_event(
            EventKind::ReviewMeetingHeld,
            date!(2026 - 02 - 20),
            TODAY,
            NOW,
            None,
        )
        .unwrap();
        assert!(matches!(
            case.record_event(
                EventKind::ReviewMeetingHeld,
                date!(2026 - 02 - 12),
                TODAY,
                NOW,
                None
            ),
            Err(CaseError::TooEarly { .. })
        ));
        let far = EventKind::ReviewMeetingScheduled {
            meeting_on: date!(9999 - 12 - 31),
        };
        assert!(matches!(
            case.record_event(far, TODAY, TODAY, NOW, None),
            Err(CaseError::OutOfOrder(_))
        ));
        let next_year = EventKind::ReviewMeetingScheduled {
            meeting_on: date!(2027 - 02 - 01),
        };
        assert!(
            case.record_event(next_year, TODAY, TODAY, NOW, None)
                .is_ok()
        );
    }

    #[test]
    fn texts_are_stored_without_control_or_invisible_characters() {
        let mut case = planned();
        let from = EventKind::AdviceRequested {
            from: "  Dr\u{7} Evil\u{1b}[31m \u{202e}EP\u{0} ".into(),
            contributor: None,
        };
        case.record_event(from, date!(2026 - 01 - 05), TODAY, NOW, None)
            .unwrap();
        let EventKind::AdviceRequested { from, .. } = &case.events.last().unwrap().kind else {
            unreachable!()
        };
        assert_eq!(from, "Dr Evil[31m EP");
        let invisible_only = EventKind::AdviceRequested {
            from: "\u{200b}".into(),
            contributor: None,
        };
        assert!(
            case.record_event(invisible_only, date!(2026 - 01 - 05), TODAY, NOW, None)
                .is_err()
        );
        case.record_exception(
            DeadlineException {
                kind: ExceptionKind::PersonalCircumstances,
                from: date!(2026 - 01 - 05),
                to: date!(2026 - 01 - 20),
                reason: "Bereavement\u{0}\nin the family\u{202e}".into(),
                recorded_at: NOW,
                recorded_by: None,
            },
            TODAY,
        )
        .unwrap();
        assert_eq!(case.exceptions[0].reason, "Bereavement\nin the family");
        let forever = DeadlineException {
            to: date!(9999 - 12 - 31),
            ..case.exceptions[0].clone()
        };
        assert!(case.record_exception(forever, TODAY).is_err());
        assert_eq!(LaReference::parse(" ehc-1 ").unwrap().as_str(), "EHC-1");
    }
}

async fn people(w: &World, case: CaseId) -> Vec<String> {
    let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
    view.people.into_iter().map(|p| p.email).collect()
}

#[test]
fn an_advocate_leaves_the_case_with_the_family_member_they_act_for() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case }, None)
            .await;
        w.person(
            6,
            "advocate@sendiass.example",
            Role::Advocate { for_person: parent },
            None,
        )
        .await;
        assert_eq!(
            people(&w, case).await,
            ["parent@example.org", "advocate@sendiass.example"]
        );
        let mut tx = w.store.begin().await.unwrap();
        let grant = tx.grants().for_account(parent).await.unwrap()[0].id;
        tx.grants()
            .revoke(grant, Grantor::System, NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            people(&w, case).await.is_empty(),
            "the advocate went with the parent"
        );
        w.cases
            .record_event(
                w.officer,
                case,
                1,
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let alerted = w
            .store
            .outbox_messages()
            .await
            .iter()
            .any(|m| format!("{:?}", m.recipient).contains("advocate@"));
        assert!(!alerted, "no alert to an advocate without access");
    });
}

#[test]
fn a_second_invitation_before_registering_keeps_the_first_ones_roles() {
    pollster::block_on(async {
        let w = World::new().await;
        let first = w.case("EHC-1", &[]).await;
        let second = w.case("EHC-2", &[]).await;
        w.cases
            .invite(
                w.officer,
                first,
                "mum@example.org",
                CaseRole::ParentCarer,
                NOW,
                None,
            )
            .await
            .unwrap();
        w.cases
            .invite(
                w.officer,
                second,
                "mum@example.org",
                CaseRole::ParentCarer,
                NOW,
                None,
            )
            .await
            .unwrap();
        let invitations: Vec<_> = w
            .store
            .outbox_messages()
            .await
            .into_iter()
            .filter_map(|m| match m.content {
                MessageContent::Invitation { roles, .. } => Some(roles),
                _ => None,
            })
            .collect();
        assert_eq!(
            invitations.last().unwrap(),
            &vec![
                Role::ParentCarer { case: first },
                Role::ParentCarer { case: second }
            ]
        );
    });
}

#[test]
fn a_form_from_a_stale_page_is_a_conflict_before_its_fields_are_checked() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let decide = EventKind::DecisionToAssess { assess: true };
        w.cases
            .record_event(
                w.officer,
                case,
                1,
                decide.clone(),
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let again = w
            .cases
            .record_event(
                w.officer,
                case,
                1,
                decide,
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(
            matches!(
                again,
                Err(CaseServiceError::Store(StoreError::Conflict { .. }))
            ),
            "{again:?}"
        );
    });
}

#[test]
fn an_entry_recorded_by_mistake_is_withdrawn_with_its_reason_and_kept() {
    pollster::block_on(async {
        let w = World::new().await;
        let case = w.case("EHC-1", &[]).await;
        let record = |version, kind| {
            w.cases.record_event(
                w.officer,
                case,
                version,
                kind,
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
        };
        record(1, EventKind::DecisionToAssess { assess: false })
            .await
            .unwrap();
        let missing = w
            .cases
            .withdraw(
                w.officer,
                case,
                2,
                ehc_core::case::Withdrawal::LastEvent,
                " ",
                NOW,
                None,
            )
            .await;
        assert_eq!(
            missing,
            Err(CaseServiceError::Invalid(CaseError::Missing(
                "why it is withdrawn"
            )))
        );
        w.cases
            .withdraw(
                w.officer,
                case,
                2,
                ehc_core::case::Withdrawal::LastEvent,
                "Wrong answer recorded",
                NOW,
                None,
            )
            .await
            .unwrap();
        let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
        assert!(view.case.events.is_empty());
        assert_eq!(view.case.withdrawn.len(), 1);
        assert_eq!(view.case.withdrawn[0].reason, "Wrong answer recorded");
        assert!(
            view.deadlines
                .iter()
                .any(|d| d.kind.name() == "decision_whether_to_assess" && d.is_open())
        );
        assert!(
            view.timeline[0]
                .what
                .starts_with("Withdrawn as recorded by mistake: Decided not to carry out")
        );
        record(3, EventKind::DecisionToAssess { assess: true })
            .await
            .unwrap();
        let view = w.cases.view(w.officer, case, NOW, None).await.unwrap();
        assert_eq!(view.case.events[0].number.0, 2, "numbers are never reused");
        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case }, None)
            .await;
        let refused = w
            .cases
            .withdraw(
                parent,
                case,
                4,
                ehc_core::case::Withdrawal::LastEvent,
                "x",
                NOW,
                None,
            )
            .await;
        assert_eq!(refused, Err(CaseServiceError::NotAllowed));
        let none = w
            .cases
            .withdraw(
                w.officer,
                case,
                4,
                ehc_core::case::Withdrawal::Exception(0),
                "x",
                NOW,
                None,
            )
            .await;
        assert!(matches!(
            none,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(_)))
        ));
    });
}

#[test]
fn a_download_is_audited_as_a_download_and_refused_like_a_missing_case_to_a_stranger() {
    pollster::block_on(async {
        let w = World::new().await;
        let a = w.case("EHC-A", &["100001"]).await;
        let b = w.case("EHC-B", &["100002"]).await;
        let sendco = w
            .person(
                3,
                "sendco@school.example",
                Role::Sendco {
                    setting: urn("100001"),
                },
                None,
            )
            .await;
        let view = w.cases.download(sendco, a, NOW, None).await.unwrap();
        assert_eq!(view.case.id, a);
        assert_eq!(
            w.cases.download(sendco, b, NOW, None).await,
            Err(CaseServiceError::NotFound)
        );
        let audit = w.store.audit_events().await;
        let downloads: Vec<_> = audit
            .iter()
            .filter(|e| e.kind == AuditKind::CaseDownloaded)
            .collect();
        assert_eq!(downloads.len(), 1, "only the download that was given");
        assert_eq!(downloads[0].actor, Some(sendco));
        assert!(downloads[0].detail.contains(&a.to_string()));
        assert!(
            !audit
                .iter()
                .any(|e| e.kind == AuditKind::CaseViewed && e.actor == Some(sendco)),
            "a download is not recorded as a view"
        );
    });
}
