//! Test support for the core and for services that embed it (feature `test-support`):
//! in-memory adapters of every port, a settable clock, a repeatable secret source, a fast
//! password hasher, cases built directly ([`cases`]), proptest strategies, and a reference model of the sign-in journey
//! ([`journey`]) that checks the security rules against any [`crate::ports::Store`].

pub mod cases;
pub mod fakes;
pub mod journey;

pub mod memory;
pub mod strategies;

pub use fakes::{FakeClock, FastHasher, SeededSecretSource};
pub use memory::InMemoryStore;

use crate::outbox::{MessageContent, OutboxMessage};

/// The texted codes in `messages`, oldest first (as a phone would show them).
pub fn texted_codes(messages: &[OutboxMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::SignInCode { code } => Some(code.expose().to_owned()),
            _ => None,
        })
        .collect()
}

/// The registration links' tokens in `messages`, oldest first (as an inbox would show them).
pub fn invitation_tokens(messages: &[OutboxMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::Invitation { token, .. } => Some(token.to_link_param()),
            _ => None,
        })
        .collect()
}

/// The *Confirm your new email address* links' tokens in `messages`, oldest first.
pub fn email_change_tokens(messages: &[OutboxMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::EmailChangeLink { token, .. } => Some(token.to_link_param()),
            _ => None,
        })
        .collect()
}

/// The *Reset your password* links' tokens in `messages`, oldest first.
pub fn reset_tokens(messages: &[OutboxMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::PasswordResetLink { token, .. } => Some(token.to_link_param()),
            _ => None,
        })
        .collect()
}
