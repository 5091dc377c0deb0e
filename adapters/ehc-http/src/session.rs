//! What the hub keeps in a server-side session: the sign-in state, the CSRF token, when the
//! session began (for the absolute timeout), a one-time notice for the next page, a new set of
//! recovery codes until the person has saved them, and the outbox id of the latest code texted
//! (the code page says when its sending is delayed); for a signed-in person's account changes,
//! the latest re-authentication, the new second factor being set up and where to go once new
//! recovery codes are saved.

use time::OffsetDateTime;
use tower_sessions::Session;

use ehc_core::account_change::Reauthentication;
use ehc_core::outbox::MessageId;
use ehc_core::ports::SecretSource;
use ehc_core::second_factor::NewSecondFactor;
use ehc_core::sign_in::SignInState;

use crate::csrf;
use crate::pages::PageError;

const STATE: &str = "sign_in";
const CSRF: &str = "csrf";
const STARTED: &str = "started";
const NOTICE: &str = "notice";
const RECOVERY_CODES: &str = "recovery_codes";
const TEXTED: &str = "texted";
const REAUTHENTICATION: &str = "reauthentication";
const NEW_FACTOR: &str = "new_second_factor";
const AFTER_CODES: &str = "after_recovery_codes";
const JUST_CHANGED: &str = "just_changed";

/// The hub's view of one browser session.
pub struct HubSession(pub Session);

impl HubSession {
    /// The sign-in state at `now`: `Anonymous` once the session is older than `absolute`
    /// (the whole session is then cleared).
    pub async fn state(
        &self,
        now: OffsetDateTime,
        absolute: time::Duration,
    ) -> Result<SignInState, PageError> {
        let started: Option<i64> = self.0.get(STARTED).await?;
        if let Some(started) = started
            && now.unix_timestamp() - started >= absolute.whole_seconds()
        {
            self.0.flush().await?;
            return Ok(SignInState::Anonymous);
        }
        Ok(self.0.get(STATE).await?.unwrap_or_default())
    }

    /// Stores `new` (reached by a password step when `password_step`), issuing a new session id
    /// (and a new CSRF token) whenever a password step succeeds — from any state, so an id planted or seen before it is worth nothing after it —
    /// and when the second factor is passed. Signing out deletes the session on the server.
    pub async fn set_state(
        &self,
        old: &SignInState,
        new: &SignInState,
        now: OffsetDateTime,
        password_step: bool,
    ) -> Result<(), PageError> {
        if *new == SignInState::Anonymous {
            if *old != SignInState::Anonymous {
                self.0.flush().await?;
            }
            return Ok(());
        }
        let passed_password = password_step && new.password_at().is_some();
        let passed_factor = new.signed_in_account().is_some() && old.signed_in_account().is_none();
        if passed_password || passed_factor {
            self.0.cycle_id().await?;
            self.0.remove_value(CSRF).await?;
        }
        if passed_password {
            self.0.insert(STARTED, now.unix_timestamp()).await?;
            // Nothing of an earlier sign-in's account changes carries over to this one.
            for key in [REAUTHENTICATION, NEW_FACTOR, AFTER_CODES, JUST_CHANGED] {
                self.0.remove_value(key).await?;
            }
        }
        self.0.insert(STATE, new).await?;
        Ok(())
    }

    /// The session's CSRF token, made on first use.
    pub async fn csrf_token(&self, secrets: &dyn SecretSource) -> Result<String, PageError> {
        if let Some(token) = self.0.get::<String>(CSRF).await? {
            return Ok(token);
        }
        let token = csrf::new_token(secrets)?;
        self.0.insert(CSRF, &token).await?;
        Ok(token)
    }

    /// Whether `presented` is this session's CSRF token.
    pub async fn csrf_ok(&self, presented: &str) -> Result<bool, PageError> {
        let expected: Option<String> = self.0.get(CSRF).await?;
        Ok(expected.is_some_and(|e| csrf::matches(&e, presented)))
    }

