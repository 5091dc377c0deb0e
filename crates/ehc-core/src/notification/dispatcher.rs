//! The dispatcher: delivers the outbox through the [`Mailer`] and the [`SmsSender`].
//!
//! One call of [`Dispatcher::dispatch_due`] claims the messages due at `now` (a lease, so that a
//! crashed dispatcher's messages come back), renders each with the LA's templates, sends it and
//! records the outcome:
//!
//! ```text
//!  claimed ──render──▶ send ──Ok────────────────────────▶ mark_sent (secret erased)
//!     │          │        ├──Transient, attempts < max ──▶ mark_failed, due at next_attempt_at
//!     │          │        ├──Transient, attempts ≥ max ──▶ dead_letter
//!     │          │        └──Permanent ──────────────────▶ dead_letter
//!     │          └──broken template / wrong channel ─────▶ dead_letter
//!     └──attempts > max (earlier claims ended without an outcome) ──▶ dead_letter
//! ```
//!
//! The retry delay is computed purely ([`RetryPolicy::next_attempt_at`]): the n-th failure waits
//! between half and all of `min(first_retry_after × 2ⁿ⁻¹, max_retry_after)`, the jitter drawn
//! from the [`SecretSource`] so that many messages failed by one outage do not all come back at
//! once. Several dispatchers (processes or tasks) may share one queue: the queue's claim gives
//! each message to exactly one of them.
//!
//! Delivery is at least once: a dispatcher that stops between the gateway's acceptance and
//! `mark_sent` sends that message again after its lease; the [`MessageId`] is the idempotency
//! key (Notify's `reference`, the e-mail's `Message-ID`) by which the duplicate can be known.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::templates::{MessageTemplates, Rendered};
use super::{Email, Mailer, SendError, SmsSender, TextMessage};
use crate::outbox::{ClaimedMessage, MessageId, OutboxQueue, Recipient};
use crate::ports::{SecretSource, StoreError};
use crate::settings::duration_seconds;

/// When to try again and when to give up. Durations are whole seconds in configuration files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts (claims) before a message that keeps failing transiently becomes a dead letter
    /// (default 12: with the default delays about five hours of trying).
    pub max_attempts: u32,
    /// The delay after the first failure, before jitter (default 30 s); it doubles with each
    /// further failure.
    #[serde(with = "duration_seconds")]
    pub first_retry_after: Duration,
    /// The longest delay, before jitter (default 1 hour).
    #[serde(with = "duration_seconds")]
    pub max_retry_after: Duration,
    /// How long a claimed message stays hidden from other dispatchers (default 15 minutes). It
    /// must be longer than one batch can take — `batch_size` × the slowest gateway's timeout —
    /// or a slow batch's last messages may be claimed and sent by a second dispatcher too; it
    /// is also how long a crashed dispatcher's claimed messages wait before they are retried.
    #[serde(with = "duration_seconds")]
    pub lease: Duration,
    /// Messages claimed per [`Dispatcher::dispatch_due`] (default 20).
    pub batch_size: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            first_retry_after: Duration::seconds(30),
            max_retry_after: Duration::hours(1),
            lease: Duration::minutes(15),
            batch_size: 20,
        }
    }
}

impl RetryPolicy {
    /// The delay before jitter after the `attempts`-th failed attempt (1 for the first):
    /// `min(first_retry_after × 2^(attempts−1), max_retry_after)`.
    pub fn base_delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(62);
        let first = self.first_retry_after.whole_milliseconds().max(0);
        let max = self.max_retry_after.whole_milliseconds().max(0);
        let delay = first.saturating_mul(1i128 << doublings).min(max);
        Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX))
    }

    /// When the message is due again after its `attempts`-th failed attempt at `now`:
    /// `now + d/2 + (d/2) × jitter / 2³²` with `d` = [`Self::base_delay`], so between half and
    /// all of the base delay ("equal jitter"). `jitter` is a uniformly random `u32`.
    pub fn next_attempt_at(
        &self,
        attempts: u32,
        now: OffsetDateTime,
        jitter: u32,
    ) -> OffsetDateTime {
        let d = self.base_delay(attempts).whole_milliseconds();
        let half = d / 2;
        let spread = (d - half) * i128::from(jitter) / (1i128 << 32);
        let delay = half + spread;
        now + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX))
    }
}

