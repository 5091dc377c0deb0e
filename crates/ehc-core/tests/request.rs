//! *Request an EHC needs assessment* online, on the in-memory store: the answers' checks, the
//! ages, the case it creates (received today, so every clock starts today), the requester's
//! access (an invitation and no account for a person who is not signed in), the SENDCo's route,
//! unique references, new requests first on the LA's tray, and the files sent with a request
//! (recorded with the case in one unit of work, or nothing is).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::AuditKind;
use ehc_core::case::request::{RequestAnswers, RequestField, Requester};
use ehc_core::case::tray::TraySort;
use ehc_core::case::{
    CaseService, NewCase, ReceivedBy, RequestDocuments, SendRequestError, SentRequest, Stage,
    TrayFilters,
};
use ehc_core::document::{
    ContentHash, ContentType, DocumentError, DocumentKind, DocumentService, NewDocument,
    SizeLimits, StoredBlob,
};
use ehc_core::invitation::InviteOutcome;
use ehc_core::outbox::MessageContent;
use ehc_core::password::PasswordHash;
use ehc_core::ports::{RandomnessUnavailable, SecretSource, Store};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::system::OsSecretSource;
use ehc_core::test_support::InMemoryStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The instant and the LA's date the service is given (the web layer's `london_today` is
/// tested over HTTP).
const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);
const TODAY: Date = date!(2026 - 03 - 02);
const PARENT_EMAIL: &str = "pat.parent@example.com";

/// OS randomness, except that the first `zeros` requests for 6 bytes (a reference's symbols)
/// get zeros: two requests then both try `REQ-2026-000000` first.
#[derive(Clone)]
struct ClashingReferences {
    zeros: Arc<AtomicUsize>,
}

impl SecretSource for ClashingReferences {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        if dest.len() == 6
            && self
                .zeros
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            dest.fill(0);
            return Ok(());
        }
        OsSecretSource.fill(dest)
    }
}

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, ClashingReferences>,
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn urn(s: &str) -> Urn {
    Urn::parse(s).unwrap()
}

impl World {
    fn new(clashing: usize) -> Self {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            ClashingReferences {
                zeros: Arc::new(AtomicUsize::new(clashing)),
            },
            SecuritySettings::default(),
        );
        Self { store, cases }
    }

    async fn person(&self, n: u128, email: &str, role: Option<Role>) -> AccountId {
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
        if let Some(role) = role {
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
        }
        tx.commit().await.unwrap();
        id(n)
    }

    async fn send(
        &self,
        by: Option<AccountId>,
        answers: &RequestAnswers,
    ) -> Result<SentRequest, SendRequestError> {
        self.send_with(by, answers, Vec::new()).await
    }

    async fn send_with(
        &self,
        by: Option<AccountId>,
        answers: &RequestAnswers,
        files: Vec<NewDocument>,
    ) -> Result<SentRequest, SendRequestError> {
        let documents = RequestDocuments {
            files,
            limits: SizeLimits::default(),
        };
        self.cases
            .send_request(by, answers, documents, NOW, TODAY, None)
            .await
    }

    async fn officer_tray(&self, officer: AccountId, sort: TraySort) -> Vec<(String, bool)> {
        self.cases
            .tray(
                officer,
                &TrayFilters {
                    sort,
                    ..TrayFilters::default()
                },
                NOW,
                TODAY,
            )
            .await
            .unwrap()
            .0
            .rows
            .into_iter()
            .map(|r| (r.la_reference.to_string(), r.new_request))
            .collect()
    }
}

/// A complete request from a parent.
fn parent_answers() -> RequestAnswers {
    RequestAnswers {
        requester: Some(Requester::ParentCarer),
        child_given_name: "Amara".into(),
        child_family_name: "Okafor".into(),
        child_date_of_birth: Some(date!(2015 - 03 - 27)),
        requester_name: "Pat Okafor".into(),
        relationship: "Mother".into(),
        email: PARENT_EMAIL.into(),
        phone: "07700 900982".into(),
        working_well: "She loves art.".into(),
        not_working: "Reading and writing.".into(),
        might_help: "Small groups.".into(),
        sen_support: "SEN support since Year 2.".into(),
        health: String::new(),
        consent: true,
    }
}

