//! EHC plan versions and the consultation on a draft: the family's period (reg 13(1), 22(2)),
//! comments refused after it, every version kept, the section-by-section comparison, the timed
//! alerts handled once; and the plan use cases on the in-memory store (who may do what, what
//! each writes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::case::plan::{
    FamilyResponse, PlanAlert, PlanError, PlanKind, Section, WordChange, compare,
    consultation_last_day,
};
use ehc_core::case::{
    Case, CaseError, CaseId, CaseService, CaseServiceError, EventKind, NewCase, ReceivedBy,
};
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::{Store, StoreError};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::cases::{blank_case, midnight, push_event};
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::macros::date;
use time::{Date, Duration};
use uuid::Uuid;

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A case being assessed since `decided`, ready for a draft.
fn assessing(decided: Date) -> Case {
    let mut case = blank_case(date!(2026 - 01 - 05), date!(2016 - 04 - 01));
    push_event(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        decided,
    );
    case
}

fn text(pairs: &[(Section, &str)]) -> Vec<(Section, String)> {
    pairs.iter().map(|(s, t)| (*s, (*t).to_owned())).collect()
}

fn parent() -> AccountId {
    AccountId(Uuid::from_u128(7))
}

fn comment(section: Section, words: &str) -> FamilyResponse {
    FamilyResponse::Comment {
        section,
        text: words.into(),
    }
}

// ---- the period -------------------------------------------------------------------------------

#[test]
fn the_last_day_is_the_fifteenth_day_beginning_with_the_day_served_across_month_and_year_ends() {
    for (served, last) in [
        (date!(2026 - 12 - 01), date!(2026 - 12 - 15)),
        (date!(2026 - 12 - 20), date!(2027 - 01 - 03)),
        (date!(2027 - 01 - 31), date!(2027 - 02 - 14)),
        (date!(2027 - 02 - 17), date!(2027 - 03 - 03)),
        // 2028 is a leap year: 29 February counts as a day.
        (date!(2028 - 02 - 17), date!(2028 - 03 - 02)),
        (date!(2026 - 04 - 30), date!(2026 - 05 - 14)),
    ] {
        assert_eq!(consultation_last_day(served), last, "served {served}");
        // 15 days counted inclusively, the day served being the first.
        assert_eq!((last - served).whole_days() + 1, 15);
    }
}

#[test]
fn a_final_plan_is_refused_until_the_day_after_the_last_day_and_every_version_is_kept() {
    let served = date!(2026 - 12 - 20);
    let mut case = assessing(date!(2026 - 10 - 01));
    let draft = case
        .publish_plan(
            PlanKind::Draft,
            text(&[(Section::A, "Likes trains."), (Section::B, "Reading")]),
            served,
            midnight(served),
            None,
        )
        .unwrap();
    assert_eq!(draft, 1);
    assert_eq!(
        case.plans[0].consultation.as_ref().unwrap().last_day,
        date!(2027 - 01 - 03)
    );
    assert!(matches!(
        case.events.last().unwrap().kind,
        EventKind::DraftPlanServed
    ));

    // On the last day itself the final plan is refused, and nothing changes.
    let before = case.clone();
    let last = date!(2027 - 01 - 03);
    let refused = case.publish_plan(
        PlanKind::Final,
        text(&[(Section::A, "Likes trains and buses.")]),
        last,
        midnight(last),
        None,
    );
    assert!(
        matches!(refused, Err(CaseError::TooEarly { .. })),
        "{refused:?}"
    );
    assert_eq!(case, before);

    let next = last + days(1);
    let final_plan = case
        .publish_plan(
            PlanKind::Final,
            text(&[
                (Section::A, "Likes trains and buses."),
                (Section::I, "Anytown Primary"),
            ]),
            next,
            midnight(next),
            None,
        )
        .unwrap();
    assert_eq!(final_plan, 2);
    assert_eq!(case.plans.len(), 2, "the draft is kept");
    assert_eq!(case.plans[0].text(Section::A), "Likes trains.");
    assert_eq!(case.plans[0].kind, PlanKind::Draft);
    assert_eq!(case.plans[1].text(Section::A), "Likes trains and buses.");
    assert!(case.plans[1].consultation.is_none());
    assert!(case.current_consultation().is_none());

    // Amendments: 15 days again (reg 22), then the amended plan.
    let proposed = date!(2027 - 06 - 01);
    case.publish_plan(
        PlanKind::AmendmentProposal,
        text(&[(Section::I, "Anytown Secondary")]),
        proposed,
        midnight(proposed),
        None,
    )
    .unwrap();
    assert_eq!(case.current_consultation().unwrap().number, 3);
    assert!(
        case.publish_plan(
            PlanKind::AmendedFinal,
            text(&[(Section::I, "Anytown Secondary")]),
            proposed + days(14),
            midnight(proposed),
            None,
        )
        .is_err()
    );
    assert_eq!(
        case.publish_plan(
            PlanKind::AmendedFinal,
            text(&[(Section::I, "Anytown Secondary")]),
            proposed + days(15),
            midnight(proposed),
            None,
        ),
        Ok(4)
    );
    let kinds: Vec<PlanKind> = case.plans.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            PlanKind::Draft,
            PlanKind::Final,
            PlanKind::AmendmentProposal,
            PlanKind::AmendedFinal
        ]
    );
}

