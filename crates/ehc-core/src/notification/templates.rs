//! The wording of every message the hub sends, in one place the LA can change.
//!
//! [`MessageTemplates`] holds the LA's name, the hub's address, the LA's contact details and one
//! template per kind of message; its defaults are built in and every field can be overridden
//! from the configuration file (serde). [`MessageTemplates::render`] turns an outbox
//! [`MessageContent`] into the e-mail or text to send. Pure computation: no I/O, no clock.
//!
//! ## Placeholders
//! Templates are plain text with `{{ name }}` placeholders (spaces inside the braces optional).
//! Every template may use `la_name`, `hub_url` and `contact`; each kind adds its own:
//!
//! | template | channel | its own placeholders |
//! |---|---|---|
//! | `invitation` | e-mail | `link` (`{hub_url}/register/{token}`), `roles` |
//! | `access_granted` | e-mail | `roles`, `sign_in_link` (`{hub_url}/sign-in`) |
//! | `sign_in_code` | text | `code` |
//! | `password_reset` | e-mail | `link` (`{hub_url}/reset-password/{token}`), `valid_for` (`1 hour`, `30 minutes`) |
//! | `password_changed` | e-mail | `sign_in_link`, `reset_link` (`{hub_url}/reset-password`) |
//! | `second_factor_reset` | e-mail | `sign_in_link` |
//! | `recovery_code_used` | e-mail | `left` (a number), `reset_link` (`{hub_url}/reset-password`) |
//! | `email_change` | e-mail | `link` (`{hub_url}/account/email/confirm/{token}`), `valid_for` |
//! | `account_changed` | e-mail | `what_changed` (one sentence, e.g. "The password of your account was changed."), `if_not_you` (what to do if the person did not make it: reset the password at `{hub_url}/reset-password`, or, once the address has changed, contact the LA), `account_link` (`{hub_url}/account`) |
//!
//! An unknown placeholder or an unclosed `{{` is an error ([`MessageTemplates::validate`] finds
//! it at start-up). In the `html` template of an e-mail every value is HTML-escaped; `roles`
//! becomes a `<ul>` list and line breaks of `contact` become `<br>`. In text templates `roles`
//! becomes lines starting `* `. A subject is one line: line breaks in it become spaces.
//!
//! ## Adding a kind of message
//! A new [`MessageContent`] kind is one arm of [`MessageTemplates::render`] plus its template
//! field. Case-update alerts (to come) must never hold a child's name or any other personal
//! detail of the child (docs/SECURITY.md): they say that something happened on a case and link
//! to the hub, where the viewer's rights decide what is shown.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::invitation::InvitationToken;
use crate::outbox::{AccountChange, CaseUpdate, MessageContent};
use crate::ports::{RandomnessUnavailable, SecretSource};
use crate::role::Role;
use crate::second_factor::{Method, SmsCode};

/// An e-mail's three parts, each a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    /// The subject line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part: a whole HTML document.
    pub html: String,
}

/// A text message's template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextTemplate {
    /// The text.
    pub body: String,
}

/// The LA's message templates and the values every message shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessageTemplates {
    /// The LA's name as messages name it, e.g. `Cyngor Sir Ynys Môn` (`{{ la_name }}`).
    pub la_name: String,
    /// The hub's public address, e.g. `https://ehc.example.gov.uk` (`{{ hub_url }}`); a trailing
    /// `/` is ignored. Registration links are `{hub_url}/register/{token}`.
    pub base_url: String,
    /// The LA's contact details, one or more lines, at the bottom of every e-mail
    /// (`{{ contact }}`).
    pub contact: String,
    /// Add the line `@{host} #{code}` at the end of sign-in texts so that browsers and phones
    /// can offer the code for autofill (the origin-bound one-time code format of WebOTP). The
    /// host is that of `base_url`.
    pub sms_autofill: bool,
    /// The invitation e-mail with the *Complete your registration* link.
    pub invitation: EmailTemplate,
    /// The e-mail telling an existing account that it was given new roles.
    pub access_granted: EmailTemplate,
    /// The sign-in security code text.
    pub sign_in_code: TextTemplate,
    /// The *Reset your password* e-mail with its single-use link.
    pub password_reset: EmailTemplate,
    /// The e-mail sent after every password reset.
    pub password_changed: EmailTemplate,
    /// The e-mail telling a person that the LA removed their second factor.
    pub second_factor_reset: EmailTemplate,
    /// The e-mail telling a person that one of their recovery codes was used.
    pub recovery_code_used: EmailTemplate,
    /// The *Confirm your new email address* e-mail, sent to the new address.
    pub email_change: EmailTemplate,
    /// The e-mail telling a person that their account was changed (password, second factor,
    /// e-mail address asked for or changed).
    pub account_changed: EmailTemplate,
    /// The alert that something happened on a case (`{{ case_reference }}`,
    /// `{{ what_happened }}`, `{{ asked }}`, `{{ link }}`). Never add a child's details: the
    /// message has none to give.
    pub case_update: EmailTemplate,
    /// A person's daily digest of case alerts (`{{ count }}`, `{{ updates }}` — a list, one line
    /// per alert with its case reference — and `{{ link }}`). Never add a child's details.
    pub case_digest: EmailTemplate,
}

