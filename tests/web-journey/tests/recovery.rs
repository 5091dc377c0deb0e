//! Account recovery (issue 8): *Forgotten your password?* and the LA officer's *Reset second
//! factor*, over HTTP.

use ehc_core::outbox::MessageContent;
use ehc_core::role::Role;
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::Duration;

use crate::support::{Hub, JO, PASSWORD};

const NEW_PASSWORD: &str = "Lantern#Quay42";

/// Jo, registered and signed in with a texted code.
async fn jo_signed_in<B: Backend>(hub: &Hub<B>) -> crate::support::Browser {
    let link = hub.invite(JO).await.unwrap();
    hub.join(&link, JO).await
}

pub async fn a_forgotten_password_is_reset_by_the_emailed_link_and_the_code_is_still_asked_for<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let old_session = jo_signed_in(&hub).await;
    hub.emails().await;
    hub.clock.advance(Duration::minutes(1));

    let browser = hub.browser();
    let page = browser.get("/reset-password").await;
    assert!(page.has("Reset your password") && page.has("Send link"));
    assert!(
        browser
            .get("/sign-in")
            .await
            .has("href=\"/reset-password\">Forgotten your password?")
    );
    let asked = browser
        .submit("/reset-password", "/reset-password", &[("email", JO)])
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.has("If an account exists for this email address, we have sent a link"));
    assert!(asked.has("The link works once, for 1 hour."));
    // An unknown address gets the very same page, and nothing is sent.
    let unknown = hub
        .browser()
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "nobody@example.gov.uk")],
        )
        .await;
    assert_eq!((unknown.status, &unknown.body), (asked.status, &asked.body));
    let links = hub.reset_links().await;
    assert_eq!(links.len(), 1, "one e-mail, to Jo only");
    let link = &links[0];

    let form = browser.get(link).await;
    assert!(
        form.has("Choose a new password") && form.has(JO),
        "{}",
        form.body
    );
    // Bad input: every broken rule said, nothing changed, the link still works.
    let mismatch = browser.register(link, NEW_PASSWORD, "Lantern#Quay43").await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.has("Passwords do not match. Enter the same password in both fields"));
    let weak = browser.register(link, "lantern", "lantern").await;
    assert!(weak.has("Password must contain at least one capital letter"));
    assert_eq!(
        old_session.get("/cases").await.status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let done = browser.register(link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert!(done.has("Your password has been changed"), "{}", done.body);
    // Every session ended; the link works once.
    assert_eq!(
        old_session.get("/cases").await.location.as_deref(),
        Some("/sign-in")
    );
    let again = browser.get(link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.has("This link cannot be used"));
    let token = browser.get("/reset-password").await.csrf();
    let reused = browser
        .post(
            link,
            &[
                ("csrf_token", token.as_str()),
                ("password", "Other!Words77"),
                ("confirm", "Other!Words77"),
            ],
        )
        .await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND);
    assert!(reused.has("This link cannot be used"));

    // The old password no longer works; the new one leads to the code, not further.
    let fresh = hub.browser();
    assert!(
        fresh
            .password(JO, PASSWORD)
            .await
            .has("Enter a correct email address and password")
    );
    let step = fresh.password(JO, NEW_PASSWORD).await;
    assert_eq!(step.location.as_deref(), Some("/sign-in/code"));
    assert_eq!(
        fresh.get("/cases").await.location.as_deref(),
        Some("/sign-in/code")
    );
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(fresh.code(&code).await.location.as_deref(), Some("/cases"));

    let emails = hub.emails().await;
    assert!(
        emails.contains(&(JO.to_owned(), MessageContent::PasswordChanged)),
        "{emails:?}"
    );
}

