//! `Outbox::enqueue` and the dispatcher's `OutboxQueue`: leases, secrets erased once sent,
//! retries, dead letters, concurrent claimers.

use crate::support::race;
use ehc_core::outbox::{DeliveryState, MessageId};
use ehc_core::ports::StoreError;
use ehc_core::second_factor::SmsCode;
use ehc_core::test_support::SeededSecretSource;
use ehc_store_contract::{Backend, T0, code_message, message};
use std::collections::HashSet;
use time::Duration;
use uuid::Uuid;

const LEASE: Duration = Duration::minutes(5);

async fn enqueue<S: Backend>(store: &S, messages: &[ehc_core::outbox::OutboxMessage]) {
    let mut tx = store.begin().await.unwrap();
    for m in messages {
        tx.outbox().enqueue(m).await.unwrap();
    }
    tx.commit().await.unwrap();
}

pub async fn a_queued_message_is_claimed_once_until_its_lease_runs_out<S: Backend>(store: &S) {
    let first = message(1, false, T0);
    let later = message(2, true, T0 + Duration::minutes(10));
    enqueue(store, &[first.clone(), later.clone()]).await;

    let claimed = store.claim_due(10, T0, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message, first);
    assert_eq!(claimed[0].attempts, 1);
    assert!(
        store
            .claim_due(10, T0 + Duration::minutes(1), LEASE)
            .await
            .unwrap()
            .is_empty()
    );

    // The dispatcher said nothing before its lease ran out: the message is due again.
    let again = store.claim_due(10, T0 + LEASE, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.id, first.id);
    assert_eq!(again[0].attempts, 2);

    let entry = store.entry(later.id).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Pending);
    assert_eq!(entry.content, Some(later.content.clone()));
    assert_eq!(entry.attempts, 0);
    assert_eq!(entry.next_attempt_at, later.created_at);
    assert_eq!(
        store.entry(MessageId(Uuid::from_u128(99))).await.unwrap(),
        None
    );
}

