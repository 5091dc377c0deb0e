//! The case pages: the work trays, the case page and the LA's back office. Every handler
//! checks the sign-in first, then calls [`ehc_core::case::CaseService`], which checks the
//! person's grants: a case the person may not see is the 404 page, exactly like a case that
//! does not exist.

mod advice;
mod back_office;
mod case_page;
mod date_input;
#[cfg(feature = "fuzzing")]
pub(crate) use date_input::DateFields;
mod documents;
mod download;
mod meetings;
mod plan;
mod request;
mod tray;
mod upload;
mod views;

pub(crate) use request::send_routes as request_send_routes;
pub(crate) use request::upload_routes as request_upload_routes;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use ehc_core::account::AccountId;
use ehc_core::case::{CaseId, CaseServiceError};
use ehc_core::ports::StoreError;

use crate::AppState;
use crate::pages::{PageError, PageResult, page_for, see_other};
use crate::session::HubSession;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(tray::my_cases))
        .route("/setting-cases", get(tray::setting_cases))
        .route(
            "/cases/new",
            get(back_office::new_case_page).post(back_office::new_case_submit),
        )
        .route("/cases/{id}", get(case_page::case_page))
        .route(
            "/cases/{id}/record/{kind}",
            get(back_office::record_page).post(back_office::record_submit),
        )
        .route("/cases/{id}/settings", post(back_office::settings_submit))
        .route("/cases/{id}/officer", post(back_office::officer_submit))
        .route("/cases/{id}/people", post(back_office::invite_submit))
        .route("/cases/{id}/family", post(back_office::family_submit))
        .route("/cases/{id}/withdraw", post(back_office::withdraw_submit))
        .merge(documents::routes())
        .route(
            "/people",
            get(back_office::people_page).post(back_office::people_submit),
        )
        .route("/grants/{id}/revoke", post(back_office::revoke_submit))
        .route(
            "/cases/{id}/views/{space}",
            get(views::views_page).post(views::views_submit),
        )
        .merge(request::routes())
        .merge(plan::routes())
        .merge(meetings::routes())
        .merge(download::routes())
        .merge(advice::routes())
}

pub(crate) use documents::upload_routes;

/// The signed-in person, or the redirect to where their sign-in stands.
pub(crate) async fn signed_in(
    app: &AppState,
    session: &HubSession,
) -> Result<Result<AccountId, Response>, PageError> {
    let state = app.current(session).await?;
    Ok(match state.signed_in_account() {
        Some(account) => Ok(account),
        None => Err(see_other(page_for(&state))),
    })
}

/// The case id of a page address; `None` (answered with 404) for anything else.
fn case_id(raw: &str) -> Option<CaseId> {
    CaseId::parse(raw)
}