pub async fn a_reset_link_is_void_once_a_newer_one_is_sent_and_after_an_hour<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    jo_signed_in(&hub).await;
    let browser = hub.browser();
    // Not an address: said at the field, nothing sent.
    let bad = browser
        .submit(
            "/reset-password",
            "/reset-password",
            &[("email", "jo.bloggs")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("govuk-error-message") && bad.has("value=\"jo.bloggs\""));
    assert!(hub.reset_links().await.is_empty());

    browser
        .submit("/reset-password", "/reset-password", &[("email", JO)])
        .await;
    let first = hub.reset_links().await.pop().unwrap();
    hub.clock.advance(Duration::minutes(2));
    browser
        .submit("/reset-password", "/reset-password", &[("email", JO)])
        .await;
    let second = hub.reset_links().await.pop().unwrap();
    assert_eq!(browser.get(&first).await.status, StatusCode::NOT_FOUND);
    let token = browser.get("/reset-password").await.csrf();
    let choose = |link: String| {
        let token = token.clone();
        let browser = &browser;
        async move {
            browser
                .post(
                    &link,
                    &[
                        ("csrf_token", token.as_str()),
                        ("password", NEW_PASSWORD),
                        ("confirm", NEW_PASSWORD),
                    ],
                )
                .await
                .status
        }
    };
    assert_eq!(choose(first.clone()).await, StatusCode::NOT_FOUND);
    hub.clock
        .advance(Duration::minutes(59) + Duration::seconds(59));
    assert_eq!(browser.get(&second).await.status, StatusCode::OK);
    hub.clock.advance(Duration::seconds(1));
    assert_eq!(browser.get(&second).await.status, StatusCode::NOT_FOUND);
    assert_eq!(choose(second.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(
        browser.get("/reset-password/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );
    // The password is still the old one.
    assert_eq!(
        hub.browser()
            .password(JO, PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/sign-in/code")
    );
}

pub async fn an_la_officer_resets_a_second_factor_and_the_next_sign_in_sets_one_up_again<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = hub
        .person("officer@example.gov.uk", vec![Role::LaOfficer])
        .await;
    let jo = jo_signed_in(&hub).await;
    hub.emails().await;
    hub.clock.advance(Duration::minutes(1));
    let jo_id = hub.account_of(JO).await.0;
    let path = format!("/people/{jo_id}/reset-second-factor");

    let people = officer.get(&format!("/people?email={JO}")).await;
    assert!(people.has(&format!("href=\"{path}\"")), "{}", people.body);
    let confirm = officer.get(&path).await;
    assert!(confirm.has("They will be signed out everywhere") && confirm.has(JO));
    // Without the form's CSRF token nothing happens.
    assert_eq!(officer.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(jo.get("/cases").await.status, StatusCode::OK);

    let done = officer.submit(&path, &path, &[]).await;
    assert!(done.has("Second factor reset"), "{}", done.body);
    assert_eq!(jo.get("/cases").await.location.as_deref(), Some("/sign-in"));
    let again = hub.browser();
    assert_eq!(
        again.password(JO, PASSWORD).await.location.as_deref(),
        Some("/sign-in/method")
    );
    again.choose("text").await;
    again.mobile("07700 900123").await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(again.code(&code).await.location.as_deref(), Some("/cases"));
    let emails = hub.emails().await;
    assert!(
        emails.contains(&(JO.to_owned(), MessageContent::SecondFactorReset)),
        "{emails:?}"
    );
    // The officer is still signed in.
    assert_eq!(officer.get("/cases").await.status, StatusCode::OK);
}

pub async fn a_second_factor_reset_is_refused_to_anyone_but_another_la_officer<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = hub
        .person("officer@example.gov.uk", vec![Role::LaOfficer])
        .await;
    let jo = jo_signed_in(&hub).await;
    let jo_id = hub.account_of(JO).await.0;
    let officer_id = hub.account_of("officer@example.gov.uk").await.0;
    hub.emails().await;
    hub.clock.advance(Duration::minutes(1));

    // Jo (a SENDCo) may not reset anyone's, not even see the page.
    let officers = format!("/people/{officer_id}/reset-second-factor");
    assert_eq!(jo.get(&officers).await.status, StatusCode::FORBIDDEN);
    let cases = jo.get("/cases").await;
    let refused = jo.post(&officers, &[("csrf_token", &cases.csrf())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The officer may not reset their own.
    assert_eq!(officer.get(&officers).await.status, StatusCode::FORBIDDEN);
    let tray = officer.get("/cases").await;
    let own = officer
        .post(&officers, &[("csrf_token", &tray.csrf())])
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.has("You cannot reset your own second factor"));
    // Unknown people and mangled addresses are not found.
    let nobody = "/people/00000000-0000-0000-0000-000000000009/reset-second-factor";
    assert_eq!(officer.get(nobody).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        officer
            .get("/people/not-an-id/reset-second-factor")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Signed out: to the sign-in.
    assert_eq!(
        hub.browser()
            .get(&format!("/people/{jo_id}/reset-second-factor"))
            .await
            .location
            .as_deref(),
        Some("/sign-in")
    );
    // Nothing changed: both are still signed in, nobody was e-mailed.
    assert_eq!(jo.get("/cases").await.status, StatusCode::OK);
    assert_eq!(officer.get("/cases").await.status, StatusCode::OK);
    let emails = hub.emails().await;
    assert!(emails.is_empty(), "{emails:?}");
}

/// Jo registered, through text set-up and the code, at *Save your recovery codes*.
async fn jo_at_recovery_codes<B: Backend>(hub: &Hub<B>) -> crate::support::Browser {
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    browser.choose("text").await;
    browser.mobile("07700 900123").await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        browser.code(&code).await.location.as_deref(),
        Some("/cases")
    );
    browser
}

/// A fresh browser at the code challenge (the password step texted a code).
async fn jo_at_challenge<B: Backend>(hub: &Hub<B>) -> crate::support::Browser {
    let browser = hub.browser();
    assert_eq!(
        browser.password(JO, PASSWORD).await.location.as_deref(),
        Some("/sign-in/code")
    );
    browser
}

pub async fn recovery_codes_are_shown_once_after_set_up_and_each_signs_in_once_instead_of_a_code<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = jo_at_recovery_codes(&hub).await;
    // Nothing else opens before the codes are saved.
    assert_eq!(
        browser.get("/cases").await.location.as_deref(),
        Some("/sign-in/recovery-codes")
    );
    let shown = browser.get("/sign-in/recovery-codes").await;
    assert!(shown.has("We will not show these codes again"));
    // Continuing without the checkbox: an error, the same codes, still nothing else.
    let unticked = browser
        .post(
            "/sign-in/recovery-codes",
            &[("csrf_token", shown.csrf().as_str())],
        )
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.has("Confirm that you have saved your recovery codes"));
    // Until the box is ticked, the codes shown are not stored: none of them works yet.
    let unsaved: Vec<String> = shown
        .body
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].to_owned())
        .collect();
    let elsewhere = jo_at_challenge(&hub).await;
    let page = elsewhere.get("/sign-in/recovery-code").await;
    let early = elsewhere
        .post(
            "/sign-in/recovery-code",
            &[
                ("csrf_token", page.csrf().as_str()),
                ("recovery-code", unsaved[0].as_str()),
            ],
        )
        .await;
    assert!(early.has("The recovery code is not correct or has been used"));
    let codes = browser.save_recovery_codes().await;
    assert_eq!(codes, unsaved);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 29 && shown.has(&format!("<code>{c}</code>")))
    );
    assert_eq!(browser.get("/cases").await.status, StatusCode::OK);
    // Shown once: the page now leads on to the tray.
    assert_eq!(
        browser
            .get("/sign-in/recovery-codes")
            .await
            .location
            .as_deref(),
        Some("/cases")
    );
    hub.emails().await;

    // Next sign-in: *Use a recovery code instead*.
    let other = jo_at_challenge(&hub).await;
    assert!(
        other
            .get("/sign-in/code")
            .await
            .has("href=\"/sign-in/recovery-code\">Use a recovery code instead")
    );
    let page = other.get("/sign-in/recovery-code").await;
    let csrf = page.csrf();
    let post = |code: &str| {
        let (other, csrf, code) = (&other, csrf.clone(), code.to_owned());
        async move {
            other
                .post(
                    "/sign-in/recovery-code",
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("recovery-code", code.as_str()),
                    ],
                )
                .await
        }
    };
    let malformed = post("12345").await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.has("Enter the recovery code as it was shown to you"));
    let wrong = post("0000-0000-0000-0000-0000-0000").await;
    assert!(wrong.has("The recovery code is not correct or has been used"));
    let typed = format!(" {} ", codes[0].to_uppercase().replace('-', " "));
    assert_eq!(post(&typed).await.location.as_deref(), Some("/cases"));
    assert_eq!(other.get("/cases").await.status, StatusCode::OK);
    let emails = hub.emails().await;
    assert!(
        emails.contains(&(JO.to_owned(), MessageContent::RecoveryCodeUsed { left: 9 })),
        "{emails:?}"
    );

    // The same code never again.
    let third = jo_at_challenge(&hub).await;
    let page = third.get("/sign-in/recovery-code").await;
    let reused = third
        .post(
            "/sign-in/recovery-code",
            &[
                ("csrf_token", page.csrf().as_str()),
                ("recovery-code", codes[0].as_str()),
            ],
        )
        .await;
    assert!(reused.has("The recovery code is not correct or has been used"));
    assert_eq!(
        third.get("/cases").await.location.as_deref(),
        Some("/sign-in/code")
    );
    // Not at set-up or signed out: the page leads back to where the sign-in stands.
    assert_eq!(
        hub.browser()
            .get("/sign-in/recovery-code")
            .await
            .location
            .as_deref(),
        Some("/sign-in")
    );
}

