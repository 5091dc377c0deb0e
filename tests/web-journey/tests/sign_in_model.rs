//! The model-based property test of sign-in, over HTTP: random rounds of page requests and form
//! posts from three browsers of one person at once, against one running hub, each round checked
//! against a model of docs/SECURITY.md:
//!
//! - no case page or work tray (200) without the password and a fresh code in the same attempt;
//! - no TOTP step accepted twice (a replayed, old or already-used code is refused);
//! - 6 wrong passwords and 5 wrong codes lock for 15 minutes, across browsers, even against the
//!   right password or code;
//! - never a 5xx.
//!
//! The browsers of a round act at the same time, so the hub may serve them in any order: a round
//! passes when some order of its actions, applied to the model one by one, predicts every answer
//! (the model keeps each state such an order leads to). Each case is a new person on the same
//! hub, set up with the authenticator app (the RFC 6238 seed, so the test computes the codes
//! with the core's TOTP); the hub's clock only moves in `Wait` rounds.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};

use ehc_core::lockout::LockoutPolicy;
use ehc_core::role::Role;
use ehc_core::second_factor::{OtpCode, TotpSecret};
use ehc_store_contract::Backend;

use crate::cases::{Request, created, officer};
use crate::support::{Browser, Hub, Options, PASSWORD};

/// Browsers acting at once.
const CLIENTS: usize = 3;
/// Random journeys per database (each up to [`ROUNDS`] rounds).
const CASES: u32 = 64;
const ROUNDS: usize = 32;

/// What one browser does in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    RightPassword,
    WrongPassword,
    /// The code the app shows now.
    RightCode,
    /// Some 6-digit code (usually wrong; the model decides).
    SomeCode(u32),
    /// The last code the hub accepted, again.
    ReplayedCode,
    /// The app's code from three steps ago (expired).
    OldCode,
    /// The case page.
    CasePage,
    /// The work tray.
    Tray,
    SignOut,
}

/// One round: the browsers' actions at the same moment, or time passing (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Round {
    AtOnce([Option<Act>; CLIENTS]),
    Wait(i64),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => Just(Act::RightPassword),
        3 => Just(Act::WrongPassword),
        5 => Just(Act::RightCode),
        1 => (0u32..1_000_000).prop_map(Act::SomeCode),
        2 => Just(Act::ReplayedCode),
        1 => Just(Act::OldCode),
        3 => Just(Act::CasePage),
        1 => Just(Act::Tray),
        1 => Just(Act::SignOut),
    ]
}

fn rounds() -> impl Strategy<Value = Vec<Round>> {
    let round = prop_oneof![
        5 => [
            prop::option::weighted(0.6, act()),
            prop::option::weighted(0.6, act()),
            prop::option::weighted(0.6, act()),
        ]
        .prop_map(Round::AtOnce),
        2 => prop_oneof![3 => 0i64..45, 2 => Just(30), 1 => Just(601), 1 => Just(901)]
            .prop_map(Round::Wait),
    ];
    prop::collection::vec(round, 1..=ROUNDS)
}

/// What a browser saw, in the terms the model predicts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// A redirect to this path.
    Redirect(String),
    /// A page; `locked` when it says something was entered wrong too many times.
    Page { locked: bool },
    /// A signed-in page (case page or tray) was shown.
    Shown,
    /// A signed-in page sent the browser elsewhere.
    Away,
}

/// One browser's session, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Anonymous,
    /// Past the password at this time, before the code.
    Half(OffsetDateTime),
    SignedIn,
}

/// Consecutive failures of one kind, and the end of the last lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Lock {
    failures: u32,
    until: Option<OffsetDateTime>,
}

impl Lock {
    fn locked(&self, now: OffsetDateTime) -> bool {
        self.until.is_some_and(|until| now < until)
    }

    /// One more failure: the one that reaches the policy's count locks (and the count restarts).
    fn fail(&mut self, now: OffsetDateTime, policy: LockoutPolicy) {
        self.failures += 1;
        if self.failures >= policy.max_failures {
            self.failures = 0;
            self.until = Some(now + policy.lock_for);
        }
    }
}

/// The model: every browser's session and the person's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    clients: [Client; CLIENTS],
    password: Lock,
    code: Lock,
    /// The last TOTP step accepted.
    last_step: u64,
}

/// The fixed facts the model works from.
struct Rules {
    secret: TotpSecret,
    half_signed_in_for: Duration,
    password_lockout: LockoutPolicy,
    code_lockout: LockoutPolicy,
}