#[test]
fn a_plan_without_any_text_or_with_a_section_too_long_is_refused_and_changes_nothing() {
    let mut case = assessing(date!(2026 - 10 - 01));
    let before = case.clone();
    let today = date!(2026 - 11 - 02);
    assert_eq!(
        case.publish_plan(
            PlanKind::Draft,
            text(&[(Section::A, "  \u{200B} "), (Section::B, "")]),
            today,
            midnight(today),
            None
        ),
        Err(CaseError::Missing("the text of at least one section"))
    );
    let long = "x".repeat(4001);
    assert_eq!(
        case.publish_plan(
            PlanKind::Draft,
            text(&[(Section::F, &long)]),
            today,
            midnight(today),
            None
        ),
        Err(CaseError::TooLong {
            what: "Section F",
            max: 4000
        })
    );
    assert_eq!(case, before);
}

// ---- the family's responses ----------------------------------------------------------------------

#[test]
fn comments_are_taken_until_the_last_day_and_refused_after_it_saying_which_day_it_was() {
    let served = date!(2027 - 02 - 17);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    let last = date!(2027 - 03 - 03);
    case.respond_to_plan(
        1,
        comment(Section::B, "Also maths."),
        parent(),
        midnight(last),
        last,
    )
    .unwrap();
    case.respond_to_plan(
        1,
        FamilyResponse::Placement {
            institution: "Anytown Primary School".into(),
            urn: Some(Urn::parse("100001").unwrap()),
            reasons: "Near home; his brother goes there.".into(),
        },
        parent(),
        midnight(served),
        served,
    )
    .unwrap();
    case.respond_to_plan(
        1,
        FamilyResponse::Meeting {
            about: String::new(),
        },
        parent(),
        midnight(served),
        served,
    )
    .unwrap();
    let c = case.plans[0].consultation.as_ref().unwrap();
    assert_eq!(c.comments.len(), 1);
    assert_eq!(c.comments[0].section, Section::B);
    assert_eq!(
        c.placement_requests[0].institution,
        "Anytown Primary School"
    );
    assert_eq!(c.meeting_requests.len(), 1);

    let before = case.clone();
    let after = last + days(1);
    let refused = case
        .respond_to_plan(
            1,
            comment(Section::B, "Late."),
            parent(),
            midnight(after),
            after,
        )
        .unwrap_err();
    assert_eq!(refused, PlanError::Closed { last_day: last });
    assert_eq!(
        refused.to_string(),
        "The time to comment on this plan ended on 3 March 2027. Contact your case officer if you still want to say something"
    );
    for late in [
        FamilyResponse::Meeting {
            about: "Late".into(),
        },
        FamilyResponse::Placement {
            institution: "Anytown Academy".into(),
            urn: None,
            reasons: "Late".into(),
        },
    ] {
        assert!(matches!(
            case.respond_to_plan(1, late, parent(), midnight(after), after),
            Err(PlanError::Closed { .. })
        ));
    }
    assert_eq!(case, before, "nothing changed");
}