pub async fn few_recovery_codes_left_are_announced_and_the_last_one_brings_a_new_set<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = jo_at_recovery_codes(&hub).await;
    let codes = browser.save_recovery_codes().await;
    for (i, code) in codes.iter().enumerate() {
        let other = jo_at_challenge(&hub).await;
        let page = other.get("/sign-in/recovery-code").await;
        let done = other
            .post(
                "/sign-in/recovery-code",
                &[
                    ("csrf_token", page.csrf().as_str()),
                    ("recovery-code", code),
                ],
            )
            .await;
        assert_eq!(done.location.as_deref(), Some("/cases"), "code {i}");
        let left = 9 - i;
        let tray = other.get("/cases").await;
        match left {
            0 => {
                assert_eq!(tray.location.as_deref(), Some("/sign-in/recovery-codes"));
                let fresh = other.save_recovery_codes().await;
                assert_eq!(fresh.len(), 10);
                assert!(fresh.iter().all(|c| !codes.contains(c)));
            }
            1..=3 => {
                let plural = if left == 1 { "" } else { "s" };
                assert!(
                    tray.has(&format!("You have {left} recovery code{plural} left")),
                    "{}",
                    tray.body
                );
            }
            _ => assert!(!tray.has("recovery code"), "{}", tray.body),
        }
    }
}
