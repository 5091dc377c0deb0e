//! `ehc-hub walk`, the terminal demo: one person's journey from the LA's invitation to *My cases in progress*.
//!
//! Each page of the future web journey is a prompt here, with the same words. Lines are read
//! from standard input, so the demo can also be driven by a script (see tests/demo.rs).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, Write};
use std::sync::Arc;

use ehc_core::invitation::{InvitationService, InviteOutcome};
use ehc_core::outbox::{MessageContent, Recipient};
use ehc_core::password::{Argon2idHasher, Argon2idParams};
use ehc_core::ports::Clock;
use ehc_core::registration::{RegistrationError, RegistrationService};
use ehc_core::role::{Grantor, Role, Urn};
use ehc_core::second_factor::Method;
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{Notice, SignInError, SignInInput, SignInService, SignInState};
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_core::test_support::InMemoryStore;

/// Options of `ehc-hub walk`.
#[derive(clap::Args)]
pub struct WalkArgs {
    /// The LA's name (shown in texts and authenticator apps).
    #[arg(long, default_value = "Anytown Council")]
    la_name: String,
    /// The address the LA invites.
    #[arg(long, default_value = "jo.bloggs@example.gov.uk")]
    email: String,
}

type Services = (
    InvitationService<InMemoryStore, Arc<OsSecretSource>>,
    RegistrationService<InMemoryStore, Arc<Argon2idHasher>, Arc<OsSecretSource>>,
    SignInService<InMemoryStore, Arc<Argon2idHasher>, Arc<OsSecretSource>>,
);

/// Runs the demo on standard input and output.
///
/// # Errors
/// When standard input ends early or a service reports a fault.
pub fn run(args: &WalkArgs) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout();
    match pollster::block_on(walk(args, &mut input, &mut out)) {
        Err(e) if e.is::<Quit>() => {
            writeln!(out, "Goodbye.")?;
            Ok(())
        }
        other => other,
    }
}

/// The person typed `quit`, or standard input ended: the demo ends normally.
#[derive(Debug, thiserror::Error)]
#[error("the demo was ended")]
struct Quit;

fn ask(input: &mut dyn BufRead, out: &mut dyn Write, prompt: &str) -> Result<String> {
    writeln!(out, "{prompt}")?;
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Err(Quit.into());
    }
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.trim() == "quit" {
        return Err(Quit.into());
    }
    Ok(line)
}

