//! Advice requests on the in-memory store: the due date (reg 8(1): 6 weeks), the contributor
//! invited when they have no account, the private draft, the submission seen by the LA and the
//! family, and the timed alerts — reminders at weeks 3 and 5 sent once, the overdue alert to
//! the case officer the day after the due date.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::alert::AlertPreference;
use ehc_core::case::advice::{AdviceAlert, AdviceShown};
use ehc_core::case::tray::{DueFilter, TraySort};
use ehc_core::case::{
    CaseError, CaseId, CaseService, CaseServiceError, EventKind, EventNumber, NewCase, ReceivedBy,
    TrayFilters,
};
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::Store;
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// Monday 2 March 2026: the day advice is requested.
const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);
const TODAY: Date = date!(2026 - 03 - 02);
const EP: &str = "eli.ep@anytown-ep.example.org";

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, Arc<SeededSecretSource>>,
    officer: AccountId,
    case: CaseId,
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

/// The day `days` after [`TODAY`], at 10:00.
fn at(days: i64) -> (OffsetDateTime, Date) {
    (NOW + Duration::days(days), TODAY + Duration::days(days))
}

impl World {
    /// A case being assessed, with its officer assigned.
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            Arc::new(SeededSecretSource::new(5)),
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
                    settings: vec![Urn::parse("100001").unwrap()],
                },
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        w.cases
            .record_event(
                w.officer,
                w.case,
                1,
                EventKind::DecisionToAssess { assess: true },
                date!(2026 - 02 - 10),
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        w.cases
            .assign_officer(w.officer, w.case, 2, w.officer, NOW, None)
            .await
            .unwrap();
        w
    }

    async fn person(&self, n: u128, email: &str, role: Role) -> AccountId {
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
                id: GrantId(Uuid::from_u128(5000 + n)),
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
        let mut tx = self.store.begin().await.unwrap();
        tx.cases().get(self.case).await.unwrap().unwrap().version
    }

    async fn request(&self, email: &str) -> Result<EventNumber, CaseServiceError> {
        self.cases
            .request_advice(
                self.officer,
                self.case,
                self.version().await,
                ("Educational psychologist", email, "Cognition and learning"),
                NOW,
                TODAY,
                None,
            )
            .await
    }

    /// The case-update e-mails queued so far: (to, update).
    async fn alerts(&self) -> Vec<(String, CaseUpdate)> {
        self.store
            .outbox_messages()
            .await
            .into_iter()
            .filter_map(|m| match (m.recipient, m.content) {
                (Recipient::Email(to), MessageContent::CaseUpdate { update, .. }) => {
                    Some((to.to_string(), update))
                }
                _ => None,
            })
            .collect()
    }

    async fn send(&self, days: i64) -> u32 {
        let (now, today) = at(days);
        self.cases.send_timed_alerts(today, now).await.unwrap().sent
    }
}

#[test]
fn advice_is_due_six_weeks_after_the_request_and_a_new_person_is_invited_as_contributor() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w.request(EP).await.unwrap();
        let view = w.cases.view(w.officer, w.case, NOW, None).await.unwrap();
        let request = view.case.advice_request(number).unwrap();
        assert_eq!(
            request.due_on,
            date!(2026 - 04 - 13),
            "same weekday 6 weeks on"
        );
        assert_eq!(request.contributor, None, "no account yet");
        let deadline = view
            .deadlines
            .iter()
            .find(|d| d.about == Some(number))
            .unwrap();
        assert_eq!(deadline.due, request.due_on, "the tracker agrees");

        let messages = w.store.outbox_messages().await;
        assert!(messages.iter().any(|m| matches!(
            &m.content,
            MessageContent::Invitation { roles, .. } if roles == &vec![Role::Contributor { case: w.case }]
        ) && m.recipient == Recipient::Email(EmailAddress::parse(EP).unwrap())));
        let alerts = w.alerts().await;
        assert!(alerts.iter().any(|(to, u)| to == EP
            && matches!(u, CaseUpdate::ActionRequested { by, .. } if *by == date!(2026 - 04 - 13))));
        assert!(
            view.timeline[0]
                .what
                .starts_with("Advice requested from Educational psychologist")
        );
    });
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    pollster::block_on(async {
        let w = World::new().await;
        let before = w.version().await;
        let messages = w.store.outbox_messages().await.len();
        let bad = [
            ("Educational psychologist", "not-an-address", "x"),
            ("", EP, "Cognition"),
            ("Educational psychologist", EP, "   "),
        ];
        for fields in bad {
            let result = w
                .cases
                .request_advice(w.officer, w.case, before, fields, NOW, TODAY, None)
                .await;
            assert!(
                matches!(
                    result,
                    Err(CaseServiceError::Invite(_) | CaseServiceError::Invalid(_))
                ),
                "{fields:?}: {result:?}"
            );
        }
        let long = "x".repeat(2_001);
        let result = w
            .cases
            .request_advice(
                w.officer,
                w.case,
                before,
                ("Educational psychologist", EP, &long),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert!(matches!(
            result,
            Err(CaseServiceError::Invalid(CaseError::TooLong { .. }))
        ));
        assert_eq!(w.version().await, before);
        assert_eq!(
            w.store.outbox_messages().await.len(),
            messages,
            "nobody invited"
        );

        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case: w.case })
            .await;
        let refused = w
            .cases
            .request_advice(
                parent,
                w.case,
                before,
                ("Educational psychologist", EP, "Cognition"),
                NOW,
                TODAY,
                None,
            )
            .await;
        assert_eq!(refused, Err(CaseServiceError::NotAllowed));
    });
}