#[test]
fn empty_texts_and_a_superseded_draft_are_refused_and_change_nothing() {
    let served = date!(2026 - 11 - 02);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    let before = case.clone();
    assert_eq!(
        case.respond_to_plan(
            1,
            comment(Section::B, " \n "),
            parent(),
            midnight(served),
            served
        ),
        Err(PlanError::Text(CaseError::Missing("your comment")))
    );
    assert!(matches!(
        case.respond_to_plan(
            1,
            FamilyResponse::Placement {
                institution: "Anytown Primary".into(),
                urn: None,
                reasons: String::new(),
            },
            parent(),
            midnight(served),
            served
        ),
        Err(PlanError::Text(CaseError::Missing(_)))
    ));
    assert!(matches!(
        case.respond_to_plan(
            1,
            comment(Section::C, &"x".repeat(2001)),
            parent(),
            midnight(served),
            served
        ),
        Err(PlanError::Text(CaseError::TooLong { .. }))
    ));
    assert_eq!(
        case.respond_to_plan(
            2,
            comment(Section::B, "No such version"),
            parent(),
            midnight(served),
            served
        ),
        Err(PlanError::NoConsultation)
    );
    assert_eq!(case, before);

    // A second draft supersedes the first: only the newest is open.
    let second = served + days(3);
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading and writing")]),
        second,
        midnight(second),
        None,
    )
    .unwrap();
    assert_eq!(
        case.respond_to_plan(
            1,
            comment(Section::B, "On the old one"),
            parent(),
            midnight(second),
            second
        ),
        Err(PlanError::NoConsultation)
    );
    assert!(
        case.respond_to_plan(
            2,
            comment(Section::B, "On the new one"),
            parent(),
            midnight(second),
            second
        )
        .is_ok()
    );
}

#[test]
fn a_draft_whose_event_was_withdrawn_is_no_longer_open() {
    let served = date!(2026 - 11 - 02);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    case.withdraw_last_event("Sent by mistake", midnight(served), None)
        .unwrap();
    assert!(case.current_consultation().is_none());
    assert_eq!(
        case.respond_to_plan(
            1,
            comment(Section::B, "Hello"),
            parent(),
            midnight(served),
            served
        ),
        Err(PlanError::NoConsultation)
    );
    assert_eq!(case.plans.len(), 1, "the version itself is kept");
    assert_eq!(case.next_plan_alert_on(), None);
}

// ---- compare --------------------------------------------------------------------------------------