/// What happened to one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The gateway accepted it; recorded as sent.
    Sent,
    /// A transient failure; due again at `at`.
    Retry {
        /// When it is due again.
        at: OffsetDateTime,
        /// The gateway's words.
        error: String,
    },
    /// A permanent failure, a broken template or too many attempts; now a dead letter.
    DeadLetter {
        /// Why.
        error: String,
    },
    /// The outcome could not be recorded (the store failed); the message comes back when its
    /// lease runs out, and may then be sent again.
    NotRecorded {
        /// What the outcome would have been.
        outcome: Box<Outcome>,
        /// The store's fault.
        fault: StoreError,
    },
}

/// One claimed message and what happened to it. No secret: ids, attempt counts and gateways'
/// words only, so the edge may log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageOutcome {
    /// The message.
    pub id: MessageId,
    /// Its attempts, this one included.
    pub attempts: u32,
    /// What happened.
    pub outcome: Outcome,
}

/// What one [`Dispatcher::dispatch_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// One entry per claimed message, in claim order.
    pub messages: Vec<MessageOutcome>,
}

impl DispatchReport {
    /// Messages claimed.
    pub fn claimed(&self) -> usize {
        self.messages.len()
    }

    /// Messages sent and recorded as sent.
    pub fn sent(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Sent))
    }

    /// Messages that will be retried.
    pub fn retried(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Retry { .. }))
    }

    /// Messages that became dead letters.
    pub fn dead_lettered(&self) -> usize {
        self.count(|o| matches!(o, Outcome::DeadLetter { .. }))
    }

    /// Messages whose outcome the store failed to record.
    pub fn not_recorded(&self) -> usize {
        self.count(|o| matches!(o, Outcome::NotRecorded { .. }))
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.messages.iter().filter(|m| f(&m.outcome)).count()
    }
}

/// Delivers due outbox messages. Generic over its ports so tests run it with in-memory fakes and
/// production with the store, SMTP and Notify.
#[derive(Debug)]
pub struct Dispatcher<Q, M, S, R> {
    queue: Q,
    mailer: M,
    sms: S,
    secrets: R,
    templates: MessageTemplates,
    policy: RetryPolicy,
}