#[test]
fn the_draft_is_the_contributors_alone_and_submitted_advice_reaches_the_la_and_the_family() {
    pollster::block_on(async {
        let w = World::new().await;
        let ep = w.person(3, EP, Role::Contributor { case: w.case }).await;
        let parent = w
            .person(2, "parent@example.org", Role::ParentCarer { case: w.case })
            .await;
        let sendco = w
            .person(
                4,
                "sendco@school.example",
                Role::Sendco {
                    setting: Urn::parse("100001").unwrap(),
                },
            )
            .await;
        let other = w
            .person(5, "other@example.org", Role::Contributor { case: w.case })
            .await;
        let number = w.request(EP).await.unwrap();

        w.cases
            .save_advice_draft(ep, w.case, number, "Ava reads well", NOW, None)
            .await
            .unwrap();
        let w = &w;
        let shown = |viewer| async move { w.cases.case_advice(viewer, w.case, NOW).await.unwrap() };
        let own = shown(ep).await;
        assert_eq!(own[0].shown, AdviceShown::Own);
        assert_eq!(
            own[0].request.draft.as_ref().unwrap().text,
            "Ava reads well"
        );
        for viewer in [w.officer, parent] {
            let items = shown(viewer).await;
            assert_eq!(items[0].shown, AdviceShown::Advice);
            assert!(
                items[0].request.draft.is_none(),
                "nobody else sees the draft"
            );
            assert!(!items[0].answered);
            assert_eq!(items[0].request.from, "Educational psychologist");
        }
        assert!(
            shown(other).await.is_empty(),
            "another contributor sees nothing"
        );
        assert_eq!(
            w.cases.advice_page(other, w.case, number, NOW, None).await,
            Err(CaseServiceError::NotFound)
        );
        assert_eq!(
            w.cases
                .save_advice_draft(other, w.case, number, "mine", NOW, None)
                .await,
            Err(CaseServiceError::NotFound),
            "nor can they write it"
        );

        let (later, day) = at(10);
        assert!(matches!(
            w.cases
                .submit_advice(ep, w.case, number, "  ", later, day, None)
                .await,
            Err(CaseServiceError::Invalid(CaseError::Missing(_)))
        ));
        w.cases
            .submit_advice(
                ep,
                w.case,
                number,
                "Ava reads well.\nShe needs help with maths.",
                later,
                day,
                None,
            )
            .await
            .unwrap();
        let la = shown(w.officer).await;
        assert!(la[0].answered);
        assert_eq!(
            la[0].request.submitted.as_ref().unwrap().text,
            "Ava reads well.\nShe needs help with maths."
        );
        assert!(shown(parent).await[0].request.submitted.is_some());
        let setting = shown(sendco).await;
        assert_eq!(setting[0].shown, AdviceShown::Status);
        assert!(setting[0].answered && setting[0].request.submitted.is_none());

        let view = w.cases.view(w.officer, w.case, later, None).await.unwrap();
        let met = view
            .deadlines
            .iter()
            .find(|d| d.about == Some(number))
            .unwrap();
        assert_eq!(met.met_on, Some(day), "submission meets the reg 8 date");
        assert!(w.alerts().await.iter().any(|(to, u)| to == "officer@anytown.example"
            && matches!(u, CaseUpdate::DocumentAdded { kind } if kind == "advice from Educational psychologist")));
        assert!(matches!(
            w.cases
                .save_advice_draft(ep, w.case, number, "more", later, None)
                .await,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(_)))
        ));
    });
}