    /// Keeps `text` for the next page.
    pub async fn set_notice(&self, text: &str) -> Result<(), PageError> {
        self.0.insert(NOTICE, text).await?;
        Ok(())
    }

    /// Keeps a new set of recovery codes (as shown) until the person says they saved them.
    pub async fn set_recovery_codes(&self, codes: &[String]) -> Result<(), PageError> {
        self.0.insert(RECOVERY_CODES, codes).await?;
        Ok(())
    }

    /// The recovery codes waiting to be saved, if any.
    pub async fn recovery_codes(&self) -> Result<Option<Vec<String>>, PageError> {
        Ok(self.0.get(RECOVERY_CODES).await?)
    }

    /// Forgets the recovery codes once the person saved them: they are shown only once.
    pub async fn clear_recovery_codes(&self) -> Result<(), PageError> {
        self.0.remove_value(RECOVERY_CODES).await?;
        Ok(())
    }

    /// Takes the notice kept for this page, if any.
    pub async fn take_notice(&self) -> Result<Option<String>, PageError> {
        Ok(self.0.remove(NOTICE).await?)
    }

    /// Keeps `message` as the latest code texted to this session's person.
    pub async fn set_texted(&self, message: MessageId) -> Result<(), PageError> {
        self.0.insert(TEXTED, message.0).await?;
        Ok(())
    }

    /// The outbox id of the latest code texted to this session's person, if any.
    pub async fn texted(&self) -> Result<Option<MessageId>, PageError> {
        Ok(self.0.get(TEXTED).await?.map(MessageId))
    }

    /// Keeps the proof that the person typed their password again, with a new session id
    /// (a re-authentication is an authentication: ASVS 5.0 7.2.4).
    pub async fn set_reauthentication(&self, proof: &Reauthentication) -> Result<(), PageError> {
        self.0.cycle_id().await?;
        self.0.insert(REAUTHENTICATION, proof).await?;
        Ok(())
    }

    /// The latest proof that the person typed their password again, if any.
    pub async fn reauthentication(&self) -> Result<Option<Reauthentication>, PageError> {
        Ok(self.0.get(REAUTHENTICATION).await?)
    }

    /// Keeps (or with `None` forgets) the new second factor being set up by a signed-in person.
    pub async fn set_new_factor(&self, new: Option<&NewSecondFactor>) -> Result<(), PageError> {
        match new {
            Some(new) => self.0.insert(NEW_FACTOR, new).await?,
            None => {
                self.0.remove_value(NEW_FACTOR).await?;
            }
        }
        Ok(())
    }

    /// The new second factor being set up, if any.
    pub async fn new_factor(&self) -> Result<Option<NewSecondFactor>, PageError> {
        Ok(self.0.get(NEW_FACTOR).await?)
    }

    /// Where *I have saved my recovery codes* leads this time (a page of the hub's own).
    pub async fn set_after_recovery_codes(&self, path: &str) -> Result<(), PageError> {
        self.0.insert(AFTER_CODES, path).await?;
        Ok(())
    }

    /// Takes where *I have saved my recovery codes* leads, if set.
    pub async fn take_after_recovery_codes(&self) -> Result<Option<String>, PageError> {
        Ok(self.0.remove(AFTER_CODES).await?)
    }

    /// Keeps which account change was just made (`password`, `security-codes`) for the next
    /// *Do you want to sign out of every other device?* page.
    pub async fn set_just_changed(&self, what: &str) -> Result<(), PageError> {
        self.0.insert(JUST_CHANGED, what).await?;
        Ok(())
    }

    /// Which account change was just made, if any (kept until the question is answered).
    pub async fn just_changed(&self) -> Result<Option<String>, PageError> {
        Ok(self.0.get(JUST_CHANGED).await?)
    }

    /// Takes which account change was just made, if any.
    pub async fn take_just_changed(&self) -> Result<Option<String>, PageError> {
        Ok(self.0.remove(JUST_CHANGED).await?)
    }
}