impl Default for MessageTemplates {
    fn default() -> Self {
        Self {
            la_name: "Local Authority".to_owned(),
            base_url: "http://localhost:8080".to_owned(),
            contact: "Contact your local authority's SEND team.".to_owned(),
            sms_autofill: false,
            invitation: EmailTemplate {
                subject: "Complete your registration for the {{ la_name }} EHC Hub".to_owned(),
                text: DEFAULT_INVITATION_TEXT.to_owned(),
                html: DEFAULT_INVITATION_HTML.to_owned(),
            },
            access_granted: EmailTemplate {
                subject: "You have new access on the {{ la_name }} EHC Hub".to_owned(),
                text: DEFAULT_ACCESS_GRANTED_TEXT.to_owned(),
                html: DEFAULT_ACCESS_GRANTED_HTML.to_owned(),
            },
            sign_in_code: TextTemplate {
                body: "{{ code }} is your {{ la_name }} EHC Hub security code".to_owned(),
            },
            password_reset: EmailTemplate {
                subject: "Reset your password for the {{ la_name }} EHC Hub".to_owned(),
                text: DEFAULT_PASSWORD_RESET_TEXT.to_owned(),
                html: DEFAULT_PASSWORD_RESET_HTML.to_owned(),
            },
            password_changed: EmailTemplate {
                subject: "Your {{ la_name }} EHC Hub password was changed".to_owned(),
                text: DEFAULT_PASSWORD_CHANGED_TEXT.to_owned(),
                html: DEFAULT_PASSWORD_CHANGED_HTML.to_owned(),
            },
            second_factor_reset: EmailTemplate {
                subject: "Set up a new way to get security codes for the {{ la_name }} EHC Hub"
                    .to_owned(),
                text: DEFAULT_SECOND_FACTOR_RESET_TEXT.to_owned(),
                html: DEFAULT_SECOND_FACTOR_RESET_HTML.to_owned(),
            },
            recovery_code_used: EmailTemplate {
                subject: "A recovery code was used to sign in to the {{ la_name }} EHC Hub"
                    .to_owned(),
                text: DEFAULT_RECOVERY_CODE_USED_TEXT.to_owned(),
                html: DEFAULT_RECOVERY_CODE_USED_HTML.to_owned(),
            },
            email_change: EmailTemplate {
                subject: "Confirm your new email address for the {{ la_name }} EHC Hub".to_owned(),
                text: DEFAULT_EMAIL_CHANGE_TEXT.to_owned(),
                html: DEFAULT_EMAIL_CHANGE_HTML.to_owned(),
            },
            account_changed: EmailTemplate {
                subject: "Your {{ la_name }} EHC Hub account was changed".to_owned(),
                text: DEFAULT_ACCOUNT_CHANGED_TEXT.to_owned(),
                html: DEFAULT_ACCOUNT_CHANGED_HTML.to_owned(),
            },
            case_update: EmailTemplate {
                subject: "Case {{ case_reference }}: {{ what_happened }}".to_owned(),
                text: DEFAULT_CASE_UPDATE_TEXT.to_owned(),
                html: DEFAULT_CASE_UPDATE_HTML.to_owned(),
            },
            case_digest: EmailTemplate {
                subject: "Your daily summary from the {{ la_name }} EHC Hub: {{ count }} updates"
                    .to_owned(),
                text: DEFAULT_CASE_DIGEST_TEXT.to_owned(),
                html: DEFAULT_CASE_DIGEST_HTML.to_owned(),
            },
        }
    }
}

const DEFAULT_INVITATION_TEXT: &str = "\
You have been invited to the {{ la_name }} EHC Hub, where the local authority, education \
settings, professionals and families work together on Education, Health and Care (EHC) needs \
assessments and plans.

You will have access as:
{{ roles }}

Complete your registration:
{{ link }}

The link works once. If it has expired, contact us and we will send you a new one.
If you were not expecting this email, you can ignore it.

{{ la_name }}
{{ contact }}
";

const DEFAULT_INVITATION_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Complete your registration</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>You have been invited to the {{ la_name }} EHC Hub, where the local authority, education settings, professionals and families work together on Education, Health and Care (EHC) needs assessments and plans.</p>
<p>You will have access as:</p>
{{ roles }}
<p><a href="{{ link }}" style="color: #1d70b8;">Complete your registration</a></p>
<p>Or copy this link into your browser: {{ link }}</p>
<p>The link works once. If it has expired, contact us and we will send you a new one. If you were not expecting this email, you can ignore it.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_CASE_UPDATE_TEXT: &str = "\
There is an update on case {{ case_reference }} in the {{ la_name }} EHC Hub:
{{ what_happened }}.
{{ asked }}

Sign in to see it:
{{ link }}

For everyone's privacy this email does not include any personal details.

{{ la_name }}
{{ contact }}
";

const DEFAULT_CASE_UPDATE_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Case update</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>There is an update on case {{ case_reference }} in the {{ la_name }} EHC Hub: {{ what_happened }}.</p>
<p>{{ asked }}</p>
<p><a href="{{ link }}" style="color: #1d70b8;">Sign in to see it</a></p>
<p>For everyone's privacy this email does not include any personal details.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>"#;

const DEFAULT_CASE_DIGEST_TEXT: &str = "\
Since your last summary there have been {{ count }} updates on your cases in the {{ la_name }} EHC Hub:

{{ updates }}

Sign in to see them:
{{ link }}

For everyone's privacy this email does not include any personal details. You can choose to get
each update straight away instead: sign in and go to *Email alerts*.

{{ la_name }}
{{ contact }}
";

const DEFAULT_CASE_DIGEST_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Your daily summary</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>Since your last summary there have been {{ count }} updates on your cases in the {{ la_name }} EHC Hub:</p>
{{ updates }}
<p><a href="{{ link }}" style="color: #1d70b8;">Sign in to see them</a></p>
<p>For everyone's privacy this email does not include any personal details. You can choose to get each update straight away instead: sign in and go to <em>Email alerts</em>.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_PASSWORD_RESET_TEXT: &str = "\
Someone asked to reset the password of your {{ la_name }} EHC Hub account.