#[test]
fn a_contributor_invited_before_registering_is_linked_when_they_open_the_request() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w.request(EP).await.unwrap();
        // They register: an account with the contributor grant of the invitation.
        let ep = w.person(3, EP, Role::Contributor { case: w.case }).await;
        let page = w
            .cases
            .advice_page(ep, w.case, number, NOW, None)
            .await
            .unwrap();
        assert_eq!(page.item.shown, AdviceShown::Own);
        let view = w.cases.view(ep, w.case, NOW, None).await.unwrap();
        assert_eq!(
            view.case.advice_request(number).unwrap().contributor,
            Some(ep)
        );
        assert!(
            view.deadlines.iter().any(|d| d.about == Some(number)),
            "their tracker now shows their date"
        );
    });
}

#[test]
fn reminders_go_at_weeks_three_and_five_once_each_and_the_officer_is_alerted_when_overdue() {
    pollster::block_on(async {
        let w = World::new().await;
        w.request(EP).await.unwrap();
        let before = w.alerts().await.len();
        assert_eq!(w.send(20).await, 0, "nothing before week 3");
        assert_eq!(w.send(21).await, 1, "week 3");
        assert_eq!(w.send(21).await, 0, "once");
        assert_eq!(w.send(30).await, 0);
        assert_eq!(w.send(35).await, 1, "week 5");
        assert_eq!(w.send(36).await, 0, "once");
        assert_eq!(w.send(42).await, 0, "due today is not overdue yet");
        assert_eq!(w.send(43).await, 1, "overdue the day after the due date");
        assert_eq!(w.send(60).await, 0, "nothing more");

        let sent: Vec<(String, CaseUpdate)> = w.alerts().await.split_off(before);
        assert_eq!(sent.len(), 3);
        assert!(sent[..2].iter().all(|(to, u)| to == EP
            && matches!(u, CaseUpdate::ActionRequested { by, .. } if *by == date!(2026 - 04 - 13))));
        assert_eq!(
            sent[2],
            (
                "officer@anytown.example".to_owned(),
                CaseUpdate::Overdue {
                    what: "advice from Educational psychologist".into(),
                    due: date!(2026 - 04 - 13)
                }
            )
        );
        let (now, today) = at(43);
        let view = w.cases.view(w.officer, w.case, now, None).await.unwrap();
        let request = &view.case.advice[0];
        for alert in AdviceAlert::ALL {
            assert!(request.alerts.sent(alert).is_some(), "{alert:?} recorded");
        }
        assert!(
            view.timeline[0]
                .what
                .starts_with("Overdue: advice from Educational psychologist")
        );

        // The officer's tray tags and filters it.
        let (tray, _) = w
            .cases
            .tray(
                w.officer,
                &TrayFilters {
                    due: Some(DueFilter::AdviceOverdue),
                    sort: TraySort::NextDate,
                    ..TrayFilters::default()
                },
                now,
                today,
            )
            .await
            .unwrap();
        assert_eq!(tray.rows.len(), 1);
        assert!(tray.rows[0].advice_overdue(today));
    });
}

#[test]
fn after_a_pause_only_the_latest_alert_is_sent_and_submitted_advice_stops_them() {
    pollster::block_on(async {
        let w = World::new().await;
        let ep = w.person(3, EP, Role::Contributor { case: w.case }).await;
        let first = w.request(EP).await.unwrap();
        let second = w.request("sam.salt@example.org").await.unwrap();
        let before = w.alerts().await.len();
        // The hub was stopped from week 2 to week 5.
        assert_eq!(
            w.send(36).await,
            2,
            "one week-5 reminder per request, no week-3 one"
        );
        let (now, day) = at(37);
        w.cases
            .submit_advice(ep, w.case, first, "Advice", now, day, None)
            .await
            .unwrap();
        assert_eq!(
            w.send(50).await,
            1,
            "only the unanswered request is overdue"
        );
        let sent = w.alerts().await.split_off(before);
        let to = |who: &str| sent.iter().filter(|(to, _)| to == who).count();
        assert_eq!(
            to(EP),
            1,
            "the week-5 reminder, then nothing after submitting"
        );
        assert_eq!(to("sam.salt@example.org"), 1, "the week-5 reminder");
        assert!(
            sent.iter()
                .filter(|(_, u)| matches!(u, CaseUpdate::Overdue { .. }))
                .count()
                == 1,
            "one overdue alert"
        );
        let view = w.cases.view(w.officer, w.case, now, None).await.unwrap();
        assert_eq!(
            view.case.advice_request(second).unwrap().alerts.week_3,
            None
        );
        assert!(
            view.case
                .advice_request(second)
                .unwrap()
                .alerts
                .week_5
                .is_some()
        );
    });
}