pub async fn a_sent_message_loses_its_secret_but_keeps_its_recipient<S: Backend>(store: &S) {
    let invitation = message(1, true, T0);
    let plain = message(2, false, T0);
    let code = SmsCode::generate(&SeededSecretSource::new(3)).unwrap();
    let text = code_message(3, code.clone(), T0);
    enqueue(store, &[invitation.clone(), plain.clone(), text.clone()]).await;
    let ehc_core::outbox::MessageContent::Invitation { token, .. } = &invitation.content else {
        panic!("an invitation");
    };
    let link = token.to_link_param();
    assert!(store.raw_outbox_row(invitation.id).await.contains(&link));

    assert_eq!(store.claim_due(10, T0, LEASE).await.unwrap().len(), 3);
    let sent_at = T0 + Duration::minutes(1);
    for m in [&invitation, &plain, &text] {
        assert!(store.mark_sent(m.id, sent_at).await.unwrap());
        assert!(!store.mark_sent(m.id, sent_at).await.unwrap());
    }

    for secret in [&invitation, &text] {
        let entry = store.entry(secret.id).await.unwrap().unwrap();
        assert_eq!(entry.state, DeliveryState::Sent(sent_at));
        assert_eq!(entry.content, None);
        assert_eq!(entry.recipient, secret.recipient);
        let raw = store.raw_outbox_row(secret.id).await;
        assert!(raw.ends_with("|<null>"), "{raw}");
    }
    assert!(!store.raw_outbox_row(invitation.id).await.contains(&link));
    assert!(!store.raw_outbox_row(text.id).await.contains(code.expose()));
    let kept = store.entry(plain.id).await.unwrap().unwrap();
    assert_eq!(kept.content, Some(plain.content));
    assert!(
        store
            .claim_due(10, T0 + Duration::days(1), LEASE)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_failed_message_is_due_again_at_its_next_attempt_time<S: Backend>(store: &S) {
    let m = message(1, false, T0);
    enqueue(store, std::slice::from_ref(&m)).await;
    store.claim_due(10, T0, LEASE).await.unwrap();
    let retry_at = T0 + Duration::minutes(10);

    assert!(
        store
            .mark_failed(m.id, "gateway answered 503", retry_at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_failed(MessageId(Uuid::from_u128(99)), "no such message", retry_at)
            .await
            .unwrap()
    );
    let entry = store.entry(m.id).await.unwrap().unwrap();
    assert_eq!(entry.last_error.as_deref(), Some("gateway answered 503"));
    assert_eq!(entry.next_attempt_at, retry_at);
    assert_eq!(entry.attempts, 1);

    assert!(
        store
            .claim_due(10, retry_at - Duration::SECOND, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_due(10, retry_at, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
}

pub async fn a_dead_letter_is_listed_never_claimed_and_can_be_retried<S: Backend>(store: &S) {
    let doomed = message(1, true, T0);
    let fine = message(2, false, T0);
    enqueue(store, &[doomed.clone(), fine.clone()]).await;
    store.claim_due(10, T0, LEASE).await.unwrap();
    let dead_at = T0 + Duration::minutes(1);

    assert!(
        store
            .dead_letter(doomed.id, "address refused", dead_at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .dead_letter(doomed.id, "again", dead_at)
            .await
            .unwrap()
    );
    assert!(!store.mark_sent(doomed.id, dead_at).await.unwrap());
    assert!(!store.mark_failed(doomed.id, "x", dead_at).await.unwrap());
    assert!(store.mark_sent(fine.id, dead_at).await.unwrap());
    assert!(
        store
            .claim_due(10, T0 + Duration::days(30), LEASE)
            .await
            .unwrap()
            .is_empty()
    );

    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, doomed.id);
    assert_eq!(dead[0].state, DeliveryState::DeadLetter(dead_at));
    assert_eq!(dead[0].last_error.as_deref(), Some("address refused"));
    assert_eq!(dead[0].attempts, 1);
    // Kept whole (secret included) so that a retry can still send it.
    assert_eq!(dead[0].content, Some(doomed.content.clone()));

    let retry_at = T0 + Duration::hours(1);
    assert!(store.retry_dead_letter(doomed.id, retry_at).await.unwrap());
    assert!(!store.retry_dead_letter(doomed.id, retry_at).await.unwrap());
    assert!(!store.retry_dead_letter(fine.id, retry_at).await.unwrap());
    assert!(store.dead_letters(10).await.unwrap().is_empty());
    let again = store.claim_due(10, retry_at, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message, doomed);
    assert_eq!(again[0].attempts, 1);
}

pub async fn four_concurrent_claimers_claim_each_message_exactly_once<S: Backend>(store: &S) {
    const N: u128 = 200;
    let messages: Vec<_> = (0..N)
        .map(|n| message(n, n % 2 == 0, T0 + Duration::seconds(n as i64)))
        .collect();
    enqueue(store, &messages).await;
    let now = T0 + Duration::HOUR;

    let claims = race(store, 4, move |store: S, _| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store.claim_due(7, now, LEASE).await?;
            if batch.is_empty() {
                return Ok::<_, StoreError>(mine);
            }
            mine.extend(batch.into_iter().map(|c| (c.message.id, c.attempts)));
        }
    })
    .await;

    let all: Vec<(MessageId, u32)> = claims.into_iter().flat_map(|c| c.unwrap()).collect();
    let distinct: HashSet<MessageId> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(all.len(), N as usize, "every message claimed once");
    assert_eq!(distinct.len(), N as usize, "no message claimed twice");
    assert!(all.iter().all(|(_, attempts)| *attempts == 1));
    assert!(store.claim_due(10, now, LEASE).await.unwrap().is_empty());
}

pub async fn a_case_alert_round_trips_through_the_outbox<S: Backend>(store: &S) {
    use ehc_core::account::EmailAddress;
    use ehc_core::outbox::{CaseUpdate, MessageContent, MessageId, OutboxMessage, Recipient};
    let alert = OutboxMessage {
        id: MessageId(uuid::Uuid::from_u128(42)),
        recipient: Recipient::Email(EmailAddress::parse("parent@example.org").unwrap()),
        content: MessageContent::CaseUpdate {
            case_reference: "EHC-2026-0042".into(),
            update: CaseUpdate::ActionRequested {
                action: "Give your views on the draft plan".into(),
                by: time::macros::date!(2026 - 12 - 14),
            },
        },
        created_at: ehc_store_contract::T0,
    };
    let mut tx = store.begin().await.unwrap();
    tx.outbox().enqueue(&alert).await.unwrap();
    tx.commit().await.unwrap();
    let claimed = store
        .claim_due(10, ehc_store_contract::T0, time::Duration::MINUTE)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message, alert);
}

pub async fn a_unit_of_work_reads_where_a_message_stands_as_the_queue_does<S: Backend>(store: &S) {
    let m = message(1, false, T0);
    let mut tx = store.begin().await.unwrap();
    tx.outbox().enqueue(&m).await.unwrap();
    let queued = tx.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!(
        queued.state,
        DeliveryState::Pending,
        "its own write, before commit"
    );
    assert_eq!(queued.content, Some(m.content.clone()));
    tx.commit().await.unwrap();

    store.claim_due(10, T0, LEASE).await.unwrap();
    let retry_at = T0 + Duration::minutes(1);
    assert!(
        store
            .mark_failed(m.id, "451 try later", retry_at)
            .await
            .unwrap()
    );
    let mut tx = store.begin().await.unwrap();
    let failed = tx.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!(
        tx.outbox()
            .entry(MessageId(Uuid::from_u128(99)))
            .await
            .unwrap(),
        None
    );
    drop(tx);
    assert_eq!(Some(failed.clone()), store.entry(m.id).await.unwrap());
    assert_eq!(failed.last_error.as_deref(), Some("451 try later"));
    assert!(failed.is_delayed(T0 + Duration::seconds(1)));
}

pub async fn sent_reset_and_email_change_links_lose_their_tokens_and_change_notices_keep_theirs<
    S: Backend,
>(
    store: &S,
) {
    use ehc_core::account::EmailAddress;
    use ehc_core::invitation::InvitationToken;
    use ehc_core::outbox::{AccountChange, MessageContent, OutboxMessage, Recipient};
    let to = |n: u128, content: MessageContent| OutboxMessage {
        id: MessageId(Uuid::from_u128(n)),
        recipient: Recipient::Email(EmailAddress::parse("Jo.New@Example.org").unwrap()),
        content,
        created_at: T0,
    };
    let change_token = InvitationToken::generate(&SeededSecretSource::new(1)).unwrap();
    let reset_token = InvitationToken::generate(&SeededSecretSource::new(2)).unwrap();
    let change_link = to(
        1,
        MessageContent::EmailChangeLink {
            token: change_token.clone(),
            valid_for_minutes: 60,
        },
    );
    let reset_link = to(
        2,
        MessageContent::PasswordResetLink {
            token: reset_token.clone(),
            valid_for_minutes: 60,
        },
    );
    let notice = to(
        3,
        MessageContent::AccountChanged {
            change: AccountChange::EmailChangeRequested {
                to: "Jo.New@Example.org".into(),
            },
        },
    );
    enqueue(
        store,
        &[change_link.clone(), reset_link.clone(), notice.clone()],
    )
    .await;
    let secrets = [
        (
            &change_link,
            change_token.to_link_param(),
            "email-change-link",
        ),
        (
            &reset_link,
            reset_token.to_link_param(),
            "password-reset-link",
        ),
    ];
    for (m, token, _) in &secrets {
        assert!(store.raw_outbox_row(m.id).await.contains(token.as_str()));
    }

    // Claimed whole: the dispatcher sends the link.
    let claimed = store.claim_due(10, T0, LEASE).await.unwrap();
    let claimed: Vec<_> = claimed.into_iter().map(|c| c.message).collect();
    assert_eq!(
        claimed,
        [change_link.clone(), reset_link.clone(), notice.clone()]
    );
    let sent_at = T0 + Duration::minutes(1);
    for m in [&change_link, &reset_link, &notice] {
        assert!(store.mark_sent(m.id, sent_at).await.unwrap());
    }

    for (m, token, kind) in &secrets {
        let entry = store.entry(m.id).await.unwrap().unwrap();
        assert_eq!(entry.state, DeliveryState::Sent(sent_at));
        assert_eq!(entry.content, None);
        assert_eq!(entry.recipient, m.recipient);
        let raw = store.raw_outbox_row(m.id).await;
        assert!(raw.ends_with(&format!("|{kind}|<null>")), "{raw}");
        assert!(!raw.contains(token.as_str()), "{raw}");
    }
    let kept = store.entry(notice.id).await.unwrap().unwrap();
    assert_eq!(kept.content, Some(notice.content));
    assert!(
        store
            .raw_outbox_row(notice.id)
            .await
            .contains("|account-changed|")
    );
}