async fn walk(args: &WalkArgs, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    let store = InMemoryStore::new();
    let secrets = Arc::new(OsSecretSource);
    let settings = SecuritySettings {
        la_name: args.la_name.clone(),
        allow_drama_numbers: true,
        ..SecuritySettings::default()
    };
    let hasher = Arc::new(Argon2idHasher::new(
        Argon2idParams::default(),
        secrets.clone(),
    )?);
    let (invitations, registration, sign_in): Services = (
        InvitationService::new(store.clone(), secrets.clone(), settings.clone()),
        RegistrationService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        ),
        SignInService::new(store.clone(), hasher, secrets, settings.clone()),
    );
    let clock = SystemClock;

    writeln!(
        out,
        "EHC Hub terminal demo ({}). Nothing is kept.",
        args.la_name
    )?;
    let setting = Urn::parse("100001").context("demo URN")?;
    let role = Role::Sendco { setting };
    writeln!(out, "The LA invites {} as {}.", args.email, role.describe())?;
    let outcome = invitations
        .invite(Grantor::System, &args.email, vec![role], clock.now(), None)
        .await?;
    let InviteOutcome::Invited { .. } = outcome else {
        bail!("the address already has an account");
    };
    let mut printed = print_new_messages(&store, 0, &settings, out).await?;

    // Complete your registration (the link's token comes from the e-mail just printed).
    let token = ehc_core::test_support::invitation_tokens(&store.outbox_messages().await)
        .pop()
        .context("no invitation e-mail")?;
    writeln!(out, "\n== Complete your registration ==")?;
    writeln!(
        out,
        "Your password must be at least {} characters and contain a symbol, such as ? ! £ %, and a capital letter.",
        settings.password.min_chars
    )?;
    loop {
        let password = ask(input, out, "Choose your password:")?;
        let confirmation = ask(input, out, "Confirm your password:")?;
        match registration
            .register(&token, &password, &confirmation, clock.now(), None)
            .await
        {
            Ok(_) => break,
            Err(RegistrationError::Password(violations)) => {
                writeln!(out, "There is a problem:")?;
                for rule in violations.rules() {
                    writeln!(out, "  - {rule}")?;
                }
            }
            Err(other) => bail!("registration failed: {other}"),
        }
    }
    writeln!(out, "Your account is ready. Sign in.")?;

    let mut state = SignInState::Anonymous;
    let mut sign_ins = 0;
    loop {
        let step = next_input(&state, &sign_in, &store, input, out).await?;
        match sign_in.handle(&state, step, clock.now(), None).await {
            Ok(t) => {
                match &t.notice {
                    Some(Notice::SendLimitReached { retry_at }) => writeln!(
                        out,
                        "You have asked for too many codes. No text was sent. Try again after {retry_at}."
                    )?,
                    Some(Notice::RecoveryCodesIssued(codes)) => {
                        writeln!(
                            out,
                            "Save your recovery codes: each one works once instead of a security code. They will not be shown again."
                        )?;
                        for code in codes {
                            writeln!(out, "  {}", code.display())?;
                        }
                        ask(input, out, "Type anything once you have saved them:")?;
                        sign_in
                            .keep_recovery_codes(&t.state, codes, clock.now(), None)
                            .await?;
                    }
                    Some(Notice::FewRecoveryCodesLeft { left }) => {
                        writeln!(out, "You have {left} recovery codes left.")?
                    }
                    Some(Notice::CodeSent { .. }) | None => {}
                }
                state = t.state;
            }
            Err(SignInError::Expired) => {
                writeln!(out, "{}", SignInError::Expired)?;
                state = SignInState::Anonymous;
            }
            Err(e) => writeln!(out, "There is a problem: {e}")?,
        }
        printed = print_new_messages(&store, printed, &settings, out).await?;
        if let Some(account) = state.signed_in_account() {
            sign_ins += 1;
            my_cases(&store, account, &clock, out).await?;
            if sign_ins >= 3 {
                return Err(Quit.into());
            }
            ask(
                input,
                out,
                "Type anything to sign out, or 'quit' to end the demo:",
            )?;
            state = sign_in
                .handle(&state, SignInInput::SignOut, clock.now(), None)
                .await?
                .state;
            writeln!(out, "You have signed out.")?;
        }
    }
}

