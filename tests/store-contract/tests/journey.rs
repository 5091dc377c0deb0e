//! The core's sign-in journey end to end on a real store: invite, register, set up the app,
//! sign in again (the same steps as the core's crate-level example, on the in-memory store).

use ehc_core::invitation::{InvitationService, InviteOutcome};
use ehc_core::outbox::MessageContent;
use ehc_core::registration::RegistrationService;
use ehc_core::role::{Grantor, Role, Urn};
use ehc_core::second_factor::Method;
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{SignInInput, SignInService, SignInState};
use ehc_core::test_support::journey::{Journey, JourneyEvent, TextInbox, events};
use ehc_core::test_support::{FastHasher, SeededSecretSource};
use ehc_store_contract::{Backend, Fixture};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::sync::Arc;
use time::macros::datetime;

pub async fn the_sign_in_journey_runs_end_to_end<S: Backend>(store: &S) {
    let secrets = Arc::new(SeededSecretSource::new(7));
    let hasher = Arc::new(FastHasher::new());
    let settings = SecuritySettings {
        la_name: "Anytown Council".into(),
        ..Default::default()
    };
    let now = datetime!(2026-11-30 09:00 UTC);

    let invitations = InvitationService::new(store.clone(), secrets.clone(), settings.clone());
    let sendco = Role::Sendco {
        setting: Urn::parse("100001").unwrap(),
    };
    let InviteOutcome::Invited { token, .. } = invitations
        .invite(
            Grantor::System,
            "jo.bloggs@example.gov.uk",
            vec![sendco],
            now,
            None,
        )
        .await
        .unwrap()
    else {
        panic!("a new address is invited");
    };
    // The dispatcher finds the invitation e-mail in the outbox, with its link.
    let queued = store
        .claim_due(10, now, time::Duration::MINUTE)
        .await
        .unwrap();
    assert!(matches!(
        &queued[..],
        [c] if matches!(&c.message.content, MessageContent::Invitation { token: t, .. } if *t == token)
    ));

    let registration = RegistrationService::new(
        store.clone(),
        hasher.clone(),
        secrets.clone(),
        settings.clone(),
    );
    registration
        .register(
            &token.to_link_param(),
            "Harbour!Lights9",
            "Harbour!Lights9",
            now,
            None,
        )
        .await
        .unwrap();

    let sign_in = SignInService::new(store.clone(), hasher.clone(), secrets.clone(), settings);
    let password = SignInInput::Password {
        email: "Jo.Bloggs@Example.GOV.UK".into(),
        password: "Harbour!Lights9".into(),
    };
    let state = sign_in
        .handle(&SignInState::Anonymous, password.clone(), now, None)
        .await
        .unwrap()
        .state;
    let state = sign_in
        .handle(&state, SignInInput::ChooseMethod(Method::App), now, None)
        .await
        .unwrap()
        .state;
    let SignInState::AppSetUp { secret, .. } = &state else {
        panic!("the app set-up step, not {}", state.name());
    };
    let secret = secret.clone();
    let unix = |t: time::OffsetDateTime| t.unix_timestamp() as u64;
    let code = secret.code_at(unix(now));
    let state = sign_in
        .handle(&state, SignInInput::Code(code.clone()), now, None)
        .await
        .unwrap()
        .state;
    assert!(state.signed_in_account().is_some());

    // The set-up code never works again, even at once in a new sign-in.
    let state = sign_in
        .handle(&SignInState::Anonymous, password.clone(), now, None)
        .await
        .unwrap()
        .state;
    assert_eq!(state.name(), "app-challenge");
    let replay = sign_in
        .handle(&state, SignInInput::Code(code), now, None)
        .await;
    assert!(
        !replay
            .as_ref()
            .is_ok_and(|o| o.state.signed_in_account().is_some()),
        "a replayed code signed in"
    );

    let later = now + time::Duration::hours(2);
    let state = sign_in
        .handle(&SignInState::Anonymous, password, later, None)
        .await
        .unwrap()
        .state;
    assert_eq!(state.name(), "app-challenge");
    let state = sign_in
        .handle(
            &state,
            SignInInput::Code(secret.code_at(unix(later))),
            later,
            None,
        )
        .await
        .unwrap()
        .state;
    assert!(state.signed_in_account().is_some());
    assert!(store.audit().await.len() >= 6);
}

/// A store under test, with the phone of the core's journey model.
#[derive(Clone)]
struct WithPhone<S>(S);

#[async_trait::async_trait]
impl<S: Backend> ehc_core::ports::Store for WithPhone<S> {
    async fn begin(
        &self,
    ) -> Result<Box<dyn ehc_core::ports::UnitOfWork + '_>, ehc_core::ports::StoreError> {
        self.0.begin().await
    }
}

#[async_trait::async_trait]
impl<S: Backend> TextInbox for WithPhone<S> {
    async fn texted_codes(&self) -> Vec<String> {
        self.0.texted_codes().await
    }
}

/// Runs `cases` random journeys of the core's reference model (`ehc_core::test_support::journey`:
/// two browser sessions of one person, right and wrong passwords and codes, replays, *start
/// again*, resends, clock jumps), each on a fresh store of `F`, checking every event's outcome.
pub fn random_journeys_keep_the_sign_in_rules<F: Fixture>(cases: u32) {
    use JourneyEvent::*;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = datetime!(2026-11-30 08:00 UTC);
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
    let strategy = (prefixes, events(30), any::<u64>()).prop_map(|(mut prefix, rest, seed)| {
        prefix.extend(rest);
        (prefix, seed)
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 50,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&strategy, |(events, seed)| {
        let result = rt.block_on(async {
            let fixture = F::new().await;
            let store = WithPhone(fixture.store().clone());
            Journey::register_person(&store, start).await?;
            let result = Journey::new(store, start, seed).run(&events).await;
            fixture.finish().await;
            result
        });
        prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