/// A form page: 200, or 422 when it shows errors (the GOV.UK error summary).
pub(crate) fn form_response(page: &impl askama::Template, has_errors: bool) -> PageResult {
    let mut response = crate::pages::html(page)?;
    if has_errors {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The GOV.UK tag colour of a date's status (`DeadlineStatus::key`); the words say it too.
fn status_tag(key: &str) -> &'static str {
    match key {
        "overdue" => "govuk-tag--red",
        "due-soon" => "govuk-tag--yellow",
        "met" => "govuk-tag--green",
        _ => "govuk-tag--grey",
    }
}

/// The page for a refusal or fault of the case service that is not a form error.
async fn refused(app: &AppState, e: CaseServiceError) -> PageResult {
    match e {
        CaseServiceError::NotFound => crate::pages::not_found(axum::extract::State(app.clone())).await,
        CaseServiceError::NotAllowed => {
            app.message(
                StatusCode::FORBIDDEN,
                "You do not have permission to do this",
                &["Only the local authority's officers can change cases and people's access. Nothing was changed."],
                Some(("/cases", "Go to your cases")),
            )
            .await
        }
        CaseServiceError::Store(StoreError::Conflict { .. }) => {
            app.message(
                StatusCode::CONFLICT,
                "Someone else changed this case",
                &["Someone changed the case while you were working on it, or the form was sent twice, so nothing you entered was saved. Go back to the case, check what changed and try again."],
                Some(("/cases", "Go to your cases")),
            )
            .await
        }
        CaseServiceError::Store(s) => Err(s.into()),
        other => Err(PageError::Internal(other.to_string())),
    }
}

impl AppState {
    pub(crate) fn cases(&self) -> &ehc_core::case::CaseService<crate::DynStore, crate::DynSecrets> {
        &self.inner.cases
    }

    pub(crate) fn digests(
        &self,
    ) -> &ehc_core::alert::DigestService<crate::DynStore, crate::DynSecrets> {
        &self.inner.digests
    }

    pub(crate) fn guidance(&self) -> &ehc_core::case::guidance::StageGuidance {
        &self.inner.web.guidance
    }

    /// The active grants of `account` (advocacy included) allow `action`.
    pub(crate) async fn may(
        &self,
        account: AccountId,
        action: &ehc_core::role::Action,
    ) -> Result<bool, PageError> {
        let now = self.now();
        let grants = self.grants_of(account).await?;
        Ok(ehc_core::role::authorize(&grants, action, now))
    }

    /// Every grant of `account`, active or not.
    pub(crate) async fn grants_of(
        &self,
        account: AccountId,
    ) -> Result<Vec<ehc_core::role::RoleGrant>, PageError> {
        let mut tx = self.inner.store.begin().await?;
        let grants = tx.grants().for_account(account).await?;
        tx.commit().await?;
        Ok(grants)
    }

    /// The account registered with `email`, if any.
    pub(crate) async fn account_by_email(
        &self,
        email: &ehc_core::account::EmailAddress,
    ) -> Result<Option<AccountId>, PageError> {
        let mut tx = self.inner.store.begin().await?;
        let found = tx.accounts().find_by_email(email).await?.map(|a| a.id);
        tx.commit().await?;
        Ok(found)
    }

    /// The message for URNs that are not education settings known to the hub ("" when all are).
    pub(crate) async fn unknown_settings(
        &self,
        urns: &[ehc_core::role::Urn],
    ) -> Result<String, PageError> {
        let mut tx = self.inner.store.begin().await?;
        let known = tx.settings().get_many(urns).await?;
        tx.commit().await?;
        let unknown: Vec<String> = urns
            .iter()
            .filter(|u| !known.iter().any(|s| s.urn == **u))
            .map(ToString::to_string)
            .collect();
        Ok(if unknown.is_empty() {
            String::new()
        } else {
            format!(
                "No education setting has the URN {}: check the number, or import the settings from Get Information about Schools",
                unknown.join(", ")
            )
        })
    }

    /// Each URN with its setting's name when the hub knows it: "100001 Anytown Primary School".
    pub(crate) async fn setting_names(
        &self,
        urns: &[ehc_core::role::Urn],
    ) -> Result<Vec<String>, PageError> {
        let mut tx = self.inner.store.begin().await?;
        let known = tx.settings().get_many(urns).await?;
        tx.commit().await?;
        Ok(urns
            .iter()
            .map(|u| match known.iter().find(|s| s.urn == *u) {
                Some(s) => format!("{u} {}", s.name),
                None => u.to_string(),
            })
            .collect())
    }

    /// A role in words that say what it reaches: the case's LA reference (never the child's
    /// name), the setting, or the person an advocate acts for.
    pub(crate) async fn role_in_words(
        &self,
        role: &ehc_core::role::Role,
    ) -> Result<String, PageError> {
        use ehc_core::role::Role;
        let mut tx = self.inner.store.begin().await?;
        let words = match role {
            Role::ParentCarer { case }
            | Role::YoungPerson { case }
            | Role::Contributor { case } => {
                let reference = tx.cases().get(*case).await?.map_or_else(
                    || "a case".to_owned(),
                    |c| format!("case {}", c.case.la_reference),
                );
                format!("{} on {reference}", role.describe())
            }
            Role::Advocate { for_person } => {
                let email = tx
                    .accounts()
                    .get(*for_person)
                    .await?
                    .map_or_else(String::new, |a| a.email.to_string());
                format!("Advocate for {email}")
            }
            Role::LaOfficer | Role::Sendco { .. } => role.describe(),
        };
        tx.commit().await?;
        Ok(words)
    }

    /// Invites `email` with `role` (or grants it to their account).
    pub(crate) async fn invite(
        &self,
        by: ehc_core::role::Grantor,
        email: &str,
        role: ehc_core::role::Role,
        origin: Option<std::net::IpAddr>,
    ) -> Result<ehc_core::invitation::InviteOutcome, ehc_core::invitation::InviteError> {
        self.inner
            .invitations
            .invite(by, email, vec![role], self.now(), origin)
            .await
    }

    /// Grants `role` to `account`.
    pub(crate) async fn grant(
        &self,
        by: ehc_core::role::Grantor,
        account: AccountId,
        role: ehc_core::role::Role,
        expires_at: Option<time::OffsetDateTime>,
        now: time::OffsetDateTime,
        origin: Option<std::net::IpAddr>,
    ) -> Result<ehc_core::role::GrantId, ehc_core::role::GrantError> {
        self.inner
            .grants
            .grant(by, account, role, expires_at, now, origin)
            .await
    }

    /// Revokes `grant` of `holder`.
    pub(crate) async fn revoke(
        &self,
        by: ehc_core::role::Grantor,
        holder: AccountId,
        grant: ehc_core::role::GrantId,
        now: time::OffsetDateTime,
        origin: Option<std::net::IpAddr>,
    ) -> Result<(), ehc_core::role::GrantError> {
        self.inner
            .grants
            .revoke(by, holder, grant, now, origin)
            .await
    }
}