/// Asks for what the current page asks for; `None` ends the demo.
async fn next_input(
    state: &SignInState,
    sign_in: &SignInService<InMemoryStore, Arc<Argon2idHasher>, Arc<OsSecretSource>>,
    store: &InMemoryStore,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<SignInInput> {
    let la = &sign_in.settings().la_name;
    Ok(match state {
        SignInState::Anonymous => {
            writeln!(out, "\n== Sign in ==")?;
            let email = ask(input, out, "Email address (or 'quit'):")?;
            let password = ask(input, out, "Password:")?;
            SignInInput::Password { email, password }
        }
        SignInState::ChoosingMethod { .. } => {
            writeln!(out, "\n== How do you want to get security codes? ==")?;
            writeln!(out, "  1. Smartphone or tablet app")?;
            writeln!(out, "  2. Text message")?;
            match ask(input, out, "Choose 1 or 2, then Continue:")?.trim() {
                "1" => SignInInput::ChooseMethod(Method::App),
                _ => SignInInput::ChooseMethod(Method::Text),
            }
        }
        SignInState::AppSetUp { secret, email, .. } => {
            writeln!(out, "\n== Set up your authenticator app ==")?;
            writeln!(
                out,
                "Enter this key in your app: {}",
                secret.base32_in_groups()
            )?;
            writeln!(
                out,
                "Use a QR code instead: {}",
                secret.otpauth_uri(la, email)?
            )?;
            demo_code_hint(secret, out)?;
            code_or(
                input,
                out,
                "Enter the 6-digit code from your app, or 'start again':",
            )?
        }
        SignInState::TextSetUp { .. } => {
            writeln!(out, "\n== Set up text messages ==")?;
            let number = ask(
                input,
                out,
                "Mobile phone number (UK or with a country code), then Send code:",
            )?;
            if number.trim() == "start again" {
                SignInInput::StartAgain
            } else {
                SignInInput::MobileNumber(number)
            }
        }
        SignInState::TextSetUpCodeSent { phone, .. } => {
            writeln!(out, "\n== Check your phone ==")?;
            writeln!(out, "We have sent a code to {}.", phone.as_entered())?;
            code_or(
                input,
                out,
                "Enter the code, then Log in; or 'resend' (Resend log in code) or 'start again':",
            )?
        }
        SignInState::TextChallenge { phone, .. } => {
            writeln!(out, "\n== Check your phone ==")?;
            writeln!(
                out,
                "We have sent a code to your mobile number ending in {}.",
                phone.last_digits()
            )?;
            code_or(
                input,
                out,
                "Enter the code, then Log in; or 'resend' (Resend log in code):",
            )?
        }
        SignInState::AppChallenge { account, .. } => {
            writeln!(out, "\n== Enter the code from your authenticator app ==")?;
            if let Some(ehc_core::second_factor::Enrolment::App { secret }) =
                enrolled_secret(store, *account).await?
            {
                demo_code_hint(&secret, out)?;
            }
            code_or(input, out, "Enter the 6-digit code:")?
        }
        SignInState::SignedIn { .. } => SignInInput::SignOut,
    })
}

fn code_or(input: &mut dyn BufRead, out: &mut dyn Write, prompt: &str) -> Result<SignInInput> {
    let typed = ask(input, out, prompt)?;
    Ok(match typed.trim() {
        "start again" => SignInInput::StartAgain,
        "resend" => SignInInput::Resend,
        _ => SignInInput::Code(typed),
    })
}

/// What an authenticator app holding `secret` shows now (the demo has no phone to look at).
fn demo_code_hint(secret: &ehc_core::second_factor::TotpSecret, out: &mut dyn Write) -> Result<()> {
    let unix = u64::try_from(SystemClock.now().unix_timestamp()).unwrap_or(0);
    writeln!(
        out,
        "(demo) An authenticator app with this key shows now: {}",
        secret.code_at(unix)
    )?;
    Ok(())
}

async fn enrolled_secret(
    store: &InMemoryStore,
    account: ehc_core::account::AccountId,
) -> Result<Option<ehc_core::second_factor::Enrolment>> {
    use ehc_core::ports::Store;
    let mut tx = store.begin().await?;
    Ok(tx.second_factors().enrolment(account).await?)
}

async fn my_cases(
    store: &InMemoryStore,
    account: ehc_core::account::AccountId,
    clock: &SystemClock,
    out: &mut dyn Write,
) -> Result<()> {
    use ehc_core::ports::Store;
    let mut tx = store.begin().await?;
    let email = tx
        .accounts()
        .get(account)
        .await?
        .map(|a| a.email.to_string())
        .unwrap_or_default();
    let grants = tx.grants().for_account(account).await?;
    drop(tx);
    let roles: Vec<String> = grants
        .iter()
        .filter(|g| g.is_active(clock.now()))
        .map(|g| g.role.describe())
        .collect();
    writeln!(out, "\n== My cases in progress ==")?;
    writeln!(out, "Signed in as {email} ({}).", roles.join("; "))?;
    writeln!(
        out,
        "There are no cases for you yet: the local authority creates cases and links people to them on the hub's web pages."
    )?;
    Ok(())
}

/// Prints the outbox messages after the first `already` ones, as the e-mail or text a person
/// would receive; returns the new count.
async fn print_new_messages(
    store: &InMemoryStore,
    already: usize,
    settings: &SecuritySettings,
    out: &mut dyn Write,
) -> Result<usize> {
    let messages = store.outbox_messages().await;
    for m in messages.iter().skip(already) {
        match (&m.recipient, &m.content) {
            (Recipient::Email(to), MessageContent::Invitation { token, .. }) => {
                writeln!(out, "\n--- e-mail to {to} ---")?;
                writeln!(
                    out,
                    "You have been invited to the {} EHC Hub.",
                    settings.la_name
                )?;
                writeln!(
                    out,
                    "Complete your registration: http://127.0.0.1:8080/register/{}",
                    token.to_link_param()
                )?;
                writeln!(out, "---")?;
            }
            (Recipient::Sms(to), MessageContent::SignInCode { code }) => {
                writeln!(
                    out,
                    "\n--- text to {} ---\n{} is your {} EHC Hub security code\n---",
                    to.e164(),
                    code.expose(),
                    settings.la_name
                )?;
            }
            (to, content) => writeln!(out, "\n--- message to {to:?}: {content:?} ---")?,
        }
    }
    Ok(messages.len())
}
