//! *Your account* (issue 8): a signed-in person changes their password, their second factor and
//! their e-mail address — each after *Enter your password to continue*, which lasts 10 minutes —
//! and signs out of every other device, over HTTP.

use ehc_core::outbox::{AccountChange, MessageContent};
use ehc_core::second_factor::Method;
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::Duration;

use crate::support::{Browser, Hub, JO, PASSWORD, oathtool};

const NEW_PASSWORD: &str = "Lantern#Quay42";
const SAM: &str = "sam.smith@example.gov.uk";

/// Jo, registered and signed in with a texted code (07911 123456).
async fn jo_signed_in<B: Backend>(hub: &Hub<B>) -> Browser {
    let link = hub.invite(JO).await.unwrap();
    hub.join(&link, JO).await
}

/// Jo signed in again in another browser, with a texted code.
async fn jo_elsewhere<B: Backend>(hub: &Hub<B>, password: &str) -> Browser {
    let other = hub.browser();
    assert_eq!(
        other.password(JO, password).await.location.as_deref(),
        Some("/sign-in/code")
    );
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(other.code(&code).await.location.as_deref(), Some("/cases"));
    other
}

/// Types the password on *Enter your password to continue*, reached from `path`; returns
/// where the hub sends the person next.
async fn reauthenticate(browser: &Browser, path: &str, password: &str) -> Option<String> {
    let asked = browser.get(path).await;
    let confirm = asked.location.expect("sent to confirm the password");
    assert!(
        confirm.starts_with("/account/confirm-password?then="),
        "{confirm}"
    );
    let page = browser.get(&confirm).await;
    assert!(page.has("Enter your password to continue"), "{}", page.body);
    let then = path.to_owned();
    let done = browser
        .post(
            "/account/confirm-password",
            &[
                ("csrf_token", page.csrf().as_str()),
                ("then", then.as_str()),
                ("password", password),
            ],
        )
        .await;
    if done.location.as_deref() == Some(path) {
        // A re-authentication is an authentication: a new session id (ASVS 5.0 7.2.4).
        assert!(done.session_cookie.is_some());
        assert_ne!(done.session_cookie, page.session_cookie);
    }
    done.location
}

/// The account-changed e-mails queued since the last claim, as (address, change).
async fn told<B: Backend>(hub: &Hub<B>) -> Vec<(String, AccountChange)> {
    hub.emails()
        .await
        .into_iter()
        .filter_map(|(to, content)| match content {
            MessageContent::AccountChanged { change } => Some((to, change)),
            _ => None,
        })
        .collect()
}