impl<Q, M, S, R> Dispatcher<Q, M, S, R>
where
    Q: OutboxQueue,
    M: Mailer,
    S: SmsSender,
    R: SecretSource,
{
    /// A dispatcher over `queue` that sends with `mailer` and `sms`, words messages with
    /// `templates` (validate them first: [`MessageTemplates::validate`]) and retries by `policy`.
    pub fn new(
        queue: Q,
        mailer: M,
        sms: S,
        secrets: R,
        templates: MessageTemplates,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            queue,
            mailer,
            sms,
            secrets,
            templates,
            policy,
        }
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Claims up to `batch_size` messages due at `now`, sends them one after another and records
    /// each outcome (see the module's diagram). An empty report means nothing was due.
    ///
    /// # Errors
    /// [`StoreError`] when the claim itself failed (nothing was claimed or sent). Faults while
    /// recording an outcome do not stop the batch: they are reported as
    /// [`Outcome::NotRecorded`].
    pub async fn dispatch_due(&self, now: OffsetDateTime) -> Result<DispatchReport, StoreError> {
        let claimed = self
            .queue
            .claim_due(self.policy.batch_size, now, self.policy.lease)
            .await?;
        let mut report = DispatchReport::default();
        for message in claimed {
            let id = message.message.id;
            let attempts = message.attempts;
            let outcome = self.deliver(message, now).await;
            report.messages.push(MessageOutcome {
                id,
                attempts,
                outcome,
            });
        }
        Ok(report)
    }

    async fn deliver(&self, claimed: ClaimedMessage, now: OffsetDateTime) -> Outcome {
        let id = claimed.message.id;
        if claimed.attempts > self.policy.max_attempts {
            let error = format!(
                "gave up after {} attempts (earlier attempts ended without an outcome)",
                claimed.attempts - 1
            );
            return self.record_dead_letter(id, error, now).await;
        }
        match self.send(&claimed).await {
            Ok(()) => match self.queue.mark_sent(id, now).await {
                Ok(_) => Outcome::Sent,
                Err(fault) => Outcome::NotRecorded {
                    outcome: Box::new(Outcome::Sent),
                    fault,
                },
            },
            Err(SendError::Transient { reason }) if claimed.attempts < self.policy.max_attempts => {
                let at = self
                    .policy
                    .next_attempt_at(claimed.attempts, now, self.jitter());
                match self.queue.mark_failed(id, &reason, at).await {
                    Ok(_) => Outcome::Retry { at, error: reason },
                    Err(fault) => Outcome::NotRecorded {
                        outcome: Box::new(Outcome::Retry { at, error: reason }),
                        fault,
                    },
                }
            }
            Err(SendError::Transient { reason }) => {
                let error = format!("gave up after {} attempts: {reason}", claimed.attempts);
                self.record_dead_letter(id, error, now).await
            }
            Err(SendError::Permanent { reason }) => self.record_dead_letter(id, reason, now).await,
        }
    }

    /// Renders the message and hands it to the gateway of its channel. A broken template or a
    /// kind sent by the wrong channel is permanent.
    async fn send(&self, claimed: &ClaimedMessage) -> Result<(), SendError> {
        let message = &claimed.message;
        let rendered = self
            .templates
            .render(&message.content)
            .map_err(|e| SendError::permanent(e.to_string()))?;
        match (&message.recipient, rendered) {
            (Recipient::Email(to), Rendered::Email(email)) => {
                self.mailer
                    .send(&Email {
                        id: message.id,
                        to: to.clone(),
                        subject: email.subject,
                        text: email.text,
                        html: email.html,
                    })
                    .await
            }
            (Recipient::Sms(to), Rendered::Text(text)) => {
                self.sms
                    .send(&TextMessage {
                        id: message.id,
                        to: to.clone(),
                        body: text.body,
                    })
                    .await
            }
            (Recipient::Email(_), Rendered::Text(_)) => Err(SendError::permanent(
                "this kind of message is sent by text, but the recipient is an email address",
            )),
            (Recipient::Sms(_), Rendered::Email(_)) => Err(SendError::permanent(
                "this kind of message is sent by email, but the recipient is a mobile number",
            )),
        }
    }

    async fn record_dead_letter(
        &self,
        id: MessageId,
        error: String,
        now: OffsetDateTime,
    ) -> Outcome {
        match self.queue.dead_letter(id, &error, now).await {
            Ok(_) => Outcome::DeadLetter { error },
            Err(fault) => Outcome::NotRecorded {
                outcome: Box::new(Outcome::DeadLetter { error }),
                fault,
            },
        }
    }

    /// A uniformly random `u32` for the retry jitter; without randomness the longest delay of
    /// the range (no jitter is still a correct retry).
    fn jitter(&self) -> u32 {
        let mut bytes = [0u8; 4];
        match self.secrets.fill(&mut bytes) {
            Ok(()) => u32::from_le_bytes(bytes),
            Err(_) => u32::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_base_delay_doubles_from_the_first_and_stops_at_the_cap() {
        let p = RetryPolicy::default();
        let secs: Vec<i64> = (1..=9).map(|n| p.base_delay(n).whole_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.base_delay(u32::MAX), Duration::hours(1));
    }

    #[test]
    fn jitter_keeps_the_delay_between_half_and_all_of_the_base_delay() {
        let p = RetryPolicy::default();
        let now = datetime!(2026-11-30 09:00 UTC);
        assert_eq!(p.next_attempt_at(1, now, 0), now + Duration::seconds(15));
        let top = p.next_attempt_at(1, now, u32::MAX) - now;
        assert!(top < Duration::seconds(30) && top > Duration::milliseconds(29_990));
        assert_eq!(
            p.next_attempt_at(2, now, 1 << 31),
            now + Duration::seconds(45)
        );
    }

    use crate::account::EmailAddress;
    use crate::notification::{MockMailer, MockSmsSender};
    use crate::outbox::{MessageContent, MockOutboxQueue, OutboxMessage};
    use crate::role::Role;
    use crate::second_factor::{PhoneNumber, SmsCode};
    use crate::test_support::SeededSecretSource;

    const NOW: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

    fn claimed(recipient: Recipient, content: MessageContent, attempts: u32) -> ClaimedMessage {
        ClaimedMessage {
            message: OutboxMessage {
                id: MessageId(uuid::Uuid::from_bytes([attempts as u8; 16])),
                recipient,
                content,
                created_at: NOW,
            },
            attempts,
        }
    }

    fn email_to() -> Recipient {
        Recipient::Email(EmailAddress::parse("jo@example.gov.uk").unwrap())
    }

    fn code() -> MessageContent {
        MessageContent::SignInCode {
            code: SmsCode::generate(&SeededSecretSource::new(3)).unwrap(),
        }
    }

    fn dispatcher(
        queue: MockOutboxQueue,
        mailer: MockMailer,
        sms: MockSmsSender,
    ) -> Dispatcher<MockOutboxQueue, MockMailer, MockSmsSender, SeededSecretSource> {
        Dispatcher::new(
            queue,
            mailer,
            sms,
            SeededSecretSource::new(1),
            MessageTemplates::default(),
            RetryPolicy::default(),
        )
    }

    fn queue_claiming(message: ClaimedMessage) -> MockOutboxQueue {
        let mut queue = MockOutboxQueue::new();
        let mut once = Some(message);
        queue
            .expect_claim_due()
            .withf(|limit, _, lease| *limit == 20 && *lease == Duration::minutes(15))
            .returning(move |_, _, _| Ok(once.take().into_iter().collect()));
        queue
    }

    #[test]
    fn a_message_claimed_more_often_than_allowed_is_dead_lettered_without_sending() {
        let mut queue = queue_claiming(claimed(
            email_to(),
            MessageContent::AccessGranted {
                roles: vec![Role::LaOfficer],
            },
            13,
        ));
        queue
            .expect_dead_letter()
            .withf(|_, error, now| error.starts_with("gave up after 12 attempts") && *now == NOW)
            .times(1)
            .returning(|_, _, _| Ok(true));
        let d = dispatcher(queue, MockMailer::new(), MockSmsSender::new());
        let report = pollster::block_on(d.dispatch_due(NOW)).unwrap();
        assert_eq!(report.dead_lettered(), 1);
    }

    #[test]
    fn a_kind_sent_to_the_wrong_channel_is_a_dead_letter() {
        let mut queue = queue_claiming(claimed(email_to(), code(), 1));
        queue
            .expect_dead_letter()
            .withf(|_, error, _| error.contains("sent by text"))
            .times(1)
            .returning(|_, _, _| Ok(true));
        let d = dispatcher(queue, MockMailer::new(), MockSmsSender::new());
        assert_eq!(
            pollster::block_on(d.dispatch_due(NOW))
                .unwrap()
                .dead_lettered(),
            1
        );
    }

    #[test]
    fn a_text_goes_to_the_sms_sender_with_the_message_id_and_a_store_fault_after_sending_is_reported()
     {
        let message = claimed(
            Recipient::Sms(PhoneNumber::from_stored("+447700900123", "07700 900123")),
            code(),
            1,
        );
        let id = message.message.id;
        let mut queue = queue_claiming(message);
        queue.expect_mark_sent().times(1).returning(|_, _| {
            Err(StoreError::Unavailable {
                reason: "gone".into(),
            })
        });
        let mut sms = MockSmsSender::new();
        sms.expect_send()
            .withf(move |t| {
                t.id == id
                    && t.body
                        .ends_with("is your Local Authority EHC Hub security code")
            })
            .times(1)
            .returning(|_| Ok(()));
        let d = dispatcher(queue, MockMailer::new(), sms);
        let report = pollster::block_on(d.dispatch_due(NOW)).unwrap();
        assert_eq!(report.not_recorded(), 1);
        assert!(matches!(
            &report.messages[0].outcome,
            Outcome::NotRecorded { outcome, .. } if **outcome == Outcome::Sent
        ));
    }

    #[test]
    fn a_transient_failure_is_retried_within_the_backoff_window() {
        let mut queue = queue_claiming(claimed(
            email_to(),
            MessageContent::AccessGranted { roles: vec![] },
            2,
        ));
        queue
            .expect_mark_failed()
            .withf(|_, error, at| {
                error == "temporary failure"
                    && *at >= NOW + Duration::seconds(30)
                    && *at <= NOW + Duration::seconds(60)
            })
            .times(1)
            .returning(|_, _, _| Ok(true));
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .returning(|_| Err(SendError::transient("temporary failure")));
        let d = dispatcher(queue, mailer, MockSmsSender::new());
        assert_eq!(
            pollster::block_on(d.dispatch_due(NOW)).unwrap().retried(),
            1
        );
    }

    proptest::proptest! {
        #[test]
        fn a_later_attempt_never_comes_back_sooner_until_the_cap_is_reached(
            n in 1u32..40, a: u32, b: u32,
        ) {
            let p = RetryPolicy::default();
            let now = datetime!(2026-11-30 09:00 UTC);
            let this = p.next_attempt_at(n, now, a);
            let next = p.next_attempt_at(n + 1, now, b);
            proptest::prop_assert!(this > now);
            proptest::prop_assert!(this - now <= p.max_retry_after);
            if p.base_delay(n + 1) == p.base_delay(n) * 2 {
                proptest::prop_assert!(next >= this);
            }
        }
    }
}