#[test]
fn two_versions_compare_section_by_section_with_the_words_added_and_removed() {
    let mut case = assessing(date!(2026 - 10 - 01));
    let served = date!(2026 - 11 - 02);
    case.publish_plan(
        PlanKind::Draft,
        text(&[
            (Section::A, "Likes trains."),
            (Section::B, "Needs help with reading"),
            (Section::K, "EP advice"),
        ]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    let issued = served + days(15);
    case.publish_plan(
        PlanKind::Final,
        text(&[
            (Section::A, "Likes trains."),
            (Section::B, "Needs daily help with writing"),
            (Section::I, "Anytown Primary"),
        ]),
        issued,
        midnight(issued),
        None,
    )
    .unwrap();
    let sections = compare(&case.plans[0], &case.plans[1]);
    assert_eq!(sections.len(), 12, "every section, in order");
    assert_eq!(sections[0].section, Section::A);
    assert!(!sections[0].changed);
    assert_eq!(
        sections[0].words,
        [WordChange::Same("Likes trains.".into())]
    );
    let b = &sections[1];
    assert!(b.changed);
    let added: Vec<&str> = b
        .words
        .iter()
        .filter_map(|w| match w {
            WordChange::Added(s) => Some(s.trim()),
            _ => None,
        })
        .collect();
    let removed: Vec<&str> = b
        .words
        .iter()
        .filter_map(|w| match w {
            WordChange::Removed(s) => Some(s.trim()),
            _ => None,
        })
        .collect();
    assert!(added.iter().any(|a| a.contains("daily")), "{:?}", b.words);
    assert!(added.iter().any(|a| a.contains("writing")), "{:?}", b.words);
    assert_eq!(removed, ["reading"], "{:?}", b.words);
    // Reading only what is the same and added gives the newer text; same and removed the older.
    let newer: String = b
        .words
        .iter()
        .filter_map(|w| match w {
            WordChange::Same(s) | WordChange::Added(s) => Some(s.as_str()),
            WordChange::Removed(_) => None,
        })
        .collect();
    assert_eq!(newer, "Needs daily help with writing");
    let c = &sections[2];
    assert!(!c.changed && c.words.is_empty(), "empty in both");
    let i = sections.iter().find(|s| s.section == Section::I).unwrap();
    assert_eq!(i.words, [WordChange::Added("Anytown Primary".into())]);
    let k = sections.iter().find(|s| s.section == Section::K).unwrap();
    assert_eq!(k.words, [WordChange::Removed("EP advice".into())]);
}

// ---- timed alerts ---------------------------------------------------------------------------------

#[test]
fn the_officers_alert_falls_due_five_days_after_serving_if_unopened_and_the_reminder_five_days_before_the_last_day_each_once()
 {
    let served = date!(2026 - 12 - 01);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    let last = date!(2026 - 12 - 15);
    assert_eq!(case.next_plan_alert_on(), Some(date!(2026 - 12 - 06)));
    assert!(case.plan_alerts_due(date!(2026 - 12 - 05)).is_empty());
    assert_eq!(
        case.plan_alerts_due(date!(2026 - 12 - 06)),
        [PlanAlert::NotOpened]
    );
    assert_eq!(
        case.record_plan_alerts(date!(2026 - 12 - 06)),
        Some((1, vec![PlanAlert::NotOpened]))
    );
    // Once: not again the same day nor later.
    assert!(case.plan_alerts_due(date!(2026 - 12 - 06)).is_empty());
    assert!(case.plan_alerts_due(date!(2026 - 12 - 08)).is_empty());
    // The reminder: 5 days before the last day.
    let remind = last - days(5);
    assert_eq!(remind, date!(2026 - 12 - 10));
    assert_eq!(case.next_plan_alert_on(), Some(remind));
    assert!(case.plan_alerts_due(remind - days(1)).is_empty());
    assert_eq!(case.plan_alerts_due(remind), [PlanAlert::CommentReminder]);
    assert_eq!(
        case.record_plan_alerts(remind + days(1)),
        Some((1, vec![PlanAlert::CommentReminder]))
    );
    assert_eq!(case.next_plan_alert_on(), None);
    assert!(case.plan_alerts_due(last).is_empty());
    let records = &case.plans[0].consultation.as_ref().unwrap().alerts;
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.sent));
}

#[test]
fn a_draft_opened_within_five_days_raises_no_alert_and_a_reminder_missed_until_after_the_last_day_lapses()
 {
    let served = date!(2026 - 12 - 01);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    assert!(case.record_plan_opened(1, parent(), midnight(served + days(4))));
    assert!(
        !case.record_plan_opened(1, AccountId(Uuid::from_u128(8)), midnight(served + days(5))),
        "only the first opening is kept"
    );
    assert_eq!(
        case.plans[0]
            .consultation
            .as_ref()
            .unwrap()
            .first_opened
            .unwrap()
            .by,
        parent()
    );
    assert_eq!(case.next_plan_alert_on(), Some(date!(2026 - 12 - 10)));
    assert!(case.plan_alerts_due(date!(2026 - 12 - 09)).is_empty());

    // The scheduler did not run until after the last day: the reminder is not sent late, and
    // it is handled (lapsed) so it never comes back.
    let late = date!(2026 - 12 - 16);
    assert!(case.plan_alerts_due(late).is_empty());
    assert_eq!(case.record_plan_alerts(late), Some((1, Vec::new())));
    let records = &case.plans[0].consultation.as_ref().unwrap().alerts;
    assert_eq!(records.len(), 1);
    assert!(!records[0].sent);
    assert_eq!(case.next_plan_alert_on(), None);
}