pub async fn a_password_change_asks_for_the_password_again_then_offers_to_sign_out_elsewhere<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let jo = jo_signed_in(&hub).await;
    let elsewhere = jo_elsewhere(&hub, PASSWORD).await;
    hub.emails().await;

    let account = jo.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.text_of("account-email"), JO);
    assert_eq!(
        account.text_of("account-second-factor"),
        "Text message to the number ending 3456"
    );
    assert_eq!(account.text_of("account-recovery-codes"), "10 unused");
    assert!(jo.get("/cases").await.has("href=\"/account\">Your account"));

    // A wrong password is said and changes nothing; the right one opens the form.
    let asked = jo.get("/account/password").await;
    let confirm = asked.location.unwrap();
    let page = jo.get(&confirm).await;
    let wrong = jo
        .post(
            "/account/confirm-password",
            &[
                ("csrf_token", page.csrf().as_str()),
                ("then", "/account/password"),
                ("password", "Wrong!Guess1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.has("Your password is not correct"));
    assert_eq!(
        jo.get("/account/password").await.location.as_deref(),
        Some(confirm.as_str())
    );
    assert_eq!(
        reauthenticate(&jo, "/account/password", PASSWORD)
            .await
            .as_deref(),
        Some("/account/password")
    );

    let form = jo.get("/account/password").await;
    assert!(
        form.has("Change your password") && form.has(JO),
        "{}",
        form.body
    );
    let weak = jo
        .submit(
            "/account/password",
            "/account/password",
            &[("password", "lantern"), ("confirm", "lantern")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.has("Password must contain at least one capital letter"));
    // The LA's name (the hub's is "Anytown Council") is no password.
    let named = jo
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("password", "Anytown!Lights9"),
                ("confirm", "Anytown!Lights9"),
            ],
        )
        .await;
    assert_eq!(named.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        named.has("Password must not contain “anytown”, which is part of the name of this service or of the local authority")
    );
    let changed = jo
        .submit(
            "/account/password",
            "/account/password",
            &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(
        changed.location.as_deref(),
        Some("/account/sign-out-elsewhere")
    );
    let offer = jo.get("/account/sign-out-elsewhere").await;
    assert!(offer.has("Your password has been changed"));
    // The banner comes from the change itself, never from a link.
    let crafted = elsewhere
        .get("/account/sign-out-elsewhere?changed=password")
        .await;
    assert!(crafted.has("Do you want to sign out of every other device?"));
    assert!(!crafted.has("Your password has been changed"));
    assert!(offer.has("Do you want to sign out of every other device?"));
    // Both sessions still work until the person answers.
    assert_eq!(elsewhere.get("/cases").await.status, StatusCode::OK);
    let unanswered = jo
        .post(
            "/account/sign-out-elsewhere",
            &[("csrf_token", offer.csrf().as_str())],
        )
        .await;
    assert_eq!(unanswered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unanswered.has("Select yes if you want to sign out of every other device"));
    assert!(unanswered.has("Your password has been changed"));
    // A minute later (the hub's clock stands still otherwise).
    hub.clock.advance(Duration::minutes(1));
    let yes = jo
        .post(
            "/account/sign-out-elsewhere",
            &[("csrf_token", offer.csrf().as_str()), ("sign-out", "yes")],
        )
        .await;
    assert_eq!(yes.location.as_deref(), Some("/account"));
    assert!(
        jo.get("/account")
            .await
            .has("You have been signed out of every other device")
    );
    assert!(
        !jo.get("/account/sign-out-elsewhere")
            .await
            .has("Your password has been changed"),
        "answered: the banner is gone"
    );
    assert_eq!(jo.get("/cases").await.status, StatusCode::OK);
    assert_eq!(
        elsewhere.get("/cases").await.location.as_deref(),
        Some("/sign-in")
    );
    assert_eq!(
        told(&hub).await,
        vec![(JO.to_owned(), AccountChange::Password)]
    );

    // The old password is gone; the new one leads to the code.
    let fresh = hub.browser();
    assert!(
        fresh
            .password(JO, PASSWORD)
            .await
            .has("Enter a correct email address and password")
    );
    assert_eq!(
        fresh.password(JO, NEW_PASSWORD).await.location.as_deref(),
        Some("/sign-in/code")
    );
    // Ten minutes later the password is asked for again.
    hub.clock.advance(Duration::minutes(10));
    assert!(
        jo.get("/account/password")
            .await
            .location
            .unwrap()
            .starts_with("/account/confirm-password")
    );
}

pub async fn a_new_authenticator_app_replaces_texts_once_its_code_is_right_with_new_recovery_codes<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let jo = jo_signed_in(&hub).await;
    hub.emails().await;
    assert_eq!(
        reauthenticate(&jo, "/account/security-codes/method", PASSWORD)
            .await
            .as_deref(),
        Some("/account/security-codes/method")
    );
    let unchosen = jo
        .submit(
            "/account/security-codes/method",
            "/account/security-codes/method",
            &[],
        )
        .await;
    assert_eq!(unchosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unchosen.has("Select how you want to get security codes"));
    let chosen = jo
        .submit(
            "/account/security-codes/method",
            "/account/security-codes/method",
            &[("method", "app")],
        )
        .await;
    assert_eq!(
        chosen.location.as_deref(),
        Some("/account/security-codes/app")
    );
    let page = jo.get("/account/security-codes/app").await;
    assert!(page.has("Set up your authenticator app"));
    assert!(page.has("action=\"/account/security-codes/code\""));
    let key = page.text_of("key");
    let qr = jo.get("/account/security-codes/app?qr=1").await;
    assert!(crate::support::decode_qr(&qr.body).starts_with("otpauth://totp/"));

    let right = oathtool(&key, hub.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = jo
        .submit(
            "/account/security-codes/app",
            "/account/security-codes/code",
            &[("code", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("The security code is not correct or has expired"));
    assert!(told(&hub).await.is_empty());

    let accepted = jo
        .submit(
            "/account/security-codes/app",
            "/account/security-codes/code",
            &[("code", &right)],
        )
        .await;
    assert_eq!(
        accepted.location.as_deref(),
        Some("/sign-in/recovery-codes")
    );
    // Nothing else opens until the new recovery codes are saved.
    assert_eq!(
        jo.get("/account").await.location.as_deref(),
        Some("/sign-in/recovery-codes")
    );
    let codes = jo.get("/sign-in/recovery-codes").await;
    assert_eq!(codes.body.matches("<li><code>").count(), 10);
    let saved = jo
        .post(
            "/sign-in/recovery-codes",
            &[("csrf_token", codes.csrf().as_str()), ("saved", "yes")],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/account/sign-out-elsewhere")
    );
    let offer = jo.get("/account/sign-out-elsewhere").await;
    assert!(offer.has("You have a new way to get security codes"));
    let no = jo
        .post(
            "/account/sign-out-elsewhere",
            &[("csrf_token", offer.csrf().as_str()), ("sign-out", "no")],
        )
        .await;
    assert_eq!(no.location.as_deref(), Some("/account"));
    let account = jo.get("/account").await;
    assert_eq!(
        account.text_of("account-second-factor"),
        "Authenticator app"
    );
    assert_eq!(account.text_of("account-recovery-codes"), "10 unused");
    assert_eq!(
        told(&hub).await,
        vec![(
            JO.to_owned(),
            AccountChange::SecondFactor {
                method: Method::App
            }
        )]
    );

    // The next sign-in asks for the app's code, and texts nothing.
    let texts = hub.texts().await.len();
    let fresh = hub.browser();
    fresh.password(JO, PASSWORD).await;
    assert!(
        fresh
            .get("/sign-in/code")
            .await
            .has("Enter the code from your authenticator app")
    );
    assert_eq!(hub.texts().await.len(), texts);
    hub.clock.advance(Duration::seconds(30));
    assert_eq!(
        fresh
            .code(&oathtool(&key, hub.now()))
            .await
            .location
            .as_deref(),
        Some("/cases")
    );
}

pub async fn a_new_mobile_number_gets_a_code_before_it_replaces_the_old<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let jo = jo_signed_in(&hub).await;
    hub.text_recipients().await;
    reauthenticate(&jo, "/account/security-codes/method", PASSWORD).await;
    let chosen = jo
        .submit(
            "/account/security-codes/method",
            "/account/security-codes/method",
            &[("method", "text")],
        )
        .await;
    assert_eq!(
        chosen.location.as_deref(),
        Some("/account/security-codes/text")
    );
    let bad = jo
        .submit(
            "/account/security-codes/text",
            "/account/security-codes/text",
            &[("mobile", "not a number")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("govuk-error-summary"));
    let sent = jo
        .submit(
            "/account/security-codes/text",
            "/account/security-codes/text",
            &[("mobile", "07700 900456")],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/account/security-codes/code")
    );
    let page = jo.get("/account/security-codes/code").await;
    assert!(page.has("We have sent a security code to 07700 900456"));
    assert_eq!(
        hub.text_recipients().await,
        vec!["+447700900456".to_owned()]
    );
    let resent = jo
        .submit(
            "/account/security-codes/code",
            "/account/security-codes/resend",
            &[],
        )
        .await;
    assert_eq!(
        resent.location.as_deref(),
        Some("/account/security-codes/code")
    );
    assert!(
        jo.get("/account/security-codes/code")
            .await
            .has("We have sent you a new code")
    );
    let code = hub.texts().await.pop().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = jo
        .submit(
            "/account/security-codes/code",
            "/account/security-codes/code",
            &[("code", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("The security code is not correct or has expired"));
    // Still the old number.
    assert_eq!(
        jo.get("/account/security-codes/code").await.status,
        StatusCode::OK
    );
    let accepted = jo
        .submit(
            "/account/security-codes/code",
            "/account/security-codes/code",
            &[("code", &code)],
        )
        .await;
    assert_eq!(
        accepted.location.as_deref(),
        Some("/sign-in/recovery-codes")
    );
    let codes = jo.get("/sign-in/recovery-codes").await;
    jo.post(
        "/sign-in/recovery-codes",
        &[("csrf_token", codes.csrf().as_str()), ("saved", "yes")],
    )
    .await;
    assert_eq!(
        jo.get("/account").await.text_of("account-second-factor"),
        "Text message to the number ending 0456"
    );
    hub.text_recipients().await;
    jo_elsewhere(&hub, PASSWORD).await;
    assert_eq!(
        hub.text_recipients().await,
        vec!["+447700900456".to_owned()]
    );
}

pub async fn a_new_email_address_is_confirmed_by_the_link_sent_to_it<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let jo = jo_signed_in(&hub).await;
    hub.emails().await;
    reauthenticate(&jo, "/account/email", PASSWORD).await;
    let form = jo.get("/account/email").await;
    assert!(form.has("Change your email address") && form.has(JO));
    for (typed, message) in [
        (
            "not an address",
            "Enter an email address in the correct format",
        ),
        (
            "JO.Bloggs@Example.gov.uk",
            "Enter a different email address from the one you use now",
        ),
    ] {
        let refused = jo
            .submit("/account/email", "/account/email", &[("email", typed)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(refused.has(message), "{typed}: {}", refused.body);
    }
    assert!(hub.emails().await.is_empty(), "nothing sent for bad input");

    let asked = jo
        .submit(
            "/account/email",
            "/account/email",
            &[("email", "Jo.New@example.org")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.has("Check your email") && asked.has("Jo.New@example.org"));
    let emails = hub.emails().await;
    let link = emails
        .iter()
        .find_map(|(to, content)| match content {
            MessageContent::EmailChangeLink { token, .. } => {
                assert_eq!(to, "jo.new@example.org");
                Some(format!("/account/email/confirm/{}", token.to_link_param()))
            }
            _ => None,
        })
        .expect("a link to the new address");
    assert!(emails.contains(&(
        JO.to_owned(),
        MessageContent::AccountChanged {
            change: AccountChange::EmailChangeRequested {
                to: "Jo.New@example.org".to_owned()
            }
        }
    )));
    // Nothing changed yet.
    assert_eq!(jo.get("/account").await.text_of("account-email"), JO);

    // The link works only in a signed-in session of Jo's account.
    let mailbox = hub.browser();
    let refused = mailbox.get(&link).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.has("Sign in to confirm your new email address"));
    assert!(
        !refused.has(JO),
        "the old address is not shown to whoever holds the link"
    );
    let token = mailbox.get("/sign-in").await.csrf();
    let refused = mailbox.post(&link, &[("csrf_token", token.as_str())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(jo.get("/account").await.text_of("account-email"), JO);
    // Another person signed in gets the same refusal.
    let sam = hub.person(SAM, vec![ehc_core::role::Role::LaOfficer]).await;
    assert_eq!(sam.get(&link).await.status, StatusCode::FORBIDDEN);
    assert!(sam.get(&link).await.has("This link is for another account"));
    hub.emails().await;

    let confirm = jo.get(&link).await;
    assert!(confirm.has("Confirm your new email address"));
    assert!(confirm.has(JO) && confirm.has("Jo.New@example.org"));
    let done = jo
        .post(&link, &[("csrf_token", confirm.csrf().as_str())])
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.has("Your email address has been changed"));
    assert_eq!(
        jo.get("/account").await.text_of("account-email"),
        "Jo.New@example.org"
    );
    assert_eq!(
        told(&hub).await,
        vec![(
            JO.to_owned(),
            AccountChange::EmailChanged {
                to: "Jo.New@example.org".to_owned()
            }
        )]
    );
    let again = jo.get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.has("This link cannot be used"));
    for garbage in [
        "/account/email/confirm/%25%25%25",
        "/account/email/confirm/x",
        "/account/email/confirm/%00%ff",
    ] {
        let page = jo.get(garbage).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{garbage}");
        assert!(page.has("This link cannot be used"));
    }
    // A minute after asking, another link can be asked for; within it, the page says so.
    hub.clock.advance(Duration::minutes(1));
    let third = jo
        .submit(
            "/account/email",
            "/account/email",
            &[("email", "jo.third@example.org")],
        )
        .await;
    assert!(third.has("Check your email"), "{}", third.body);
    let soon = jo
        .submit(
            "/account/email",
            "/account/email",
            &[("email", "jo.fourth@example.org")],
        )
        .await;
    assert_eq!(soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(soon.has("We sent you a link less than a minute ago. Wait a minute, then ask again."));

    let fresh = hub.browser();
    assert!(
        fresh
            .password(JO, PASSWORD)
            .await
            .has("Enter a correct email address and password")
    );
    assert_eq!(
        fresh
            .password("jo.new@example.org", PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/sign-in/code")
    );
}

pub async fn an_address_another_account_has_is_refused_only_at_the_link<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let jo = jo_signed_in(&hub).await;
    hub.registered(SAM).await;
    hub.emails().await;
    reauthenticate(&jo, "/account/email", PASSWORD).await;
    let asked = jo
        .submit(
            "/account/email",
            "/account/email",
            &[("email", "Sam.Smith@example.gov.uk")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked.has("Check your email"),
        "the same answer as for any address"
    );
    let link = hub
        .emails()
        .await
        .into_iter()
        .find_map(|(_, content)| match content {
            MessageContent::EmailChangeLink { token, .. } => {
                Some(format!("/account/email/confirm/{}", token.to_link_param()))
            }
            _ => None,
        })
        .unwrap();
    // Said as soon as the link is opened, and again if it is posted.
    let opened = jo.get(&link).await;
    assert_eq!(opened.status, StatusCode::CONFLICT);
    assert!(opened.has("Another account already uses this email address"));
    let token = jo.get("/account").await.csrf();
    let refused = jo.post(&link, &[("csrf_token", token.as_str())]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.has("Another account already uses this email address"));
    assert_eq!(jo.get("/account").await.text_of("account-email"), JO);
    assert!(told(&hub).await.is_empty());
}

pub async fn account_changes_need_a_signed_in_person_a_csrf_token_and_lock_wrong_passwords<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let anonymous = hub.browser();
    for path in [
        "/account",
        "/account/password",
        "/account/email",
        "/account/confirm-password",
        "/account/security-codes/method",
        "/account/sign-out-elsewhere",
    ] {
        assert_eq!(
            anonymous.get(path).await.location.as_deref(),
            Some("/sign-in"),
            "{path}"
        );
    }
    let jo = jo_signed_in(&hub).await;
    // Half signed in (password only) is not signed in.
    let half = hub.browser();
    half.password(JO, PASSWORD).await;
    assert_eq!(
        half.get("/account").await.location.as_deref(),
        Some("/sign-in/code")
    );
    // No CSRF token: refused, nothing done.
    let forged = jo
        .post(
            "/account/confirm-password",
            &[("then", "/account/password"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A post without a confirmed password goes to the password page and changes nothing.
    let token = jo.get("/account").await.csrf();
    let unconfirmed = jo
        .post(
            "/account/password",
            &[
                ("csrf_token", token.as_str()),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        unconfirmed.location.as_deref(),
        Some("/account/confirm-password?then=/account/password")
    );
    // `then` leads only to the account's own pages.
    let page = jo
        .get("/account/confirm-password?then=https://evil.example")
        .await;
    assert!(page.has("name=\"then\" value=\"/account\""));
    let doubled = jo
        .get("/account/confirm-password?then=/account/email&then=/account/password")
        .await;
    assert_eq!(doubled.status, StatusCode::OK);
    assert!(doubled.has("name=\"then\" value=\"/account\""));
    // A blank password is said and not counted: the lock below still takes every wrong one.
    for _ in 0..3 {
        let blank = jo
            .post(
                "/account/confirm-password",
                &[
                    ("csrf_token", page.csrf().as_str()),
                    ("then", "/account/password"),
                    ("password", ""),
                ],
            )
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.has("Enter your password"));
    }

    // Wrong passwords count toward the sign-in's lock.
    let max = hub.settings.password_lockout.max_failures;
    let mut last = None;
    for _ in 0..max {
        let page = jo
            .get("/account/confirm-password?then=/account/password")
            .await;
        last = Some(
            jo.post(
                "/account/confirm-password",
                &[
                    ("csrf_token", page.csrf().as_str()),
                    ("then", "/account/password"),
                    ("password", "Wrong!Guess1"),
                ],
            )
            .await,
        );
    }
    assert!(
        last.unwrap()
            .has("You have entered the wrong password too many times")
    );
    assert_eq!(
        reauthenticate(&jo, "/account/password", PASSWORD).await,
        None,
        "the right password is refused while locked"
    );
    assert!(
        hub.browser()
            .password(JO, PASSWORD)
            .await
            .has("You have entered the wrong password too many times")
    );
}