Choose a new password:
{{ link }}

The link works once, for {{ valid_for }}. After choosing a new password you sign in with it and
your security code as usual.
If you did not ask for this, you can ignore this email: your password has not changed.

{{ la_name }}
{{ contact }}
";

const DEFAULT_PASSWORD_RESET_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Reset your password</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>Someone asked to reset the password of your {{ la_name }} EHC Hub account.</p>
<p><a href="{{ link }}" style="color: #1d70b8;">Choose a new password</a></p>
<p>Or copy this link into your browser: {{ link }}</p>
<p>The link works once, for {{ valid_for }}. After choosing a new password you sign in with it and your security code as usual.</p>
<p>If you did not ask for this, you can ignore this email: your password has not changed.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_PASSWORD_CHANGED_TEXT: &str = "\
The password of your {{ la_name }} EHC Hub account was changed, and every place where you were
signed in has been signed out.

If it was you, there is nothing more to do. Sign in:
{{ sign_in_link }}

If it was not you, reset your password now and contact us:
{{ reset_link }}

{{ la_name }}
{{ contact }}
";

const DEFAULT_PASSWORD_CHANGED_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Your password was changed</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>The password of your {{ la_name }} EHC Hub account was changed, and every place where you were signed in has been signed out.</p>
<p>If it was you, there is nothing more to do: <a href="{{ sign_in_link }}" style="color: #1d70b8;">sign in</a>.</p>
<p>If it was not you, <a href="{{ reset_link }}" style="color: #1d70b8;">reset your password</a> now and contact us.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_EMAIL_CHANGE_TEXT: &str = "\
Someone signed in to the {{ la_name }} EHC Hub asked to use this email address for their account.

If it was you, sign in to the hub with the address you use now, then confirm the new address
(the link works once, for {{ valid_for }}, while you are signed in):
{{ link }}

If it was not you, ignore this email: nothing changes unless the link is used.

{{ la_name }}
{{ contact }}
";

const DEFAULT_EMAIL_CHANGE_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Confirm your new email address</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>Someone signed in to the {{ la_name }} EHC Hub asked to use this email address for their account.</p>
<p>If it was you, sign in to the hub with the address you use now, then <a href="{{ link }}" style="color: #1d70b8;">confirm the new address</a>. The link works once, for {{ valid_for }}, while you are signed in.</p>
<p>If it was not you, ignore this email: nothing changes unless the link is used.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_ACCOUNT_CHANGED_TEXT: &str = "\
{{ what_changed }}

If it was you, there is nothing more to do. You can see your account here:
{{ account_link }}

{{ if_not_you }}

{{ la_name }}
{{ contact }}
";

const DEFAULT_ACCOUNT_CHANGED_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Your account was changed</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>{{ what_changed }}</p>
<p>If it was you, there is nothing more to do. You can see <a href="{{ account_link }}" style="color: #1d70b8;">your account</a>.</p>
<p>{{ if_not_you }}</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_SECOND_FACTOR_RESET_TEXT: &str = "\
The local authority has removed the way you get security codes for your {{ la_name }} EHC Hub
account (your authenticator app or phone number), and every place where you were signed in
has been signed out.

The next time you sign in, you will set up a new app or phone number:
{{ sign_in_link }}

If you did not ask for this, contact us.

{{ la_name }}
{{ contact }}
";

const DEFAULT_SECOND_FACTOR_RESET_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Set up a new way to get security codes</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>The local authority has removed the way you get security codes for your {{ la_name }} EHC Hub account (your authenticator app or phone number), and every place where you were signed in has been signed out.</p>
<p>The next time you <a href="{{ sign_in_link }}" style="color: #1d70b8;">sign in</a>, you will set up a new app or phone number.</p>
<p>If you did not ask for this, contact us.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_RECOVERY_CODE_USED_TEXT: &str = "\
One of your recovery codes was used instead of a security code to sign in to your
{{ la_name }} EHC Hub account. Each code works once: you have {{ left }} left.

If it was not you, reset your password now and contact us:
{{ reset_link }}

{{ la_name }}
{{ contact }}
";

const DEFAULT_RECOVERY_CODE_USED_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>A recovery code was used</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>One of your recovery codes was used instead of a security code to sign in to your {{ la_name }} EHC Hub account. Each code works once: you have {{ left }} left.</p>
<p>If it was not you, <a href="{{ reset_link }}" style="color: #1d70b8;">reset your password</a> now and contact us.</p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

const DEFAULT_ACCESS_GRANTED_TEXT: &str = "\
You have been given new access on the {{ la_name }} EHC Hub:
{{ roles }}

Sign in to see it:
{{ sign_in_link }}

{{ la_name }}
{{ contact }}
";

const DEFAULT_ACCESS_GRANTED_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>You have new access</title></head>
<body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<p>You have been given new access on the {{ la_name }} EHC Hub:</p>
{{ roles }}
<p><a href="{{ sign_in_link }}" style="color: #1d70b8;">Sign in to see it</a></p>
<hr>
<p>{{ la_name }}<br>
{{ contact }}</p>
</body>
</html>
"#;

/// A rendered e-mail. `Debug` hides the parts (an invitation holds the registration link).
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// One line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

impl fmt::Debug for RenderedEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderedEmail(<hidden>)")
    }
}

/// A rendered text message. `Debug` hides it (it holds the code).
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedText {
    /// The whole text.
    pub body: String,
}