#[test]
fn a_final_plan_ends_the_alerts_of_its_draft() {
    let served = date!(2026 - 12 - 01);
    let mut case = assessing(date!(2026 - 10 - 01));
    case.publish_plan(
        PlanKind::Draft,
        text(&[(Section::B, "Reading")]),
        served,
        midnight(served),
        None,
    )
    .unwrap();
    let issued = served + days(15);
    case.publish_plan(
        PlanKind::Final,
        text(&[(Section::B, "Reading")]),
        issued,
        midnight(issued),
        None,
    )
    .unwrap();
    assert_eq!(case.next_plan_alert_on(), None);
    assert!(case.plan_alerts_due(issued).is_empty());
    assert_eq!(case.record_plan_alerts(issued), None);
}

// ---- the use cases --------------------------------------------------------------------------------

const NOW: time::OffsetDateTime = time::macros::datetime!(2026-11-02 10:00 UTC);
const TODAY: Date = date!(2026 - 11 - 02);

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, Arc<SeededSecretSource>>,
    officer: AccountId,
    parent: AccountId,
    advocate: AccountId,
    sendco: AccountId,
    contributor: AccountId,
    case: CaseId,
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

async fn person(store: &InMemoryStore, n: u128, email: &str, role: Role) -> AccountId {
    let mut tx = store.begin().await.unwrap();
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

impl World {
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            Arc::new(SeededSecretSource::new(5)),
            SecuritySettings::default(),
        );
        let officer = person(&store, 1, "officer@anytown.example", Role::LaOfficer).await;
        let case = cases
            .create(
                officer,
                NewCase {
                    la_reference: "EHC-7".into(),
                    given_name: "Ava".into(),
                    family_name: "Thornbury".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: date!(2026 - 09 - 01),
                    received_by: ReceivedBy::Post,
                    settings: vec![Urn::parse("100001").unwrap()],
                },
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        // Decided before anyone else is on the case: the e-mails below are the plan's only.
        cases
            .record_event(
                officer,
                case,
                1,
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 09 - 20),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let parent = person(&store, 2, "parent@example.com", Role::ParentCarer { case }).await;
        let advocate = person(
            &store,
            3,
            "advocate@sendiass.example",
            Role::Advocate { for_person: parent },
        )
        .await;
        let sendco = person(
            &store,
            4,
            "sendco@school.example",
            Role::Sendco {
                setting: Urn::parse("100001").unwrap(),
            },
        )
        .await;
        let contributor = person(&store, 5, "ep@example.org", Role::Contributor { case }).await;
        Self {
            store,
            cases,
            officer,
            parent,
            advocate,
            sendco,
            contributor,
            case,
        }
    }

    async fn version(&self) -> i64 {
        self.cases
            .plan(self.officer, self.case, None, NOW, None)
            .await
            .unwrap()
            .version
    }

    async fn publish_draft(&self) -> u32 {
        self.cases
            .publish_plan(
                self.officer,
                self.case,
                self.version().await,
                PlanKind::Draft,
                (
                    text(&[
                        (Section::A, "Ava likes drawing."),
                        (Section::F, "Weekly speech therapy"),
                    ]),
                    None,
                ),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap()
    }

    async fn emails_to(&self, who: &str) -> Vec<CaseUpdate> {
        let to = Recipient::Email(EmailAddress::parse(who).unwrap());
        self.store
            .outbox_messages()
            .await
            .into_iter()
            .filter(|m| m.recipient == to)
            .filter_map(|m| match m.content {
                MessageContent::CaseUpdate {
                    case_reference,
                    update,
                } => {
                    assert_eq!(case_reference, "EHC-7", "the LA reference only");
                    Some(update)
                }
                _ => None,
            })
            .collect()
    }

    async fn timeline(&self) -> Vec<String> {
        let mut tx = self.store.begin().await.unwrap();
        let entries = tx.cases().timeline(self.case, 100).await.unwrap();
        tx.commit().await.unwrap();
        entries.into_iter().map(|e| e.what).collect()
    }
}

#[test]
fn the_la_publishes_a_draft_and_the_family_is_asked_by_email_to_comment_by_the_last_day() {
    pollster::block_on(async {
        let w = World::new().await;
        assert_eq!(w.publish_draft().await, 1);
        let view = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap();
        assert_eq!(view.case.plans.len(), 1);
        assert_eq!(view.case.stage().describe(), "Draft plan");
        let ask = CaseUpdate::ActionRequested {
            action: "Comment on the draft EHC plan".into(),
            by: date!(2026 - 11 - 16),
        };
        assert_eq!(w.emails_to("parent@example.com").await, vec![ask.clone()]);
        assert_eq!(w.emails_to("advocate@sendiass.example").await, [ask]);
        assert_eq!(
            w.emails_to("sendco@school.example").await,
            [CaseUpdate::StageReached {
                stage: "Draft plan".into()
            }]
        );
        assert!(w.emails_to("ep@example.org").await.is_empty());
        assert!(
            w.timeline()
                .await
                .iter()
                .any(|t| t == "Draft EHC plan published (version 1): comments by 16 November 2026")
        );
        // Not the LA: refused. A stale version: a conflict.
        for who in [w.parent, w.sendco] {
            let refused = w
                .cases
                .publish_plan(
                    who,
                    w.case,
                    w.version().await,
                    PlanKind::Draft,
                    (text(&[(Section::A, "x")]), None),
                    NOW,
                    TODAY,
                    None,
                )
                .await;
            assert_eq!(refused, Err(CaseServiceError::NotAllowed));
        }
        let stale = w
            .cases
            .publish_plan(
                w.officer,
                w.case,
                w.version().await - 1,
                PlanKind::Draft,
                (text(&[(Section::A, "x")]), None),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(matches!(
            stale,
            Err(CaseServiceError::Store(StoreError::Conflict { .. }))
        ));
        // A final plan during the period is refused by the case's date rule (reg 13(1)).
        let early = w
            .cases
            .publish_plan(
                w.officer,
                w.case,
                w.version().await,
                PlanKind::Final,
                (text(&[(Section::A, "x")]), None),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(
            matches!(
                early,
                Err(CaseServiceError::Invalid(CaseError::TooEarly { .. }))
            ),
            "{early:?}"
        );
        let view = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap();
        assert_eq!(view.case.plans.len(), 1, "nothing refused was kept");
    });
}

#[test]
fn only_the_family_responds_and_only_the_participants_see_the_plan() {
    pollster::block_on(async {
        let w = World::new().await;
        w.publish_draft().await;
        for who in [w.parent, w.advocate] {
            w.cases
                .respond_to_plan(
                    who,
                    w.case,
                    1,
                    comment(Section::F, "Twice a week please"),
                    NOW,
                    TODAY,
                    None,
                )
                .await
                .unwrap();
        }
        for who in [w.officer, w.sendco] {
            assert_eq!(
                w.cases
                    .respond_to_plan(who, w.case, 1, comment(Section::F, "x"), NOW, TODAY, None)
                    .await,
                Err(CaseServiceError::NotAllowed)
            );
        }
        assert_eq!(
            w.cases
                .respond_to_plan(
                    w.contributor,
                    w.case,
                    1,
                    comment(Section::F, "x"),
                    NOW,
                    TODAY,
                    None
                )
                .await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .plan(w.contributor, w.case, Some(1), NOW, None)
                .await,
            Err(CaseServiceError::NotFound),
            "a contributor sees no plan"
        );
        assert_eq!(
            w.cases
                .plan(w.officer, CaseId(Uuid::from_u128(99)), None, NOW, None)
                .await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases.plan(w.officer, w.case, Some(9), NOW, None).await,
            Err(CaseServiceError::NotFound),
            "no such version"
        );
        let after = TODAY + days(15);
        let late = w
            .cases
            .respond_to_plan(
                w.parent,
                w.case,
                1,
                comment(Section::F, "Late"),
                NOW,
                after,
                None,
            )
            .await;
        assert_eq!(
            late,
            Err(CaseServiceError::Plan(PlanError::Closed {
                last_day: date!(2026 - 11 - 16)
            }))
        );
        let view = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap();
        let c = view.case.plans[0].consultation.as_ref().unwrap();
        assert_eq!(c.comments.len(), 2);
        assert_eq!(c.comments[1].by, w.advocate);
        assert_eq!(
            w.timeline()
                .await
                .iter()
                .filter(|t| t.starts_with("Comment on section F of the plan (version 1)"))
                .count(),
            2
        );
    });
}

#[test]
fn the_familys_first_opening_is_recorded_once_and_an_unopened_draft_alerts_the_officer_once() {
    pollster::block_on(async {
        let w = World::new().await;
        let version = w.version().await;
        w.cases
            .assign_officer(w.officer, w.case, version, w.officer, NOW, None)
            .await
            .unwrap();
        w.publish_draft().await;
        // The LA and the setting opening it is not the family opening it.
        w.cases
            .plan(w.officer, w.case, Some(1), NOW, None)
            .await
            .unwrap();
        w.cases
            .plan(w.sendco, w.case, Some(1), NOW, None)
            .await
            .unwrap();
        let five_days_on = TODAY + days(5);
        assert_eq!(
            w.cases
                .send_plan_alerts(w.case, NOW, five_days_on - days(1))
                .await
                .unwrap(),
            []
        );
        assert_eq!(
            w.cases
                .send_plan_alerts(w.case, NOW, five_days_on)
                .await
                .unwrap(),
            [PlanAlert::NotOpened]
        );
        assert_eq!(
            w.cases
                .send_plan_alerts(w.case, NOW, five_days_on)
                .await
                .unwrap(),
            [],
            "once"
        );
        let officer_mail = w.emails_to("officer@anytown.example").await;
        assert_eq!(officer_mail.len(), 1, "{officer_mail:?}");
        assert!(
            matches!(&officer_mail[0], CaseUpdate::ActionRequested { action, .. } if action.contains("not opened"))
        );

        // Then the parent opens it: recorded once, on the timeline.
        let opened_at = NOW + days(6);
        w.cases
            .plan(w.parent, w.case, Some(1), opened_at, None)
            .await
            .unwrap();
        w.cases
            .plan(w.advocate, w.case, Some(1), opened_at + days(1), None)
            .await
            .unwrap();
        let view = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap();
        let first = view.case.plans[0]
            .consultation
            .as_ref()
            .unwrap()
            .first_opened
            .unwrap();
        assert_eq!((first.by, first.at), (w.parent, opened_at));
        let timeline = w.timeline().await;
        assert_eq!(
            timeline
                .iter()
                .filter(|t| t.starts_with("The family opened the plan"))
                .count(),
            1
        );

        // The reminder goes to the family once, 5 days before the last day.
        let remind = date!(2026 - 11 - 11);
        assert_eq!(
            w.cases.send_plan_alerts(w.case, NOW, remind).await.unwrap(),
            [PlanAlert::CommentReminder]
        );
        assert_eq!(
            w.cases.send_plan_alerts(w.case, NOW, remind).await.unwrap(),
            []
        );
        assert_eq!(
            w.emails_to("parent@example.com").await.len(),
            2,
            "the request, then the reminder"
        );
        assert!(
            timeline
                .iter()
                .any(|t| t.contains("the case officer was alerted"))
        );
    });
}

#[test]
fn the_hubs_timed_alert_run_finds_the_plans_alerts_through_next_alert_on_and_sends_each_once() {
    pollster::block_on(async {
        let w = World::new().await;
        let version = w.version().await;
        w.cases
            .assign_officer(w.officer, w.case, version, w.officer, NOW, None)
            .await
            .unwrap();
        w.publish_draft().await;
        let five_days_on = TODAY + days(5);
        let stored = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap()
            .case;
        assert_eq!(stored.next_timed_alert_on(), Some(five_days_on));
        let before = w
            .cases
            .send_timed_alerts(five_days_on - days(1), NOW)
            .await
            .unwrap();
        assert_eq!(before.sent, 0);
        let report = w.cases.send_timed_alerts(five_days_on, NOW).await.unwrap();
        assert_eq!((report.cases, report.sent, report.deferred), (1, 1, 0));
        let again = w.cases.send_timed_alerts(five_days_on, NOW).await.unwrap();
        assert_eq!(again.sent, 0, "once");
        assert_eq!(w.emails_to("officer@anytown.example").await.len(), 1);
        // Next: the family's reminder, 5 days before the last day.
        let stored = w
            .cases
            .plan(w.officer, w.case, None, NOW, None)
            .await
            .unwrap()
            .case;
        assert_eq!(stored.next_timed_alert_on(), Some(date!(2026 - 11 - 11)));
    });
}