#[test]
fn a_withdrawn_request_is_neither_shown_nor_reminded_about() {
    pollster::block_on(async {
        let w = World::new().await;
        w.request(EP).await.unwrap();
        w.cases
            .withdraw(
                w.officer,
                w.case,
                w.version().await,
                ehc_core::case::Withdrawal::LastEvent,
                "Wrong person",
                NOW,
                None,
            )
            .await
            .unwrap();
        assert!(
            w.cases
                .case_advice(w.officer, w.case, NOW)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(w.send(50).await, 0);
    });
}

#[test]
fn a_contributor_and_an_officer_who_chose_the_daily_digest_get_their_advice_alerts_in_it() {
    pollster::block_on(async {
        let w = World::new().await;
        let ep = w.person(9, EP, Role::Contributor { case: w.case }).await;
        let mut tx = w.store.begin().await.unwrap();
        for account in [ep, w.officer] {
            tx.alerts()
                .set_preference(account, AlertPreference::DailyDigest, NOW)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let before = w.alerts().await.len();
        w.request(EP).await.unwrap();
        assert_eq!(w.send(21).await, 1, "week 3");
        assert_eq!(w.send(43).await, 1, "overdue");
        assert_eq!(w.alerts().await.len(), before, "no e-mail straight away");

        let mut tx = w.store.begin().await.unwrap();
        let parked = tx
            .alerts()
            .take_parked(NOW + Duration::days(100), 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let parked: Vec<(AccountId, &CaseUpdate)> =
            parked.iter().map(|p| (p.account, &p.update)).collect();
        assert_eq!(parked.len(), 3, "{parked:?}");
        assert_eq!(
            parked
                .iter()
                .filter(|(to, u)| *to == ep
                    && matches!(u, CaseUpdate::ActionRequested { action, .. }
                        if action.starts_with("give your advice")))
                .count(),
            2,
            "the request and the week-3 reminder: {parked:?}"
        );
        assert!(
            parked
                .iter()
                .any(|(to, u)| *to == w.officer && matches!(u, CaseUpdate::Overdue { .. })),
            "{parked:?}"
        );
    });
}

#[test]
fn a_reminder_goes_to_the_contributor_s_current_address_after_they_change_it() {
    pollster::block_on(async {
        let w = World::new().await;
        let number = w.request(EP).await.unwrap();
        let ep = w.person(3, EP, Role::Contributor { case: w.case }).await;
        // Opening the request links it to their account.
        w.cases
            .advice_page(ep, w.case, number, NOW, None)
            .await
            .unwrap();
        let mut tx = w.store.begin().await.unwrap();
        tx.accounts()
            .set_email(ep, &EmailAddress::parse("ep.moved@example.org").unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let before = w.alerts().await.len();
        assert_eq!(w.send(21).await, 1, "week 3");
        let sent = w.alerts().await.split_off(before);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "ep.moved@example.org");
    });
}

#[test]
fn a_contributor_who_changes_address_before_opening_the_request_keeps_it() {
    use ehc_core::account_change::{AccountChangeService, Reauthentication};
    use ehc_core::sign_in::SignInState;
    use ehc_core::test_support::{FastHasher, email_change_tokens};
    pollster::block_on(async {
        let w = World::new().await;
        let number = w.request(EP).await.unwrap();
        // Registered from the invitation, but the request is not opened yet.
        let ep = w.person(3, EP, Role::Contributor { case: w.case }).await;
        let changes = AccountChangeService::new(
            w.store.clone(),
            Arc::new(FastHasher::new()),
            Arc::new(SeededSecretSource::new(9)),
            SecuritySettings::default(),
        );
        let state = SignInState::SignedIn {
            account: ep,
            at: NOW,
        };
        let proof = Reauthentication {
            account: ep,
            at: NOW,
        };
        changes
            .request_email_change(&state, Some(&proof), "eli.moved@example.org", NOW, None)
            .await
            .unwrap();
        let token = email_change_tokens(&w.store.outbox_messages().await)
            .pop()
            .unwrap();
        changes
            .confirm_email_change(&state, &token, NOW, None)
            .await
            .unwrap();
        // Still theirs to open and answer, and the reminder goes to the new address.
        let page = w
            .cases
            .advice_page(ep, w.case, number, NOW, None)
            .await
            .unwrap();
        assert_eq!(page.item.shown, AdviceShown::Own);
        let before = w.alerts().await.len();
        assert_eq!(w.send(21).await, 1, "week 3");
        let sent = w.alerts().await.split_off(before);
        assert_eq!(sent[0].0, "eli.moved@example.org");
    });
}