impl fmt::Debug for RenderedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderedText(<hidden>)")
    }
}

/// A message rendered for the one channel its kind goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// An e-mail.
    Email(RenderedEmail),
    /// A text message.
    Text(RenderedText),
}

/// A template the LA wrote cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{ name }}` names no value this template has.
    #[error("template {template}: unknown placeholder {{{{ {name} }}}}")]
    UnknownPlaceholder {
        /// Which template, e.g. `invitation.html`.
        template: &'static str,
        /// The unknown name.
        name: String,
    },
    /// A `{{` without its `}}`.
    #[error("template {template}: a {{{{ is not closed by }}}}")]
    Unclosed {
        /// Which template.
        template: &'static str,
    },
    /// `base_url` is not an `http://` or `https://` address.
    #[error("base_url must start with https:// (or http:// for local use), not {0:?}")]
    BadBaseUrl(String),
}

impl MessageTemplates {
    /// Renders `content` with these templates.
    ///
    /// # Errors
    /// [`TemplateError`] when a template the LA wrote is broken (see [`Self::validate`]).
    pub fn render(&self, content: &MessageContent) -> Result<Rendered, TemplateError> {
        // One arm per kind of message. Case-update alerts must never hold a child's name or
        // other personal detail (`MessageContent::CaseUpdate` has none to give).
        match content {
            MessageContent::CaseUpdate {
                case_reference,
                update,
            } => {
                let (what_happened, asked) = describe_update(update);
                self.email(
                    &self.case_update,
                    [
                        "case_update.subject",
                        "case_update.text",
                        "case_update.html",
                    ],
                    &[
                        ("case_reference", Value::Plain(case_reference.clone())),
                        ("what_happened", Value::Plain(what_happened)),
                        ("asked", Value::Plain(asked)),
                        ("link", Value::Plain(format!("{}/cases", self.hub_url()))),
                    ],
                )
                .map(Rendered::Email)
            }
            MessageContent::CaseDigest { entries } => self
                .email(
                    &self.case_digest,
                    [
                        "case_digest.subject",
                        "case_digest.text",
                        "case_digest.html",
                    ],
                    &[
                        ("count", Value::Plain(entries.len().to_string())),
                        (
                            "updates",
                            Value::List(
                                entries
                                    .iter()
                                    .map(|e| {
                                        let (what, asked) = describe_update(&e.update);
                                        let line = format!("Case {}: {what}.", e.case_reference);
                                        if asked.is_empty() {
                                            line
                                        } else {
                                            format!("{line} {asked}")
                                        }
                                    })
                                    .collect(),
                            ),
                        ),
                        ("link", Value::Plain(format!("{}/cases", self.hub_url()))),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::Invitation { token, roles } => self
                .email(
                    &self.invitation,
                    ["invitation.subject", "invitation.text", "invitation.html"],
                    &[
                        ("link", Value::Plain(self.registration_link(token))),
                        ("roles", roles_value(roles)),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::AccessGranted { roles } => self
                .email(
                    &self.access_granted,
                    [
                        "access_granted.subject",
                        "access_granted.text",
                        "access_granted.html",
                    ],
                    &[
                        ("roles", roles_value(roles)),
                        (
                            "sign_in_link",
                            Value::Plain(format!("{}/sign-in", self.hub_url())),
                        ),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::PasswordResetLink {
                token,
                valid_for_minutes,
            } => self
                .email(
                    &self.password_reset,
                    [
                        "password_reset.subject",
                        "password_reset.text",
                        "password_reset.html",
                    ],
                    &[
                        ("link", Value::Plain(self.password_reset_link(token))),
                        (
                            "valid_for",
                            Value::Plain(describe_minutes(*valid_for_minutes)),
                        ),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::PasswordChanged => self
                .email(
                    &self.password_changed,
                    [
                        "password_changed.subject",
                        "password_changed.text",
                        "password_changed.html",
                    ],
                    &[
                        (
                            "sign_in_link",
                            Value::Plain(format!("{}/sign-in", self.hub_url())),
                        ),
                        (
                            "reset_link",
                            Value::Plain(format!("{}/reset-password", self.hub_url())),
                        ),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::RecoveryCodeUsed { left } => self
                .email(
                    &self.recovery_code_used,
                    [
                        "recovery_code_used.subject",
                        "recovery_code_used.text",
                        "recovery_code_used.html",
                    ],
                    &[
                        ("left", Value::Plain(left.to_string())),
                        (
                            "reset_link",
                            Value::Plain(format!("{}/reset-password", self.hub_url())),
                        ),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::SecondFactorReset => self
                .email(
                    &self.second_factor_reset,
                    [
                        "second_factor_reset.subject",
                        "second_factor_reset.text",
                        "second_factor_reset.html",
                    ],
                    &[(
                        "sign_in_link",
                        Value::Plain(format!("{}/sign-in", self.hub_url())),
                    )],
                )
                .map(Rendered::Email),
            MessageContent::EmailChangeLink {
                token,
                valid_for_minutes,
            } => self
                .email(
                    &self.email_change,
                    [
                        "email_change.subject",
                        "email_change.text",
                        "email_change.html",
                    ],
                    &[
                        ("link", Value::Plain(self.email_change_link(token))),
                        (
                            "valid_for",
                            Value::Plain(describe_minutes(*valid_for_minutes)),
                        ),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::AccountChanged { change } => self
                .email(
                    &self.account_changed,
                    [
                        "account_changed.subject",
                        "account_changed.text",
                        "account_changed.html",
                    ],
                    &[
                        ("what_changed", Value::Plain(describe_change(change))),
                        (
                            "account_link",
                            Value::Plain(format!("{}/account", self.hub_url())),
                        ),
                        ("if_not_you", Value::Plain(self.if_not_you(change))),
                    ],
                )
                .map(Rendered::Email),
            MessageContent::SignInCode { code } => {
                let mut body = self.fill_text(
                    &self.sign_in_code.body,
                    "sign_in_code.body",
                    &[("code", Value::Plain(code.expose().to_owned()))],
                )?;
                if self.sms_autofill {
                    body = format!(
                        "{}\n\n@{} #{}",
                        body.trim_end(),
                        self.hub_host(),
                        code.expose()
                    );
                }
                Ok(Rendered::Text(RenderedText { body }))
            }
        }
    }

    /// The *Complete your registration* link: `{hub_url}/register/{token}`.
    pub fn registration_link(&self, token: &InvitationToken) -> String {
        format!("{}/register/{}", self.hub_url(), token.to_link_param())
    }

    /// The *Choose a new password* link: `{hub_url}/reset-password/{token}`.
    pub fn password_reset_link(&self, token: &InvitationToken) -> String {
        format!(
            "{}/reset-password/{}",
            self.hub_url(),
            token.to_link_param()
        )
    }

    /// What to do about an account change the person did not make: reset the password; once
    /// the address has changed, a reset would go to the new address, so contact the LA.
    fn if_not_you(&self, change: &AccountChange) -> String {
        match change {
            AccountChange::EmailChanged { .. } => "If it was not you, contact us straight away: the account no longer uses this address, so a password reset asked for here would not reach you.".to_owned(),
            _ => format!(
                "If it was not you, reset your password now at {}/reset-password and contact us.",
                self.hub_url()
            ),
        }
    }

    /// The *Confirm your new email address* link: `{hub_url}/account/email/confirm/{token}`.
    pub fn email_change_link(&self, token: &InvitationToken) -> String {
        format!(
            "{}/account/email/confirm/{}",
            self.hub_url(),
            token.to_link_param()
        )
    }

    /// `base_url` without a trailing `/`.
    pub fn hub_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The host of `base_url` (no scheme, port or path), for the autofill line.
    pub fn hub_host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        if host_port.starts_with('[') {
            return host_port.split_inclusive(']').next().unwrap_or(host_port);
        }
        host_port.split(':').next().unwrap_or_default()
    }

    /// Renders every kind of message with sample values, so a broken template is found when the
    /// configuration is read rather than when a message is due.
    ///
    /// # Errors
    /// The first [`TemplateError`] found.
    pub fn validate(&self) -> Result<(), TemplateError> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://"))
            || self.hub_host().is_empty()
        {
            return Err(TemplateError::BadBaseUrl(self.base_url.clone()));
        }
        for content in sample_contents() {
            self.render(&content)?;
        }
        Ok(())
    }

    fn common(&self, own: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
        let mut vars = vec![
            ("la_name", Value::Plain(self.la_name.clone())),
            ("hub_url", Value::Plain(self.hub_url().to_owned())),
            ("contact", Value::Multiline(self.contact.clone())),
        ];
        vars.extend(own.iter().cloned());
        vars
    }

    fn email(
        &self,
        template: &EmailTemplate,
        names: [&'static str; 3],
        own: &[(&'static str, Value)],
    ) -> Result<RenderedEmail, TemplateError> {
        let vars = self.common(own);
        let [subject_name, text_name, html_name] = names;
        let subject = fill(&template.subject, subject_name, Mode::Line, &vars)?;
        Ok(RenderedEmail {
            subject: subject.trim().to_owned(),
            text: fill(&template.text, text_name, Mode::Text, &vars)?,
            html: fill(&template.html, html_name, Mode::Html, &vars)?,
        })
    }

    fn fill_text(
        &self,
        template: &str,
        name: &'static str,
        own: &[(&'static str, Value)],
    ) -> Result<String, TemplateError> {
        fill(template, name, Mode::Text, &self.common(own))
    }
}

/// A placeholder's value.
#[derive(Debug, Clone)]
enum Value {
    /// One piece of text.
    Plain(String),
    /// Text with line breaks kept (`<br>` in HTML).
    Multiline(String),
    /// A list: `* ` lines in text, `<ul>` in HTML.
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Html,
    Line,
}

/// What a case alert says happened, and what is asked of the person by when (empty if nothing).
fn describe_update(update: &CaseUpdate) -> (String, String) {
    match update {
        CaseUpdate::StageReached { stage } => (format!("stage reached: {stage}"), String::new()),
        CaseUpdate::DocumentAdded { kind } => (format!("document added: {kind}"), String::new()),
        CaseUpdate::RequestReceived => (
            "a request for an EHC needs assessment was sent with your email address".to_owned(),
            "The local authority will give your account access to the case once it has checked the request. If you did not send it, tell the local authority.".to_owned(),
        ),
        CaseUpdate::ActionRequested { action, by } => (
            format!("you are asked to: {action}"),
            format!("Please do this by {}.", long_date(*by)),
        ),
        CaseUpdate::Overdue { what, due } => (
            format!("overdue: {what}"),
            format!("It was due on {}.", long_date(*due)),
        ),
    }
}

fn roles_value(roles: &[Role]) -> Value {
    Value::List(roles.iter().map(Role::describe).collect())
}

fn render_value(value: &Value, mode: Mode) -> String {
    match (value, mode) {
        (Value::Plain(s) | Value::Multiline(s), Mode::Text) => s.clone(),
        (Value::Plain(s) | Value::Multiline(s), Mode::Line) => one_line(s),
        (Value::Plain(s), Mode::Html) => escape_html(s),
        (Value::Multiline(s), Mode::Html) => s
            .lines()
            .map(escape_html)
            .collect::<Vec<_>>()
            .join("<br>\n"),
        (Value::List(items), Mode::Text) => items
            .iter()
            .map(|i| format!("* {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
        (Value::List(items), Mode::Line) => one_line(&items.join(", ")),
        (Value::List(items), Mode::Html) => {
            let mut out = String::from("<ul>\n");
            for item in items {
                out.push_str("<li>");
                out.push_str(&escape_html(item));
                out.push_str("</li>\n");
            }
            out.push_str("</ul>");
            out
        }
    }
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Replaces each `{{ name }}` of `template` by its value in `vars`.
fn fill(
    template: &str,
    template_name: &'static str,
    mode: Mode,
    vars: &[(&'static str, Value)],
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed {
            template: template_name,
        })?;
        let name = after[..end].trim();
        let value = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| TemplateError::UnknownPlaceholder {
                template: template_name,
                name: name.to_owned(),
            })?;
        out.push_str(&render_value(value, mode));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if mode == Mode::Line {
        out = one_line(&out);
    }
    Ok(out)
}

/// Sample content of every kind, for [`MessageTemplates::validate`].
/// `30 November 2026`.
fn long_date(date: time::Date) -> String {
    format!("{} {} {}", date.day(), date.month(), date.year())
}

/// A duration of whole minutes in words: `1 hour`, `2 hours`, `30 minutes`,
/// `1 hour 30 minutes` (the reset e-mail's `valid_for`, and the page that promises it).
pub fn describe_minutes(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (minutes / 60, minutes % 60) {
        (0, m) => plural(m, "minute"),
        (h, 0) => plural(h, "hour"),
        (h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
    }
}

/// The sentence of an [`MessageContent::AccountChanged`] e-mail for `change`.
fn describe_change(change: &AccountChange) -> String {
    match change {
        AccountChange::Password => "The password of your account was changed.".to_owned(),
        AccountChange::SecondFactor { method: Method::App } => "Your account now gets security codes from a new authenticator app. Your old app or phone number, and your old recovery codes, no longer work.".to_owned(),
        AccountChange::SecondFactor { method: Method::Text } => "Your account now gets security codes by text message to a new number. Your old app or phone number, and your old recovery codes, no longer work.".to_owned(),
        AccountChange::EmailChangeRequested { to } => format!("Someone signed in to your account asked to change its email address to {to}. It changes only if the link we sent to that address is used while signed in to your account."),
        AccountChange::EmailChanged { to } => format!("The email address of your account was changed to {to}. We will send emails there from now on, and you sign in with it."),
    }
}

fn sample_contents() -> Vec<MessageContent> {
    struct Zeros;
    impl SecretSource for Zeros {
        fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
            dest.fill(0);
            Ok(())
        }
    }
    let mut contents = vec![
        MessageContent::PasswordChanged,
        MessageContent::SecondFactorReset,
        MessageContent::RecoveryCodeUsed { left: 9 },
        MessageContent::AccountChanged {
            change: AccountChange::EmailChanged {
                to: "new@example.org".to_owned(),
            },
        },
        MessageContent::AccessGranted {
            roles: vec![Role::LaOfficer],
        },
        MessageContent::CaseUpdate {
            case_reference: "EHC-2026-0001".to_owned(),
            update: CaseUpdate::ActionRequested {
                action: "Give your views on the draft plan".to_owned(),
                by: time::Date::MIN,
            },
        },
        MessageContent::CaseDigest {
            entries: vec![crate::outbox::DigestEntry {
                case_reference: "EHC-2026-0001".to_owned(),
                update: CaseUpdate::StageReached {
                    stage: "Draft EHC plan issued".to_owned(),
                },
                at: time::OffsetDateTime::UNIX_EPOCH,
            }],
        },
    ];
    if let Ok(token) = InvitationToken::generate(&Zeros) {
        contents.push(MessageContent::PasswordResetLink {
            token: token.clone(),
            valid_for_minutes: 60,
        });
        contents.push(MessageContent::EmailChangeLink {
            token: token.clone(),
            valid_for_minutes: 60,
        });
        contents.push(MessageContent::Invitation {
            token,
            roles: vec![Role::LaOfficer],
        });
    }
    if let Ok(code) = SmsCode::generate(&Zeros) {
        contents.push(MessageContent::SignInCode { code });
    }
    contents
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Urn;

    #[test]
    fn a_digest_lists_each_alert_with_its_case_reference_and_what_is_asked_by_when() {
        let templates = MessageTemplates {
            la_name: "Anytown Council".into(),
            base_url: "https://ehc.anytown.gov.uk".into(),
            ..MessageTemplates::default()
        };
        let content = MessageContent::CaseDigest {
            entries: vec![
                crate::outbox::DigestEntry {
                    case_reference: "EHC-2026-0042".to_owned(),
                    update: CaseUpdate::StageReached {
                        stage: "Assessment".to_owned(),
                    },
                    at: time::OffsetDateTime::UNIX_EPOCH,
                },
                crate::outbox::DigestEntry {
                    case_reference: "EHC-2026-0043".to_owned(),
                    update: CaseUpdate::ActionRequested {
                        action: "Give your views on the draft plan".to_owned(),
                        by: time::macros::date!(2026 - 12 - 15),
                    },
                    at: time::OffsetDateTime::UNIX_EPOCH,
                },
            ],
        };
        let Ok(Rendered::Email(email)) = templates.render(&content) else {
            panic!("a digest is an e-mail");
        };
        assert_eq!(
            email.subject,
            "Your daily summary from the Anytown Council EHC Hub: 2 updates"
        );
        assert!(
            email
                .text
                .contains("* Case EHC-2026-0042: stage reached: Assessment.")
        );
        assert!(email.text.contains(
            "* Case EHC-2026-0043: you are asked to: Give your views on the draft plan. Please do this by 15 December 2026."
        ));
        assert!(email.text.contains("https://ehc.anytown.gov.uk/cases"));
        assert!(
            email
                .html
                .contains("<li>Case EHC-2026-0042: stage reached: Assessment.</li>")
        );
    }

    #[test]
    fn the_reset_email_holds_its_link_and_the_recovery_emails_after_it_hold_no_token() {
        let templates = MessageTemplates {
            base_url: "https://ehc.anytown.gov.uk/".into(),
            ..MessageTemplates::default()
        };
        let token =
            InvitationToken::generate(&crate::test_support::SeededSecretSource::new(5)).unwrap();
        let secret = token.to_link_param();
        let Rendered::Email(reset) = templates
            .render(&MessageContent::PasswordResetLink {
                token,
                valid_for_minutes: 90,
            })
            .unwrap()
        else {
            panic!("an e-mail")
        };
        let link = format!("https://ehc.anytown.gov.uk/reset-password/{secret}");
        for part in [&reset.text, &reset.html] {
            assert!(part.contains(&link), "{part}");
            assert!(part.contains("for 1 hour 30 minutes"), "{part}");
            assert_eq!(part.matches(&secret).count(), part.matches(&link).count());
        }
        assert!(!reset.subject.contains(&secret));
        for content in [
            MessageContent::PasswordChanged,
            MessageContent::SecondFactorReset,
        ] {
            let Rendered::Email(email) = templates.render(&content).unwrap() else {
                panic!("an e-mail")
            };
            assert!(email.text.contains("https://ehc.anytown.gov.uk/"));
            assert!(!email.text.contains(&secret));
        }
        assert_eq!(describe_minutes(60), "1 hour");
        assert_eq!(describe_minutes(1), "1 minute");
        assert_eq!(describe_minutes(120), "2 hours");
    }

    #[test]
    fn a_case_alert_says_what_happened_what_is_asked_and_by_when_with_the_reference_and_a_link() {
        let templates = MessageTemplates {
            la_name: "Anytown Council".into(),
            base_url: "https://ehc.anytown.gov.uk/".into(),
            contact: "SEND team: 01632 960000".into(),
            ..MessageTemplates::default()
        };
        let content = MessageContent::CaseUpdate {
            case_reference: "EHC-2026-0042".into(),
            update: CaseUpdate::ActionRequested {
                action: "Give your views on the draft plan".into(),
                by: time::macros::date!(2026 - 12 - 14),
            },
        };
        let Rendered::Email(email) = templates.render(&content).unwrap() else {
            panic!("an e-mail")
        };
        assert_eq!(
            email.subject,
            "Case EHC-2026-0042: you are asked to: Give your views on the draft plan"
        );
        for part in [&email.text, &email.html] {
            assert!(
                part.contains("Please do this by 14 December 2026."),
                "{part}"
            );
            assert!(part.contains("https://ehc.anytown.gov.uk/cases"), "{part}");
            assert!(
                part.contains("does not include any personal details"),
                "{part}"
            );
        }
        let stage = MessageContent::CaseUpdate {
            case_reference: "EHC-2026-0042".into(),
            update: CaseUpdate::StageReached {
                stage: "Draft EHC plan issued".into(),
            },
        };
        let Rendered::Email(email) = templates.render(&stage).unwrap() else {
            panic!("an e-mail")
        };
        assert!(email.text.contains("stage reached: Draft EHC plan issued."));
        let overdue = MessageContent::CaseUpdate {
            case_reference: "EHC-2026-0042".into(),
            update: CaseUpdate::Overdue {
                what: "advice from Educational psychologist".into(),
                due: time::macros::date!(2027 - 01 - 11),
            },
        };
        let Rendered::Email(email) = templates.render(&overdue).unwrap() else {
            panic!("an e-mail")
        };
        assert_eq!(
            email.subject,
            "Case EHC-2026-0042: overdue: advice from Educational psychologist"
        );
        assert!(
            email.text.contains("It was due on 11 January 2027."),
            "{}",
            email.text
        );
    }

    fn token() -> InvitationToken {
        InvitationToken::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap()
    }

    fn templates() -> MessageTemplates {
        MessageTemplates {
            la_name: "Cyngor Sir Ynys Môn".into(),
            base_url: "https://ehc.example.gov.uk/".into(),
            contact: "SEND team <send@example.gov.uk>\n01234 567890".into(),
            ..Default::default()
        }
    }

    fn email(r: Rendered) -> RenderedEmail {
        match r {
            Rendered::Email(e) => e,
            Rendered::Text(_) => panic!("expected an e-mail"),
        }
    }

    fn text(r: Rendered) -> RenderedText {
        match r {
            Rendered::Text(t) => t,
            Rendered::Email(_) => panic!("expected a text"),
        }
    }

    #[test]
    fn an_account_change_says_what_to_do_if_it_was_not_the_person() {
        let t = templates();
        let password = email(
            t.render(&MessageContent::AccountChanged {
                change: AccountChange::Password,
            })
            .unwrap(),
        );
        assert!(
            password
                .text
                .contains("The password of your account was changed.")
        );
        assert!(
            password
                .text
                .contains("reset your password now at https://ehc.example.gov.uk/reset-password")
        );
        // Once the address changed, a reset from the old one cannot work: contact the LA.
        let moved = email(
            t.render(&MessageContent::AccountChanged {
                change: AccountChange::EmailChanged {
                    to: "new@example.org".to_owned(),
                },
            })
            .unwrap(),
        );
        assert!(moved.text.contains("changed to new@example.org"));
        assert!(moved.text.contains("contact us straight away"));
        assert!(!moved.text.contains("/reset-password") && !moved.html.contains("/reset-password"));
        assert!(
            moved
                .html
                .contains("href=\"https://ehc.example.gov.uk/account\"")
        );
    }

    #[test]
    fn the_default_templates_are_valid() {
        MessageTemplates::default().validate().unwrap();
        templates().validate().unwrap();
    }

    #[test]
    fn an_invitation_carries_the_registration_link_and_the_contact_details_at_the_bottom() {
        let t = templates();
        let sendco = Role::Sendco {
            setting: Urn::parse("100001").unwrap(),
        };
        let e = email(
            t.render(&MessageContent::Invitation {
                token: token(),
                roles: vec![sendco],
            })
            .unwrap(),
        );
        let link =
            "https://ehc.example.gov.uk/register/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        assert_eq!(
            e.subject,
            "Complete your registration for the Cyngor Sir Ynys Môn EHC Hub"
        );
        assert!(
            e.text
                .contains(&format!("Complete your registration:\n{link}\n"))
        );
        assert!(e.text.contains("* SENDCo for education setting 100001"));
        assert!(
            e.text
                .trim_end()
                .ends_with("SEND team <send@example.gov.uk>\n01234 567890")
        );
        assert!(e.html.contains(&format!("<a href=\"{link}\"")));
        assert!(
            e.html
                .contains("<li>SENDCo for education setting 100001</li>")
        );
        assert!(
            e.html
                .contains("SEND team &lt;send@example.gov.uk&gt;<br>\n01234 567890")
        );
    }

    #[test]
    fn values_are_escaped_in_html_but_not_in_text() {
        let t = MessageTemplates {
            la_name: "Tom & Jerry <Council>".into(),
            ..templates()
        };
        let e = email(
            t.render(&MessageContent::AccessGranted {
                roles: vec![Role::LaOfficer],
            })
            .unwrap(),
        );
        assert!(e.html.contains("Tom &amp; Jerry &lt;Council&gt;"));
        assert!(!e.html.contains("<Council>"));
        assert!(e.text.contains("Tom & Jerry <Council>"));
        assert!(
            e.html
                .contains("href=\"https://ehc.example.gov.uk/sign-in\"")
        );
    }

    #[test]
    fn a_sign_in_code_text_names_the_la_and_can_end_with_the_autofill_line() {
        let code = SmsCode::generate(&crate::test_support::SeededSecretSource::new(1)).unwrap();
        let digits = code.expose().to_owned();
        let plain = text(
            templates()
                .render(&MessageContent::SignInCode { code: code.clone() })
                .unwrap(),
        );
        assert_eq!(
            plain.body,
            format!("{digits} is your Cyngor Sir Ynys Môn EHC Hub security code")
        );
        let autofill = MessageTemplates {
            sms_autofill: true,
            base_url: "https://ehc.example.gov.uk:8443/hub".into(),
            ..templates()
        };
        let with_line = text(
            autofill
                .render(&MessageContent::SignInCode { code })
                .unwrap(),
        );
        assert_eq!(
            with_line.body,
            format!(
                "{digits} is your Cyngor Sir Ynys Môn EHC Hub security code\n\n@ehc.example.gov.uk #{digits}"
            )
        );
    }

    #[test]
    fn an_unknown_placeholder_or_an_unclosed_brace_is_found_by_validate() {
        let mut t = templates();
        t.sign_in_code.body = "{{ code }} for {{ child_name }}".into();
        assert_eq!(
            t.validate(),
            Err(TemplateError::UnknownPlaceholder {
                template: "sign_in_code.body",
                name: "child_name".into()
            })
        );
        let mut t = templates();
        t.invitation.html = "<p>{{ link </p>".into();
        assert_eq!(
            t.validate(),
            Err(TemplateError::Unclosed {
                template: "invitation.html"
            })
        );
        let t = MessageTemplates {
            base_url: "ehc.example.gov.uk".into(),
            ..templates()
        };
        assert!(matches!(t.validate(), Err(TemplateError::BadBaseUrl(_))));
    }

    #[test]
    fn a_subject_stays_on_one_line() {
        let mut t = templates();
        t.access_granted.subject = "New access\r\nBcc: someone@example.com {{ contact }}".into();
        let e = email(
            t.render(&MessageContent::AccessGranted { roles: vec![] })
                .unwrap(),
        );
        assert!(!e.subject.contains('\n') && !e.subject.contains('\r'));
    }

    #[test]
    fn an_la_override_keeps_the_other_defaults() {
        let t = MessageTemplates {
            sign_in_code: TextTemplate {
                body: "Your code: {{ code }}".into(),
            },
            ..templates()
        };
        assert_eq!(t.invitation, MessageTemplates::default().invitation);
        t.validate().unwrap();
    }

    #[test]
    fn debug_output_hides_rendered_messages() {
        let r = templates()
            .render(&MessageContent::Invitation {
                token: token(),
                roles: vec![],
            })
            .unwrap();
        assert!(!format!("{r:?}").contains("register"));
    }
}