impl Model {
    /// The answer to browser `c` doing `act` (typing `code`, for code acts) at `now`; the model
    /// moves on.
    fn apply(
        &mut self,
        rules: &Rules,
        c: usize,
        act: Act,
        code: &str,
        now: OffsetDateTime,
    ) -> Seen {
        let client = match self.clients[c] {
            Client::Half(at) if now >= at + rules.half_signed_in_for => Client::Anonymous,
            other => other,
        };
        match act {
            Act::RightPassword | Act::WrongPassword => {
                if client == Client::SignedIn {
                    return Seen::Redirect("/cases".into());
                }
                self.clients[c] = client;
                if self.password.locked(now) {
                    return Seen::Page { locked: true };
                }
                if act == Act::WrongPassword {
                    self.password.fail(now, rules.password_lockout);
                    return Seen::Page {
                        locked: self.password.locked(now),
                    };
                }
                self.password.failures = 0;
                self.clients[c] = Client::Half(now);
                Seen::Redirect("/sign-in/code".into())
            }
            Act::RightCode | Act::SomeCode(_) | Act::ReplayedCode | Act::OldCode => match client {
                Client::SignedIn => Seen::Redirect("/cases".into()),
                Client::Anonymous => {
                    self.clients[c] = Client::Anonymous;
                    Seen::Redirect("/sign-in".into())
                }
                Client::Half(_) => {
                    if self.code.locked(now) {
                        return Seen::Page { locked: true };
                    }
                    let step = OtpCode::parse(code)
                        .ok()
                        .and_then(|code| rules.secret.matching_step(&code, now));
                    match step {
                        Some(step) if step > self.last_step => {
                            self.last_step = step;
                            self.code.failures = 0;
                            self.clients[c] = Client::SignedIn;
                            Seen::Redirect("/cases".into())
                        }
                        _ => {
                            self.code.fail(now, rules.code_lockout);
                            Seen::Page {
                                locked: self.code.locked(now),
                            }
                        }
                    }
                }
            },
            Act::CasePage | Act::Tray => {
                if client == Client::SignedIn {
                    Seen::Shown
                } else {
                    Seen::Away
                }
            }
            Act::SignOut => {
                self.clients[c] = Client::Anonymous;
                Seen::Page { locked: false }
            }
        }
    }
}

/// Every order of `items`.
fn orders(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut order in orders(&rest) {
            order.insert(0, *first);
            all.push(order);
        }
    }
    all
}

fn unix(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0)
}

/// Does `act` in `browser` (typing `code`); what it saw. A 5xx is an error.
async fn perform(
    browser: &Browser,
    act: Act,
    email: &str,
    code: &str,
    case: &str,
) -> Result<Seen, String> {
    let answer = match act {
        Act::RightPassword | Act::WrongPassword => {
            let password = if act == Act::RightPassword {
                PASSWORD
            } else {
                "Harbour!Lights8"
            };
            submit(
                browser,
                "/sign-in",
                "/sign-in",
                &[("email", email), ("password", password)],
            )
            .await?
        }
        Act::RightCode | Act::SomeCode(_) | Act::ReplayedCode | Act::OldCode => {
            submit(browser, "/sign-in/code", "/sign-in/code", &[("code", code)]).await?
        }
        Act::SignOut => submit(browser, "/cases", "/sign-out", &[]).await?,
        Act::CasePage | Act::Tray => {
            let path = if act == Act::CasePage { case } else { "/cases" };
            let response = send(browser.client.get(format!("{}{path}", browser.base))).await?;
            return match response.status() {
                StatusCode::OK => Ok(Seen::Shown),
                s if s.is_redirection() => Ok(Seen::Away),
                s => Err(format!("{s} from {path}")),
            };
        }
    };
    let status = answer.status();
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = answer.text().await.map_err(|e| e.to_string())?;
    match (status, location) {
        (s, Some(to)) if s.is_redirection() => Ok(Seen::Redirect(to)),
        (StatusCode::OK, None) => Ok(Seen::Page {
            locked: body.contains("too many times"),
        }),
        (s, _) => Err(format!("{s} from {act:?}")),
    }
}

/// Sends a request; any 5xx or failure to answer is an error.
async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    if response.status().is_server_error() {
        return Err(format!("{} from {}", response.status(), response.url()));
    }
    Ok(response)
}

