//! Model-based property test of the sign-in state machine: 10 000 random sequences of events
//! from two browser sessions of one person, each checked step by step against the reference
//! model of `ehc_core::test_support::journey` (never signed in without the password and a fresh
//! valid code in the same attempt; no TOTP step or texted code accepted twice; locks hold for
//! their whole duration; texts only when asked for and within the limit).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use ehc_core::test_support::InMemoryStore;
use ehc_core::test_support::journey::{Journey, JourneyEvent, events};
use proptest::prelude::*;
use std::sync::OnceLock;
use time::OffsetDateTime;
use time::macros::datetime;

const START: OffsetDateTime = datetime!(2026-11-30 08:00 UTC);

/// A fresh store holding only the registered person. Registration (with its common-password
/// look-up) runs once; each case gets its own deep copy.
fn registered_store() -> InMemoryStore {
    static TEMPLATE: OnceLock<InMemoryStore> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let store = InMemoryStore::new();
        pollster::block_on(Journey::register_person(&store, START)).unwrap();
        store
    });
    pollster::block_on(template.deep_copy())
}

/// How the sequence starts: as a person with no second factor, or one who set up the app or
/// texts a moment ago (so sequences spend their events on enrolled journeys too).
fn with_prefix() -> impl Strategy<Value = Vec<JourneyEvent>> {
    use JourneyEvent::*;
    let prefixes = prop::sample::select(vec![
        vec![],
        vec![
            RightPassword(0),
            ChooseApp(0),
            RightCode(0),
            SignOut(0),
            Wait(31),
        ],
        vec![
            RightPassword(1),
            ChooseText(1),
            EnterMobile(1),
            RightCode(1),
            SignOut(1),
        ],
    ]);
    (prefixes, events(40), 0i64..86_400).prop_map(|(mut prefix, rest, offset)| {
        prefix.insert(0, Wait(u32::try_from(offset).unwrap_or(0)));
        prefix.extend(rest);
        prefix
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_random_journey_keeps_the_sign_in_rules(events in with_prefix(), seed in any::<u64>()) {
        let mut journey = Journey::new(registered_store(), START, seed);
        let result = pollster::block_on(journey.run(&events));
        prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
    }
}

#[test]
fn the_model_catches_a_replayed_app_code_in_a_scripted_journey() {
    use JourneyEvent::*;
    let events = [
        RightPassword(0),
        ChooseApp(0),
        RightCode(0),
        Wait(31),
        RightPassword(1),
        ReplayedCode(1),
        RightCode(1),
        RightPassword(0),
        ReplayedCode(0),
    ];
    let mut journey = Journey::new(registered_store(), START, 1);
    pollster::block_on(journey.run(&events)).unwrap();
}
