//! Lockouts: consecutive failures per account and kind, as their own small type.
//!
//! ```text
//!            failure (count < max − 1)
//!           ┌──────────┐
//!           ▼          │
//!   ┌───────────────────────┐  failure (count = max − 1)  ┌───────────────────────────┐
//!   │ open, count = n       │ ──────────────────────────▶ │ locked until now + period │
//!   └───────────────────────┘                             └───────────────────────────┘
//!        ▲        │ success                                │ failures while locked change
//!        │        ▼                                        │ nothing; the right password or
//!        │   count = 0                                     │ code is refused too
//!        └─────────────────────────────────────────────────┘ period over: open, count = 0
//! ```
//!
//! Password and code failures are separate kinds: neither locks the other (docs/SECURITY.md:
//! 6 wrong passwords → 15 minutes; 5 wrong codes → 15 minutes). Counts belong to the account,
//! not to the sign-in attempt, so starting again does not reset them. The
//! [`LockoutRepository`] must apply [`Lockout::after_failure`] atomically (one statement), so
//! concurrent failures are never lost.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::account::AccountId;
use crate::ports::StoreError;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockoutKind {
    /// Wrong passwords at the password step.
    Password,
    /// Wrong second-factor codes (app or text).
    Code,
}

impl LockoutKind {
    /// Stable storage name: `password` or `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Code => "code",
        }
    }
}

/// How many consecutive failures lock, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutPolicy {
    /// The failure that reaches this count locks (≥ 1).
    pub max_failures: u32,
    /// How long the lock lasts.
    #[serde(with = "crate::settings::duration_seconds")]
    pub lock_for: Duration,
}

/// The counter of one account and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lockout {
    /// Consecutive failures since the last success or lock.
    pub failures: u32,
    /// End of the current (or last) lock.
    pub locked_until: Option<OffsetDateTime>,
}

impl Lockout {
    /// `Some(end)` while locked at `now`.
    pub fn locked_at(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.locked_until.filter(|until| now < *until)
    }

    /// The counter after one more failure at `now`: unchanged while locked; otherwise one more
    /// failure, and the one that reaches `policy.max_failures` locks until
    /// `now + policy.lock_for` and resets the count.
    #[must_use]
    pub fn after_failure(self, now: OffsetDateTime, policy: LockoutPolicy) -> Self {
        if self.locked_at(now).is_some() {
            return self;
        }
        let failures = self.failures.saturating_add(1);
        if failures >= policy.max_failures.max(1) {
            Self {
                failures: 0,
                locked_until: Some(now + policy.lock_for),
            }
        } else {
            Self {
                failures,
                locked_until: self.locked_until,
            }
        }
    }
}

/// Storage of lockout counters.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LockoutRepository: Send {
    /// The counter of `account` for `kind` (zero when none is stored).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn get(&mut self, account: AccountId, kind: LockoutKind) -> Result<Lockout, StoreError>;

    /// Applies [`Lockout::after_failure`] atomically (one statement: concurrent failures are all
    /// counted) and returns the new counter.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn record_failure(
        &mut self,
        account: AccountId,
        kind: LockoutKind,
        now: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> Result<Lockout, StoreError>;

    /// Resets the count after a success (keeps nothing of a finished lock).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn clear(&mut self, account: AccountId, kind: LockoutKind) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const POLICY: LockoutPolicy = LockoutPolicy {
        max_failures: 6,
        lock_for: Duration::minutes(15),
    };
    const T0: OffsetDateTime = datetime!(2026-11-29 09:00 UTC);

    #[test]
    fn the_sixth_failure_locks_for_fifteen_minutes() {
        let mut l = Lockout::default();
        for _ in 0..5 {
            l = l.after_failure(T0, POLICY);
            assert_eq!(l.locked_at(T0), None);
        }
        l = l.after_failure(T0, POLICY);
        assert_eq!(l.locked_at(T0), Some(T0 + Duration::minutes(15)));
        assert_eq!(
            l.locked_at(T0 + Duration::minutes(15) - Duration::SECOND),
            Some(T0 + Duration::minutes(15))
        );
        assert_eq!(l.locked_at(T0 + Duration::minutes(15)), None);
    }

    proptest! {
        #[test]
        fn failures_while_locked_never_extend_or_shorten_the_lock(extra in 0u32..20, gap in 0i64..900) {
            let mut l = Lockout::default();
            for _ in 0..6 { l = l.after_failure(T0, POLICY); }
            let until = l.locked_until;
            for _ in 0..extra { l = l.after_failure(T0 + Duration::seconds(gap), POLICY); }
            prop_assert_eq!(l.locked_until, until);
        }
    }
}