/// Loads `page` (following redirects, as a person would land on a form), then posts `fields`
/// with its CSRF token to `action`.
async fn submit(
    browser: &Browser,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Result<reqwest::Response, String> {
    let mut at = page.to_owned();
    let mut token = None;
    for _ in 0..5 {
        let response = send(browser.client.get(format!("{}{at}", browser.base))).await?;
        let next = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(|e| e.to_string())?;
        match next {
            Some(next) => at = next,
            None => {
                let marker = "name=\"csrf_token\" value=\"";
                token = body.find(marker).map(|start| {
                    let rest = &body[start + marker.len()..];
                    rest[..rest.find('"').unwrap_or(0)].to_owned()
                });
                break;
            }
        }
    }
    let token = token.ok_or_else(|| format!("no form at {at} (from {page})"))?;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    send(
        browser
            .client
            .post(format!("{}{action}", browser.base))
            .form(&all),
    )
    .await
}

/// One random journey of a new person on `hub`; the first difference from the model.
async fn journey<B: Backend>(
    hub: &Hub<B>,
    rules: &Rules,
    case: &str,
    n: usize,
    rounds: &[Round],
) -> Result<(), String> {
    let email = format!("model.{n}@example.gov.uk");
    let link = hub
        .invite_as(&email, vec![Role::LaOfficer])
        .await
        .ok_or("a new person")?;
    // Set up the app (the hub gives every new secret the RFC seed) and sign out.
    let setup = hub.browser();
    setup.register(&link, PASSWORD, PASSWORD).await;
    setup.password(&email, PASSWORD).await;
    setup.choose("app").await;
    let first = rules.secret.code_at(unix(hub.now()));
    let signed_in = setup.code(&first).await;
    if signed_in.location.as_deref() != Some("/cases") {
        return Err(format!("setting up the app: {:?}", signed_in.location));
    }
    // The recovery codes are shown once after set-up and must be saved before anything opens.
    if setup.save_recovery_codes().await.len() != 10 {
        return Err("setting up the app: the ten recovery codes".to_owned());
    }
    setup.sign_out().await;

    let browsers: Vec<Browser> = (0..CLIENTS).map(|_| hub.browser()).collect();
    let mut models = vec![Model {
        clients: [Client::Anonymous; CLIENTS],
        password: Lock::default(),
        code: Lock::default(),
        last_step: unix(hub.now()) / 30,
    }];
    let mut last_accepted = first;
    for (i, round) in rounds.iter().enumerate() {
        let acts = match round {
            Round::Wait(seconds) => {
                hub.clock.advance(Duration::seconds(*seconds));
                continue;
            }
            Round::AtOnce(acts) => acts,
        };
        let now = hub.now();
        let codes: Vec<String> = acts
            .iter()
            .map(|act| match act {
                Some(Act::RightCode) => rules.secret.code_at(unix(now)),
                Some(Act::OldCode) => rules.secret.code_at(unix(now).saturating_sub(90)),
                Some(Act::ReplayedCode) => last_accepted.clone(),
                Some(Act::SomeCode(n)) => format!("{n:06}"),
                _ => String::new(),
            })
            .collect();
        let doing = |c: usize| {
            let (browser, code, email) = (&browsers[c], &codes[c], &email);
            async move {
                match acts[c] {
                    Some(act) => perform(browser, act, email, code, case).await.map(Some),
                    None => Ok(None),
                }
            }
        };
        let (a, b, c) = tokio::join!(doing(0), doing(1), doing(2));
        let seen = [a, b, c].map(|r| r.map_err(|e| format!("round {i} {round:?}: {e}")));
        let seen: Vec<Option<Seen>> = seen.into_iter().collect::<Result<_, _>>()?;
        // Every model state some order of the round's actions leads to, predicting every answer.
        let acting: Vec<usize> = (0..CLIENTS).filter(|c| acts[*c].is_some()).collect();
        let mut next: Vec<Model> = Vec::new();
        for model in &models {
            for order in orders(&acting) {
                let mut m = model.clone();
                let fits = order.iter().all(|&c| {
                    acts[c]
                        .is_some_and(|act| Some(m.apply(rules, c, act, &codes[c], now)) == seen[c])
                });
                if fits && !next.contains(&m) {
                    next.push(m);
                }
            }
        }
        if next.is_empty() {
            let expected: Vec<Option<Seen>> = {
                let mut m = models[0].clone();
                (0..CLIENTS)
                    .map(|c| acts[c].map(|act| m.apply(rules, c, act, &codes[c], now)))
                    .collect()
            };
            return Err(format!(
                "round {i} {round:?}: the hub answered {seen:?}; no order of the actions \
                 gives that (in browser order the model expects {expected:?} from {:?})",
                models[0]
            ));
        }
        // The code a later `ReplayedCode` types: the last one the hub took.
        for &c in &acting {
            let typed_code = matches!(
                acts[c],
                Some(Act::RightCode | Act::SomeCode(_) | Act::ReplayedCode | Act::OldCode)
            );
            let was_half = models
                .iter()
                .any(|m| matches!(m.clients[c], Client::Half(_)));
            if typed_code && was_half && seen[c] == Some(Seen::Redirect("/cases".into())) {
                last_accepted = codes[c].clone();
            }
        }
        models = next;
    }
    Ok(())
}

pub async fn three_browsers_signing_in_at_once_keep_the_sign_in_rules_over_http<B: Backend>(
    store: &B,
) {
    let hub = Hub::with(
        store.clone(),
        Options {
            rfc_totp_seed: true,
            // every post comes from 127.0.0.1
            rate_limit_burst: 1_000_000,
            ..Options::default()
        },
    )
    .await;
    let creator = officer(&hub).await;
    let case = format!(
        "/cases/{}",
        created(&creator, &Request::new("EHC-2026-0001", "Amara", "Okafor")).await
    );
    let rules = Rules {
        secret: TotpSecret::from_bytes(*b"12345678901234567890"),
        half_signed_in_for: hub.settings.half_signed_in_for,
        password_lockout: hub.settings.password_lockout,
        code_lockout: hub.settings.code_lockout,
    };
    let people = AtomicUsize::new(0);
    let runtime = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        max_shrink_iters: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(&rounds(), |rounds| {
            let n = people.fetch_add(1, Ordering::Relaxed);
            runtime
                .block_on(journey(&hub, &rules, &case, n, &rounds))
                .map_err(TestCaseError::fail)
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
