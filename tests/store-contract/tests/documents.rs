#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `DocumentRepository`: a document's metadata round-trips whole, a case lists its documents
//! newest first, an uncommitted unit of work leaves no row, a document must name a stored
//! case and account (the migration's foreign keys), and whether any document uses a content
//! hash (the sweep of the document store asks).

use crate::support::insert_account;
use ehc_core::account::AccountId;
use ehc_core::case::timeline::Visibility;
use ehc_core::case::{Case, CaseId, Child, LaReference, ReceivedBy};
use ehc_core::document::{ContentHash, ContentType, Document, DocumentId, DocumentKind};
use ehc_core::ports::Store;
use ehc_store_contract::{Backend, T0, account};
use time::Duration;
use time::macros::date;
use uuid::Uuid;

fn case(n: u128, reference: &str) -> Case {
    Case::received(
        CaseId(Uuid::from_u128(n)),
        LaReference::parse(reference).unwrap(),
        Child {
            given_name: "Amara".into(),
            family_name: "Okafor".into(),
            date_of_birth: date!(2015 - 03 - 14),
        },
        date!(2026 - 10 - 05),
        ReceivedBy::Post,
        T0,
    )
}

/// A document `n` of `case`, uploaded `minutes` after T0 by `by`.
fn document(n: u128, case: CaseId, by: AccountId, minutes: i64) -> Document {
    Document {
        id: DocumentId(Uuid::from_u128(n)),
        case,
        hash: ContentHash::from_digest([u8::try_from(n).unwrap(); 32]),
        file_name: format!("report {n}.pdf"),
        content_type: ContentType::Pdf,
        size_bytes: 1_234_567 + u64::try_from(n).unwrap(),
        title: format!("Educational psychology report {n}"),
        kind: DocumentKind::Advice,
        uploaded_by: by,
        uploaded_at: T0 + Duration::minutes(minutes),
        visible_to: Visibility::participants_and(Some(by)),
    }
}

async fn set_up<S: Store>(store: &S) -> (CaseId, CaseId, AccountId) {
    let person = account(1, "eli.ep@anytown-ep.example.org");
    insert_account(store, &person).await;
    let (a, b) = (case(10, "EHC-1"), case(11, "EHC-2"));
    let mut tx = store.begin().await.unwrap();
    tx.cases().insert(&a).await.unwrap();
    tx.cases().insert(&b).await.unwrap();
    tx.commit().await.unwrap();
    (a.id, b.id, person.id)
}

pub async fn a_document_round_trips_whole_and_a_case_lists_its_own_newest_first<B: Backend>(
    store: &B,
) {
    let (a, b, by) = set_up(store).await;
    let older = document(1, a, by, 0);
    let newer = Document {
        content_type: ContentType::QuickTime,
        kind: DocumentKind::Video,
        visible_to: Visibility::PARTICIPANTS,
        size_bytes: 200 * 1024 * 1024,
        ..document(2, a, by, 5)
    };
    let other_case = document(3, b, by, 10);
    let mut tx = store.begin().await.unwrap();
    for d in [&older, &newer, &other_case] {
        tx.documents().insert(d).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.documents().get(older.id).await.unwrap(),
        Some(older.clone())
    );
    assert_eq!(
        tx.documents().get(newer.id).await.unwrap(),
        Some(newer.clone())
    );
    assert_eq!(
        tx.documents()
            .get(DocumentId(Uuid::from_u128(99)))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.documents().for_case(a).await.unwrap(),
        vec![newer, older]
    );
    assert_eq!(tx.documents().for_case(b).await.unwrap(), vec![other_case]);
    assert!(
        tx.documents()
            .for_case(CaseId(Uuid::from_u128(77)))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn an_uncommitted_document_leaves_no_row<B: Backend>(store: &B) {
    let (a, _, by) = set_up(store).await;
    let d = document(1, a, by, 0);
    let mut tx = store.begin().await.unwrap();
    tx.documents().insert(&d).await.unwrap();
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.documents().get(d.id).await.unwrap(), None);
    assert!(tx.documents().for_case(a).await.unwrap().is_empty());
}

pub async fn a_document_must_name_a_stored_case_and_account<B: Backend>(store: &B) {
    let (a, _, by) = set_up(store).await;
    let mut tx = store.begin().await.unwrap();
    let no_case = document(1, CaseId(Uuid::from_u128(404)), by, 0);
    assert!(tx.documents().insert(&no_case).await.is_err());
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let no_account = document(2, a, AccountId(Uuid::from_u128(404)), 0);
    assert!(tx.documents().insert(&no_account).await.is_err());
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert!(tx.documents().for_case(a).await.unwrap().is_empty());
}

pub async fn a_content_hash_is_used_once_a_committed_document_of_any_case_has_it<B: Backend>(
    store: &B,
) {
    let (a, b, by) = set_up(store).await;
    let used = |n: u8| ContentHash::from_digest([n; 32]);
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.documents().uses_content(&used(1)).await.unwrap());
    tx.documents().insert(&document(1, a, by, 0)).await.unwrap();
    assert!(
        tx.documents().uses_content(&used(1)).await.unwrap(),
        "seen in its own unit of work"
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.documents().uses_content(&used(1)).await.unwrap(),
        "not committed"
    );
    tx.documents().insert(&document(1, a, by, 0)).await.unwrap();
    tx.documents().insert(&document(2, b, by, 1)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(tx.documents().uses_content(&used(1)).await.unwrap());
    assert!(
        tx.documents().uses_content(&used(2)).await.unwrap(),
        "of another case"
    );
    assert!(!tx.documents().uses_content(&used(3)).await.unwrap());
}