/// A file committed to the document store: a PDF of `size_bytes` whose hash is `n`s.
fn file(n: u8, title: &str, size_bytes: u64) -> NewDocument {
    NewDocument {
        blob: StoredBlob {
            hash: ContentHash::from_digest([n; 32]),
            size_bytes,
        },
        content_type: ContentType::Pdf,
        file_name: format!("report {n}.pdf"),
        title: title.into(),
        kind: DocumentKind::Report,
    }
}

fn fields(e: &SendRequestError) -> Vec<RequestField> {
    match e {
        SendRequestError::Invalid(errors) => errors.iter().map(|e| e.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

async fn nothing_stored(w: &World) {
    assert!(w.store.outbox_messages().await.is_empty(), "no e-mail");
    assert!(w.store.audit_events().await.is_empty(), "no audit entry");
    let officer = w
        .person(99, "officer@anytown.example", Some(Role::LaOfficer))
        .await;
    assert!(
        w.officer_tray(officer, TraySort::NextDate).await.is_empty(),
        "no case"
    );
}

#[test]
fn every_missing_answer_is_reported_at_once_and_nothing_is_stored() {
    pollster::block_on(async {
        let w = World::new(0);
        let refused = w.send(None, &RequestAnswers::default()).await.unwrap_err();
        assert_eq!(
            fields(&refused),
            [
                RequestField::Requester,
                RequestField::ChildGivenName,
                RequestField::ChildFamilyName,
                RequestField::ChildDateOfBirth,
                RequestField::RequesterName,
                RequestField::Email,
                RequestField::Consent,
            ],
            "few answers are mandatory: the views, SEN support, health and phone are not"
        );
        // A parent or carer says how they are related to the child.
        let no_relationship = RequestAnswers {
            relationship: "  ".into(),
            ..parent_answers()
        };
        let refused = w.send(None, &no_relationship).await.unwrap_err();
        assert_eq!(fields(&refused), [RequestField::Relationship]);
        nothing_stored(&w).await;
    });
}

#[test]
fn every_text_has_a_length_limit_and_a_phone_number_needs_seven_digits() {
    pollster::block_on(async {
        let w = World::new(0);
        let long = "a".repeat(4001);
        let answers = RequestAnswers {
            child_given_name: "b".repeat(101),
            child_family_name: "c".repeat(101),
            requester_name: "d".repeat(101),
            relationship: "e".repeat(101),
            email: format!("{}@example.com", "f".repeat(250)),
            phone: "12345".into(),
            working_well: long.clone(),
            not_working: long.clone(),
            might_help: long.clone(),
            sen_support: long.clone(),
            health: long,
            ..parent_answers()
        };
        let refused = w.send(None, &answers).await.unwrap_err();
        assert_eq!(
            fields(&refused),
            [
                RequestField::ChildGivenName,
                RequestField::ChildFamilyName,
                RequestField::RequesterName,
                RequestField::Relationship,
                RequestField::Email,
                RequestField::Phone,
                RequestField::WorkingWell,
                RequestField::NotWorking,
                RequestField::MightHelp,
                RequestField::SenSupport,
                RequestField::Health,
            ]
        );
        let SendRequestError::Invalid(errors) = refused else {
            unreachable!()
        };
        assert_eq!(
            errors[6].message,
            "What is working well must be 4000 characters or fewer"
        );
        // 4000 characters exactly, and a phone number with punctuation, are fine.
        let at_limits = RequestAnswers {
            working_well: "é".repeat(4000),
            phone: "+44 (0)1632 960-001".into(),
            ..parent_answers()
        };
        w.send(None, &at_limits).await.unwrap();
    });
}

#[test]
fn a_young_person_is_16_to_25_on_the_day_and_a_child_is_under_26() {
    pollster::block_on(async {
        let w = World::new(0);
        let young_person = |dob: Date| RequestAnswers {
            requester: Some(Requester::YoungPerson),
            child_date_of_birth: Some(dob),
            relationship: String::new(),
            ..parent_answers()
        };
        let refused = |r: Result<SentRequest, SendRequestError>| fields(&r.unwrap_err());
        // 16 today (born 2 March 2010) is old enough; a day younger is not.
        w.send(None, &young_person(date!(2010 - 03 - 02)))
            .await
            .unwrap();
        assert_eq!(
            refused(w.send(None, &young_person(date!(2010 - 03 - 03))).await),
            [RequestField::ChildDateOfBirth]
        );
        // 25 until the day before the 26th birthday.
        w.send(None, &young_person(date!(2000 - 03 - 03)))
            .await
            .unwrap();
        assert_eq!(
            refused(w.send(None, &young_person(date!(2000 - 03 - 02))).await),
            [RequestField::ChildDateOfBirth]
        );
        let parent_of = |dob: Date| RequestAnswers {
            child_date_of_birth: Some(dob),
            ..parent_answers()
        };
        // A parent may ask for a baby born today, not for a 26-year-old or a date to come.
        w.send(None, &parent_of(TODAY)).await.unwrap();
        assert_eq!(
            refused(w.send(None, &parent_of(date!(2000 - 03 - 02))).await),
            [RequestField::ChildDateOfBirth]
        );
        assert_eq!(
            refused(w.send(None, &parent_of(date!(2026 - 03 - 03))).await),
            [RequestField::ChildDateOfBirth]
        );
    });
}

#[test]
fn a_request_from_a_person_without_an_account_starts_every_clock_today_and_invites_them_without_making_an_account()
 {
    pollster::block_on(async {
        let w = World::new(0);
        let officer = w
            .person(1, "officer@anytown.example", Some(Role::LaOfficer))
            .await;
        let sent = w.send(None, &parent_answers()).await.unwrap();
        assert!(sent.reference.as_str().starts_with("REQ-2026-"));
        assert_eq!(
            sent.decision_due,
            Some(date!(2026 - 04 - 13)),
            "the decision whether to assess is due 6 weeks from today (reg 4/5(1))"
        );

        let view = w.cases.view(officer, sent.case, NOW, None).await.unwrap();
        let case = &view.case;
        assert_eq!(case.received_on, TODAY);
        assert_eq!(case.received_by, ReceivedBy::Online);
        assert_eq!(case.stage(), Stage::RequestReceived);
        assert_eq!(case.child.full_name(), "Amara Okafor");
        assert_eq!(case.family[0].relationship, "Mother");
        let request = case.request.as_ref().unwrap();
        assert_eq!(request.not_working, "Reading and writing.");
        assert_eq!(view.deadlines[0].statutory, date!(2026 - 04 - 13));
        assert!(
            view.timeline
                .iter()
                .any(|e| e.what
                    == "Request for an EHC needs assessment received online on 2 March 2026 from a parent or carer"
                    && e.actor.is_none())
        );

        // No account: the registration e-mail (the invitation flow) carries the role on the case.
        assert!(
            w.store
                .accounts()
                .await
                .iter()
                .all(|a| a.email.canonical() != PARENT_EMAIL),
            "no account exists until the parent registers"
        );
        assert!(matches!(
            sent.invitation,
            Some(InviteOutcome::Invited { .. })
        ));
        let messages = w.store.outbox_messages().await;
        assert_eq!(messages.len(), 1);
        match &messages[0].content {
            MessageContent::Invitation { roles, .. } => {
                assert_eq!(roles, &[Role::ParentCarer { case: sent.case }]);
            }
            other => panic!("an invitation, not {other:?}"),
        }
        assert_eq!(
            messages[0].recipient,
            ehc_core::outbox::Recipient::Email(EmailAddress::parse(PARENT_EMAIL).unwrap())
        );
        let audit = w.store.audit_events().await;
        let created = audit
            .iter()
            .find(|e| e.kind == AuditKind::CaseCreated)
            .unwrap();
        assert_eq!(created.actor, None);
        assert!(created.detail.contains(sent.reference.as_str()));
        assert!(audit.iter().any(|e| e.kind == AuditKind::Invited));
    });
}

#[test]
fn a_signed_in_parent_gets_the_role_at_once_and_no_e_mail() {
    pollster::block_on(async {
        let w = World::new(0);
        let parent = w.person(2, "someone@example.com", None).await;
        let sent = w.send(Some(parent), &parent_answers()).await.unwrap();
        assert_eq!(sent.invitation, None);
        assert!(w.store.outbox_messages().await.is_empty());
        let view = w.cases.view(parent, sent.case, NOW, None).await.unwrap();
        assert!(view.access.family, "the parent sees their case");
        let (tray, _) = w
            .cases
            .tray(parent, &TrayFilters::default(), NOW, TODAY)
            .await
            .unwrap();
        assert_eq!(tray.rows[0].id, sent.case);
    });
}

#[test]
fn a_sendcos_request_is_linked_to_their_setting_and_needs_their_grant() {
    pollster::block_on(async {
        let w = World::new(0);
        let sendco = w
            .person(
                3,
                "sam.sendco@anytown-primary.sch.uk",
                Some(Role::Sendco {
                    setting: urn("100001"),
                }),
            )
            .await;
        let school = |setting: &str| RequestAnswers {
            requester: Some(Requester::Sendco {
                setting: urn(setting),
            }),
            relationship: String::new(),
            email: "sam.sendco@anytown-primary.sch.uk".into(),
            ..parent_answers()
        };
        assert_eq!(
            w.send(None, &school("100001")).await,
            Err(SendRequestError::NotAllowed),
            "not signed in"
        );
        assert_eq!(
            w.send(Some(sendco), &school("100002")).await,
            Err(SendRequestError::NotAllowed),
            "another setting"
        );
        nothing_stored(&w).await;

        let sent = w.send(Some(sendco), &school("100001")).await.unwrap();
        assert_eq!(sent.invitation, None);
        let view = w.cases.view(sendco, sent.case, NOW, None).await.unwrap();
        assert_eq!(view.case.settings, [urn("100001")]);
        assert!(view.access.setting);
        assert!(view.case.family.is_empty());
        assert!(w.store.outbox_messages().await.is_empty());
    });
}

#[test]
fn a_reference_already_taken_is_replaced_by_a_new_one() {
    pollster::block_on(async {
        // Both requests draw REQ-2026-000000 first.
        let w = World::new(2);
        let first = w.send(None, &parent_answers()).await.unwrap();
        let second = w
            .send(
                None,
                &RequestAnswers {
                    email: "other.parent@example.com".into(),
                    ..parent_answers()
                },
            )
            .await
            .unwrap();
        assert_eq!(first.reference.as_str(), "REQ-2026-000000");
        assert_ne!(second.reference, first.reference);
        assert!(second.reference.as_str().starts_with("REQ-2026-"));
        assert_ne!(first.case, second.case);
    });
}

#[test]
fn new_requests_come_first_on_the_la_officers_tray_until_an_officer_is_assigned() {
    pollster::block_on(async {
        let w = World::new(0);
        let officer = w
            .person(1, "officer@anytown.example", Some(Role::LaOfficer))
            .await;
        // An older case, received by post, whose decision is due sooner.
        w.cases
            .create(
                officer,
                NewCase {
                    la_reference: "EHC-1".into(),
                    given_name: "Ava".into(),
                    family_name: "Thornbury".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: date!(2026 - 01 - 05),
                    received_by: ReceivedBy::Post,
                    settings: vec![],
                },
                NOW,
                TODAY,
                None,
            )
            .await
            .unwrap();
        let sent = w.send(None, &parent_answers()).await.unwrap();
        let new = sent.reference.to_string();
        assert_eq!(
            w.officer_tray(officer, TraySort::NextDate).await,
            [(new.clone(), true), ("EHC-1".to_owned(), false)]
        );
        // Other orders are the officer's choice: the new request is still marked.
        assert_eq!(
            w.officer_tray(officer, TraySort::ChildName).await,
            [(new.clone(), true), ("EHC-1".to_owned(), false)]
        );
        let view = w.cases.view(officer, sent.case, NOW, None).await.unwrap();
        w.cases
            .assign_officer(officer, sent.case, view.version, officer, NOW, None)
            .await
            .unwrap();
        assert_eq!(
            w.officer_tray(officer, TraySort::NextDate).await,
            [("EHC-1".to_owned(), false), (new, false)],
            "picked up: back in date order"
        );
    });
}

#[test]
fn a_request_sent_signed_out_with_an_existing_accounts_address_gives_it_no_access_only_an_email() {
    pollster::block_on(async {
        let w = World::new(0);
        let holder = w.person(2, PARENT_EMAIL, None).await;
        let sent = w.send(None, &parent_answers()).await.unwrap();
        assert_eq!(sent.invitation, None);
        // No access: the account holder does not see the case.
        assert!(w.cases.view(holder, sent.case, NOW, None).await.is_err());
        assert!(
            w.store
                .audit_events()
                .await
                .iter()
                .all(|e| e.kind != AuditKind::RoleGranted),
            "no role granted"
        );
        // One e-mail, saying the LA gives access once it has checked; no invitation.
        let messages = w.store.outbox_messages().await;
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(matches!(
            &messages[0].content,
            MessageContent::CaseUpdate {
                update: ehc_core::outbox::CaseUpdate::RequestReceived,
                ..
            }
        ));
        // The LA sees why on the case's timeline.
        let officer = w
            .person(9, "officer@anytown.example", Some(Role::LaOfficer))
            .await;
        let view = w.cases.view(officer, sent.case, NOW, None).await.unwrap();
        assert!(
            view.timeline
                .iter()
                .any(|e| e.what.contains("already has an account on the hub")),
            "{:?}",
            view.timeline
        );
    });
}

#[test]
fn a_signed_in_parents_files_are_recorded_on_the_new_case_with_their_receipts() {
    pollster::block_on(async {
        let w = World::new(0);
        let parent = w.person(2, "someone@example.com", None).await;
        let files = vec![
            file(1, "Speech and language report", 3 * 1024),
            file(2, "SEN support plan", 1024),
        ];
        let sent = w
            .send_with(Some(parent), &parent_answers(), files)
            .await
            .unwrap();
        let documents =
            DocumentService::new(w.store.clone(), OsSecretSource, SizeLimits::default());
        let listed = documents.list(parent, sent.case, NOW).await.unwrap();
        let mut titles: Vec<&str> = listed.iter().map(|d| d.title.as_str()).collect();
        titles.sort_unstable();
        assert_eq!(titles, ["SEN support plan", "Speech and language report"]);
        assert!(listed.iter().all(|d| d.uploaded_by == parent
            && d.case == sent.case
            && d.visible_to == ehc_core::case::timeline::Visibility::PARTICIPANTS));
        let view = w.cases.view(parent, sent.case, NOW, None).await.unwrap();
        let receipts: Vec<&str> = view
            .timeline
            .iter()
            .filter(|e| {
                e.what
                    .starts_with("Document uploaded by someone@example.com")
            })
            .map(|e| e.what.as_str())
            .collect();
        assert_eq!(receipts.len(), 2, "{:?}", view.timeline);
        let uploads = w
            .store
            .audit_events()
            .await
            .into_iter()
            .filter(|e| e.kind == AuditKind::DocumentUploaded)
            .count();
        assert_eq!(uploads, 2);
    });
}

#[test]
fn a_failing_document_insert_leaves_no_case_and_no_document() {
    pollster::block_on(async {
        let w = World::new(0);
        // Signed in as an account the store no longer holds (removed meanwhile): the
        // document's row names an unknown account, and its insert fails, after the case's.
        let gone = id(7);
        let refused = w
            .send_with(Some(gone), &parent_answers(), vec![file(1, "Report", 1024)])
            .await
            .unwrap_err();
        assert!(matches!(refused, SendRequestError::Store(_)), "{refused:?}");
        nothing_stored(&w).await;
        // A file refused as it is recorded (an empty one), after a good one: nothing either.
        let parent = w.person(2, "someone@example.com", None).await;
        let refused = w
            .send_with(
                Some(parent),
                &parent_answers(),
                vec![file(1, "Report", 1024), file(2, "Empty", 0)],
            )
            .await
            .unwrap_err();
        assert_eq!(refused, SendRequestError::Document(DocumentError::Empty));
        assert!(w.store.audit_events().await.is_empty(), "no audit entry");
        let (tray, _) = w
            .cases
            .tray(parent, &TrayFilters::default(), NOW, TODAY)
            .await
            .unwrap();
        assert!(tray.rows.is_empty(), "no case, and no role on one");
    });
}

#[test]
fn files_need_a_signed_in_requester_and_are_at_most_ten() {
    pollster::block_on(async {
        let w = World::new(0);
        let refused = w
            .send_with(None, &parent_answers(), vec![file(1, "Report", 1024)])
            .await
            .unwrap_err();
        assert_eq!(refused, SendRequestError::NotAllowed);
        let parent = w.person(2, "someone@example.com", None).await;
        let eleven = (1..=11).map(|n| file(n, "Report", 1024)).collect();
        let refused = w
            .send_with(Some(parent), &parent_answers(), eleven)
            .await
            .unwrap_err();
        assert_eq!(refused, SendRequestError::TooManyDocuments);
        assert!(w.store.audit_events().await.is_empty(), "nothing stored");
        let ten = (1..=10).map(|n| file(n, "Report", 1024)).collect();
        w.send_with(Some(parent), &parent_answers(), ten)
            .await
            .unwrap();
    });
}
