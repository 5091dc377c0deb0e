//! The LA's back office: create a case from a request received by post, phone, e-mail or
//! online (with the day it was received: every statutory clock starts then), record each event
//! and exception, link settings, assign the case officer, invite people to the case, and give
//! or take away people's roles (SENDCo for a setting, advocate for a family member).
//!
//! Each form that fails shows itself again with the GOV.UK error summary and changes nothing.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use ehc_core::account::{AccountId, EmailAddress};
use ehc_core::case::{
    CaseError, CaseRole, CaseServiceError, EventKind, EventNumber, ExceptionKind, LaReference,
    NewCase, PhaseTransfer, ReceivedBy, ReviewOutcome, Withdrawal, name_part,
};
use ehc_core::invitation::{InviteError, InviteOutcome};
use ehc_core::role::{Action, GrantError, GrantId, Grantor, Role, Urn};

use super::case_page::{RECORD_KINDS, render};
use super::date_input::DateFields;
use crate::AppState;
use crate::client::Origin;
use crate::form::{CheckedForm, Fields};
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::{london, london_today};

fn error(field: &'static str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.into(),
    }]
}

/// The field a [`CaseError`] belongs to on the form of `kind`.
fn case_error_field(e: &CaseError, date_field: &'static str) -> &'static str {
    match e {
        CaseError::Missing("the LA reference") | CaseError::BadReference => "la_reference",
        CaseError::TooLong {
            what: "The LA reference",
            ..
        } => "la_reference",
        CaseError::Missing("the child's first name")
        | CaseError::TooLong {
            what: "The first name",
            ..
        } => "given_name",
        CaseError::Missing("the child's last name")
        | CaseError::TooLong {
            what: "The last name",
            ..
        } => "family_name",
        CaseError::InFuture("The date of birth") | CaseError::TooOld => "dob-day",
        CaseError::Missing("the reason")
        | CaseError::TooLong {
            what: "The reason", ..
        } => "reason",
        CaseError::Missing("who the advice is from")
        | CaseError::TooLong {
            what: "Who the advice is from",
            ..
        } => "from",
        CaseError::Missing("the previous local authority")
        | CaseError::TooLong {
            what: "The previous local authority",
            ..
        } => "from_la",
        CaseError::OutOfOrder(m) if m.starts_with("The year of transfer") => "year",
        CaseError::OutOfOrder(m) if m.starts_with("The meeting date") => "meeting-day",
        CaseError::OutOfOrder(m) if m.starts_with("The last day") => "to-day",
        CaseError::NoSuchAdviceRequest => "request",
        CaseError::TooEarly {
            what: "The meeting date",
            ..
        } => "meeting-day",
        CaseError::TooEarly {
            what: "The end date",
            ..
        } => "to-day",
        _ => date_field,
    }
}

// ---- create a case ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "case_new.html")]
pub(crate) struct NewCasePage {
    layout: Layout,
    errors: Vec<FieldError>,
    la_reference: String,
    given_name: String,
    family_name: String,
    dob: DateFields,
    received: DateFields,
    received_by: String,
    settings: String,
    ways: Vec<(&'static str, &'static str)>,
}

impl NewCasePage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

async fn new_case_form(
    app: &AppState,
    session: &HubSession,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
) -> PageResult {
    let get = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let page = NewCasePage {
        layout: app.layout(session, "Create a case", true).await?,
        errors,
        la_reference: get("la_reference"),
        given_name: get("given_name"),
        family_name: get("family_name"),
        dob: form.map(|f| DateFields::read(f, "dob")).unwrap_or_default(),
        received: form
            .map(|f| DateFields::read(f, "received"))
            .unwrap_or_default(),
        received_by: get("received_by"),
        settings: get("settings"),
        ways: ReceivedBy::ALL
            .iter()
            .map(|w| (w.as_str(), w.describe()))
            .collect(),
    };
    super::form_response(&page, !page.errors.is_empty())
}

pub(crate) async fn new_case_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    if !app.may(account, &Action::CreateCase).await? {
        return super::refused(&app, CaseServiceError::NotAllowed).await;
    }
    new_case_form(&app, &session, None, Vec::new()).await
}

/// Reads a list of URNs separated by commas, spaces or new lines.
fn urns(text: &str) -> Result<Vec<Urn>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| Urn::parse(s).map_err(|e| format!("{e} (not {s:?})")))
        .collect()
}

pub(crate) async fn new_case_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    if !app.may(account, &Action::CreateCase).await? {
        return super::refused(&app, CaseServiceError::NotAllowed).await;
    }
    // Every field's own error at once (GOV.UK: the error summary lists them all); the rules
    // between fields (dates against each other, a reference already used) follow in the service.
    let mut errors = Vec::new();
    for (field, check) in [
        (
            "la_reference",
            LaReference::parse(form.get("la_reference")).err(),
        ),
        (
            "given_name",
            name_part(
                form.get("given_name"),
                "The first name",
                "the child's first name",
            )
            .err(),
        ),
        (
            "family_name",
            name_part(
                form.get("family_name"),
                "The last name",
                "the child's last name",
            )
            .err(),
        ),
    ] {
        if let Some(e) = check {
            errors.push(FieldError {
                field,
                message: e.to_string(),
            });
        }
    }
    let dob = DateFields::read(&form, "dob").date("the date of birth");
    let received = DateFields::read(&form, "received").date("the date the request was received");
    let received_by = ReceivedBy::parse(form.get("received_by"));
    let settings = urns(form.get("settings"));
    if let Err(m) = &dob {
        errors.push(FieldError {
            field: "dob-day",
            message: m.clone(),
        });
    }
    if let Err(m) = &received {
        errors.push(FieldError {
            field: "received-day",
            message: m.clone(),
        });
    }
    if received_by.is_none() {
        errors.push(FieldError {
            field: "received_by",
            message: "Select how the request was received".into(),
        });
    }
    if let Err(m) = &settings {
        errors.push(FieldError {
            field: "settings",
            message: m.clone(),
        });
    }
    let (Ok(dob), Ok(received), Some(received_by), Ok(settings), true) =
        (dob, received, received_by, settings, errors.is_empty())
    else {
        return new_case_form(&app, &session, Some(&form), errors).await;
    };
    let unknown = app.unknown_settings(&settings).await?;
    if !unknown.is_empty() {
        return new_case_form(&app, &session, Some(&form), error("settings", unknown)).await;
    }
    let now = app.now();
    let new = NewCase {
        la_reference: form.get("la_reference").to_owned(),
        given_name: form.get("given_name").to_owned(),
        family_name: form.get("family_name").to_owned(),
        date_of_birth: dob,
        received_on: received,
        received_by,
        settings,
    };
    match app
        .cases()
        .create(account, new, now, london_today(now), origin)
        .await
    {
        Ok(id) => Ok(see_other(&format!("/cases/{id}"))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = case_error_field(&e, "received-day");
            new_case_form(&app, &session, Some(&form), error(field, e.to_string())).await
        }
        Err(CaseServiceError::ReferenceTaken) => {
            new_case_form(
                &app,
                &session,
                Some(&form),
                error(
                    "la_reference",
                    "A case with this LA reference already exists",
                ),
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

// ---- record an event or an exception -----------------------------------------------------------

#[derive(Template)]
#[template(path = "record.html")]
pub(crate) struct RecordPage {
    layout: Layout,
    errors: Vec<FieldError>,
    case_link: String,
    kind: &'static str,
    heading: &'static str,
    version: i64,
    on: DateFields,
    fields: RecordFields,
    advice_requests: Vec<(String, String)>,
    outcomes: Vec<(&'static str, &'static str)>,
    exception_kinds: Vec<(&'static str, &'static str)>,
}

impl RecordPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// The other fields of the record forms, as entered.
#[derive(Default)]
pub(crate) struct RecordFields {
    assess: String,
    from: String,
    contributor: String,
    request: String,
    meeting: DateFields,
    outcome: String,
    transfer: String,
    year: String,
    moves: DateFields,
    from_la: String,
    exception: String,
    to: DateFields,
    reason: String,
}

impl RecordFields {
    fn read(form: &Fields) -> Self {
        let get = |n: &str| form.get(n).to_owned();
        Self {
            assess: get("assess"),
            from: get("from"),
            contributor: get("contributor"),
            request: get("request"),
            meeting: DateFields::read(form, "meeting"),
            outcome: get("outcome"),
            transfer: get("transfer"),
            year: get("year"),
            moves: DateFields::read(form, "moves"),
            from_la: get("from_la"),
            exception: get("exception"),
            to: DateFields::read(form, "to"),
            reason: get("reason"),
        }
    }
}

async fn record_form(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    raw_id: &str,
    kind: &str,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
) -> PageResult {
    let Some((kind, heading)) = RECORD_KINDS.iter().find(|(k, _)| *k == kind).copied() else {
        return crate::pages::not_found(State(app.clone())).await;
    };
    let Some(id) = super::case_id(raw_id) else {
        return crate::pages::not_found(State(app.clone())).await;
    };
    let view = match app.cases().view(account, id, app.now(), None).await {
        Ok(v) if v.access.la => v,
        Ok(_) => return super::refused(app, CaseServiceError::NotAllowed).await,
        Err(e) => return super::refused(app, e).await,
    };
    let answered: Vec<EventNumber> = view
        .case
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AdviceReceived { request } => Some(request),
            _ => None,
        })
        .collect();
    let advice_requests = view
        .case
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::AdviceRequested { .. }) && !answered.contains(&e.number)
        })
        .map(|e| {
            (
                e.number.0.to_string(),
                format!(
                    "{} ({})",
                    e.kind.describe(),
                    ehc_core::case::deadline::long_date(e.on)
                ),
            )
        })
        .collect();
    let page = RecordPage {
        layout: app.layout(session, heading, true).await?,
        errors,
        case_link: format!("/cases/{id}"),
        kind,
        heading,
        version: form
            .and_then(|f| f.get("version").parse().ok())
            .unwrap_or(view.version),
        // The exception form's first date is `from`; every other form's date is `on`.
        on: form
            .map(|f| DateFields::read(f, if kind == "exception" { "from" } else { "on" }))
            .unwrap_or_default(),
        fields: form.map(RecordFields::read).unwrap_or_default(),
        advice_requests,
        outcomes: ReviewOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.describe()))
            .collect(),
        exception_kinds: ExceptionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.describe()))
            .collect(),
    };
    super::form_response(&page, !page.errors.is_empty())
}

pub(crate) async fn record_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path((raw_id, kind)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    record_form(&app, &session, account, &raw_id, &kind, None, Vec::new()).await
}

/// The event a record form describes, or the form's error.
async fn event_of(app: &AppState, kind: &str, form: &Fields) -> Result<EventKind, Vec<FieldError>> {
    Ok(match kind {
        "decision-to-assess" => match form.get("assess") {
            "yes" => EventKind::DecisionToAssess { assess: true },
            "no" => EventKind::DecisionToAssess { assess: false },
            _ => {
                return Err(error(
                    "assess",
                    "Select whether the local authority will carry out an assessment",
                ));
            }
        },
        "advice-requested" => {
            let email = form.get("contributor").trim();
            let contributor = if email.is_empty() {
                None
            } else {
                let address =
                    EmailAddress::parse(email).map_err(|e| error("contributor", e.to_string()))?;
                match app.account_by_email(&address).await {
                    Ok(Some(a)) => Some(a),
                    Ok(None) => {
                        return Err(error(
                            "contributor",
                            "Nobody has registered with this email address. Invite them to the case as a contributor first, or leave this empty",
                        ));
                    }
                    Err(_) => {
                        return Err(error(
                            "contributor",
                            "The service is unavailable: try again later",
                        ));
                    }
                }
            };
            EventKind::AdviceRequested {
                from: form.get("from").to_owned(),
                contributor,
            }
        }
        "advice-received" => match form.get("request").parse::<u32>() {
            Ok(n) => EventKind::AdviceReceived {
                request: EventNumber(n),
            },
            Err(_) => {
                return Err(error(
                    "request",
                    "Select the advice request that was answered",
                ));
            }
        },
        "draft-plan-served" => EventKind::DraftPlanServed,
        "final-plan-issued" => EventKind::FinalPlanIssued,
        "decision-not-to-issue" => EventKind::DecisionNotToIssue,
        "review-meeting-scheduled" => {
            let meeting_on = DateFields::read(form, "meeting")
                .date("the date of the meeting")
                .map_err(|m| error("meeting-day", m))?;
            EventKind::ReviewMeetingScheduled { meeting_on }
        }
        "review-meeting-held" => EventKind::ReviewMeetingHeld,
        "review-decision" => match ReviewOutcome::parse(form.get("outcome")) {
            Some(outcome) => EventKind::ReviewDecision { outcome },
            None => return Err(error("outcome", "Select the decision")),
        },
        "amendment-proposed" => EventKind::AmendmentProposed,
        "amended-plan-issued" => EventKind::AmendedPlanIssued,
        "phase-transfer" => {
            let year = || {
                form.get("year")
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (1000..=9999).contains(y))
                    .ok_or_else(|| error("year", "Enter the year of the transfer, like 2027"))
            };
            let transfer = match form.get("transfer") {
                "school" => PhaseTransfer::School { year: year()? },
                "secondary-to-post-16" => PhaseTransfer::SecondaryToPost16 { year: year()? },
                "post-16" => PhaseTransfer::Post16ToPost16 {
                    moves_on: DateFields::read(form, "moves")
                        .date("the date of the move")
                        .map_err(|m| error("moves-day", m))?,
                },
                _ => return Err(error("transfer", "Select the kind of transfer")),
            };
            EventKind::PhaseTransferDue { transfer }
        }
        "transfer-in" => EventKind::TransferIn {
            from_la: form.get("from_la").to_owned(),
        },
        "mediation-certificate" => EventKind::MediationCertificate,
        _ => return Err(error("kind", "Choose what to record")),
    })
}

pub(crate) async fn record_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, kind)): Path<(String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw_id) else {
        return crate::pages::not_found(State(app)).await;
    };
    let Ok(version) = form.get("version").parse::<i64>() else {
        return record_form(
            &app,
            &session,
            account,
            &raw_id,
            &kind,
            None,
            error("on-day", "The form was incomplete: try again"),
        )
        .await;
    };
    let now = app.now();
    let today = london_today(now);
    let date_label = if kind == "exception" {
        "the start date"
    } else {
        "the date"
    };
    let date_field = if kind == "exception" {
        "from-day"
    } else {
        "on-day"
    };
    let on =
        DateFields::read(&form, if kind == "exception" { "from" } else { "on" }).date(date_label);
    let result = if kind == "exception" {
        let Some(exception) = ExceptionKind::parse(form.get("exception")) else {
            return record_form(
                &app,
                &session,
                account,
                &raw_id,
                &kind,
                Some(&form),
                error("exception", "Select the exception"),
            )
            .await;
        };
        let to = DateFields::read(&form, "to").date("the end date");
        let (from, to) = match (on, to) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(m), _) => {
                return record_form(
                    &app,
                    &session,
                    account,
                    &raw_id,
                    &kind,
                    Some(&form),
                    error("from-day", m),
                )
                .await;
            }
            (_, Err(m)) => {
                return record_form(
                    &app,
                    &session,
                    account,
                    &raw_id,
                    &kind,
                    Some(&form),
                    error("to-day", m),
                )
                .await;
            }
        };
        app.cases()
            .record_exception(
                account,
                id,
                version,
                exception,
                (from, to),
                form.get("reason"),
                now,
                today,
                origin,
            )
            .await
    } else {
        let event = match event_of(&app, &kind, &form).await {
            Ok(e) => e,
            Err(errors) => {
                return record_form(&app, &session, account, &raw_id, &kind, Some(&form), errors)
                    .await;
            }
        };
        let on = match on {
            Ok(d) => d,
            Err(m) => {
                return record_form(
                    &app,
                    &session,
                    account,
                    &raw_id,
                    &kind,
                    Some(&form),
                    error("on-day", m),
                )
                .await;
            }
        };
        app.cases()
            .record_event(account, id, version, event, on, now, today, origin)
            .await
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = case_error_field(&e, date_field);
            record_form(
                &app,
                &session,
                account,
                &raw_id,
                &kind,
                Some(&form),
                error(field, e.to_string()),
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

// ---- forms of the case page ---------------------------------------------------------------------

/// Shows the case page again with a form's error.
async fn case_page_with(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    id: ehc_core::case::CaseId,
    errors: Vec<FieldError>,
    form: &Fields,
) -> PageResult {
    match app.cases().view(account, id, app.now(), None).await {
        Ok(view) => {
            let mut response = render(
                app,
                session,
                account,
                view,
                errors,
                form.get("email").to_owned(),
                form.get("urn").to_owned(),
            )
            .await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => super::refused(app, e).await,
    }
}

/// The signed-in account, the case and the version of a case-page form.
async fn case_form(
    app: &AppState,
    session: &HubSession,
    raw_id: &str,
    form: &Fields,
) -> Result<Result<(AccountId, ehc_core::case::CaseId, i64), axum::response::Response>, PageError> {
    let account = match super::signed_in(app, session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let Some(id) = super::case_id(raw_id) else {
        return crate::pages::not_found(State(app.clone())).await.map(Err);
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    Ok(Ok((account, id, version)))
}

pub(crate) async fn settings_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id, version) = match case_form(&app, &session, &raw_id, &form).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let urn = match Urn::parse(form.get("urn")) {
        Ok(u) => u,
        Err(e) => {
            return case_page_with(
                &app,
                &session,
                account,
                id,
                error("urn", e.to_string()),
                &form,
            )
            .await;
        }
    };
    let link = form.get("action") != "unlink";
    if link {
        let unknown = app.unknown_settings(&[urn]).await?;
        if !unknown.is_empty() {
            return case_page_with(&app, &session, account, id, error("urn", unknown), &form).await;
        }
    }
    match app
        .cases()
        .set_setting(account, id, version, urn, link, app.now(), origin)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(e) => super::refused(&app, e).await,
    }
}

pub(crate) async fn officer_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id, version) = match case_form(&app, &session, &raw_id, &form).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(officer) = uuid::Uuid::try_parse(form.get("officer"))
        .ok()
        .map(AccountId)
    else {
        return case_page_with(
            &app,
            &session,
            account,
            id,
            error("officer", "Select an LA officer"),
            &form,
        )
        .await;
    };
    match app
        .cases()
        .assign_officer(account, id, version, officer, app.now(), origin)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(CaseServiceError::NotAnOfficer) => {
            case_page_with(
                &app,
                &session,
                account,
                id,
                error("officer", "Select an LA officer"),
                &form,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

pub(crate) async fn invite_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id, _) = match case_form(&app, &session, &raw_id, &form).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(role) = CaseRole::parse(form.get("role")) else {
        return case_page_with(
            &app,
            &session,
            account,
            id,
            error("role", "Select the person's role on the case"),
            &form,
        )
        .await;
    };
    match app
        .cases()
        .invite(account, id, form.get("email"), role, app.now(), origin)
        .await
    {
        Ok(InviteOutcome::Invited { .. } | InviteOutcome::GrantedToExistingAccount { .. }) => {
            Ok(see_other(&format!("/cases/{id}")))
        }
        Err(CaseServiceError::Invite(InviteError::Email(e))) => {
            case_page_with(
                &app,
                &session,
                account,
                id,
                error("email", e.to_string()),
                &form,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

pub(crate) async fn family_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id, version) = match case_form(&app, &session, &raw_id, &form).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    match app
        .cases()
        .add_family_member(
            account,
            id,
            version,
            form.get("name"),
            form.get("relationship"),
            app.now(),
            origin,
        )
        .await
    {
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = if e.to_string().contains("relationship") {
                "relationship"
            } else {
                "name"
            };
            case_page_with(
                &app,
                &session,
                account,
                id,
                error(field, e.to_string()),
                &form,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

/// Withdraws the last event or an exception recorded by mistake, with the reason.
pub(crate) async fn withdraw_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id, version) = match case_form(&app, &session, &raw_id, &form).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let entry = match form.get("entry") {
        "last-event" => Some(Withdrawal::LastEvent),
        other => other
            .strip_prefix("exception-")
            .and_then(|n| n.parse().ok())
            .map(Withdrawal::Exception),
    };
    let Some(entry) = entry else {
        return case_page_with(
            &app,
            &session,
            account,
            id,
            error("entry", "Select what to withdraw"),
            &form,
        )
        .await;
    };
    match app
        .cases()
        .withdraw(
            account,
            id,
            version,
            entry,
            form.get("withdraw_reason"),
            app.now(),
            origin,
        )
        .await
    {
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(CaseServiceError::Invalid(CaseError::OutOfOrder(m))) => {
            case_page_with(&app, &session, account, id, error("entry", m), &form).await
        }
        Err(CaseServiceError::Invalid(e)) => {
            case_page_with(
                &app,
                &session,
                account,
                id,
                error("withdraw_reason", e.to_string()),
                &form,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

// ---- people and their roles -------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeopleParams {
    email: Option<String>,
}

/// One grant on the people page.
pub(crate) struct GrantRow {
    role: String,
    granted: String,
    state: String,
    revoke: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html")]
pub(crate) struct PeoplePage {
    layout: Layout,
    errors: Vec<FieldError>,
    email: String,
    found: Option<(String, String)>,
    grants: Vec<GrantRow>,
    urn: String,
    sendco_email: String,
    advocate_email: String,
    for_person: String,
    until: DateFields,
}

impl PeoplePage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

async fn people_view(
    app: &AppState,
    session: &HubSession,
    email: &str,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
) -> PageResult {
    let now = app.now();
    let mut found = None;
    let mut grants = Vec::new();
    let mut errors = errors;
    if !email.trim().is_empty() {
        match EmailAddress::parse(email) {
            Err(e) if errors.is_empty() => errors.push(FieldError {
                field: "email",
                message: e.to_string(),
            }),
            Err(_) => {}
            Ok(address) => match app.account_by_email(&address).await? {
                None if errors.is_empty() => errors.push(FieldError {
                    field: "email",
                    message: "Nobody has registered with this email address".into(),
                }),
                None => {}
                Some(account) => {
                    found = Some((account.to_string(), address.to_string()));
                    for g in app.grants_of(account).await? {
                        let active = g.is_active(now);
                        grants.push(GrantRow {
                            role: app.role_in_words(&g.role).await?,
                            granted: london(g.granted_at),
                            state: match (&g.revoked, g.expires_at) {
                                (Some((_, at)), _) => format!("Removed at {}", london(*at)),
                                (None, Some(end)) if !active => format!("Ended at {}", london(end)),
                                (None, Some(end)) => format!("Until {}", london(end)),
                                (None, None) => "Active".into(),
                            },
                            revoke: (active).then(|| format!("/grants/{}/revoke", g.id.0)),
                        });
                    }
                }
            },
        }
    }
    let get = |n: &str| form.map(|f| f.get(n).to_owned()).unwrap_or_default();
    let page = PeoplePage {
        layout: app.layout(session, "People and their roles", true).await?,
        errors,
        email: email.to_owned(),
        found,
        grants,
        urn: get("urn"),
        sendco_email: form
            .filter(|f| f.get("role") == "sendco")
            .map_or_else(|| email.to_owned(), |f| f.get("email").to_owned()),
        advocate_email: form
            .filter(|f| f.get("role") == "advocate")
            .map_or_else(|| email.to_owned(), |f| f.get("email").to_owned()),
        for_person: get("for_person"),
        until: form
            .map(|f| DateFields::read(f, "until"))
            .unwrap_or_default(),
    };
    super::form_response(&page, !page.errors.is_empty())
}

pub(crate) async fn people_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Query(params): Query<PeopleParams>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    if !app.may(account, &Action::InvitePerson).await? {
        return super::refused(&app, CaseServiceError::NotAllowed).await;
    }
    people_view(
        &app,
        &session,
        params.email.as_deref().unwrap_or_default(),
        None,
        Vec::new(),
    )
    .await
}

/// Gives a SENDCo role (inviting the person if they have no account) or an advocate role
/// (until a date) to the person of the page.
pub(crate) async fn people_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    if !app.may(account, &Action::InvitePerson).await? {
        return super::refused(&app, CaseServiceError::NotAllowed).await;
    }
    let email = form.get("email").to_owned();
    let now = app.now();
    let by = Grantor::Account(account);
    if form.get("role") == "sendco" {
        let urn = match Urn::parse(form.get("urn")) {
            Ok(u) => u,
            Err(e) => {
                return people_view(
                    &app,
                    &session,
                    &email,
                    Some(&form),
                    error("urn", e.to_string()),
                )
                .await;
            }
        };
        let unknown = app.unknown_settings(&[urn]).await?;
        if !unknown.is_empty() {
            return people_view(&app, &session, &email, Some(&form), error("urn", unknown)).await;
        }
        return match app
            .invite(by, &email, Role::Sendco { setting: urn }, origin)
            .await
        {
            Ok(_) => Ok(see_other(&format!(
                "/people?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("email", &email)
                    .finish()
            ))),
            Err(InviteError::Email(e)) => {
                people_view(
                    &app,
                    &session,
                    "",
                    Some(&form),
                    error("sendco-email", e.to_string()),
                )
                .await
            }
            Err(InviteError::NotAllowed) => {
                super::refused(&app, CaseServiceError::NotAllowed).await
            }
            Err(InviteError::Store(e)) => Err(e.into()),
            Err(e) => Err(PageError::Internal(e.to_string())),
        };
    }
    // An advocate for a family member, until the end of a day.
    let Ok(advocate) = EmailAddress::parse(&email) else {
        return people_view(
            &app,
            &session,
            &email,
            Some(&form),
            error(
                "advocate-email",
                "Enter an email address in the correct format, like name@example.com",
            ),
        )
        .await;
    };
    let Some(advocate) = app.account_by_email(&advocate).await? else {
        return people_view(
            &app,
            &session,
            &email,
            Some(&form),
            error(
                "advocate-email",
                "Nobody has registered with this email address: invite them first",
            ),
        )
        .await;
    };
    let principal = match EmailAddress::parse(form.get("for_person")) {
        Ok(p) => app.account_by_email(&p).await?,
        Err(_) => None,
    };
    let Some(principal) = principal else {
        return people_view(
            &app,
            &session,
            &email,
            Some(&form),
            error(
                "for_person",
                "Enter the email address of a registered family member",
            ),
        )
        .await;
    };
    let until = match DateFields::read(&form, "until").date("the last day of access") {
        Ok(d) => d,
        Err(m) => {
            return people_view(&app, &session, &email, Some(&form), error("until-day", m)).await;
        }
    };
    let expires_at = crate::times::london_midnight_after(until);
    match app
        .grant(
            by,
            advocate,
            Role::Advocate {
                for_person: principal,
            },
            Some(expires_at),
            now,
            origin,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/people?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("email", &email)
                .finish()
        ))),
        Err(GrantError::NotAllowed) => super::refused(&app, CaseServiceError::NotAllowed).await,
        Err(GrantError::ExpiryNotInFuture) => {
            people_view(
                &app,
                &session,
                &email,
                Some(&form),
                error(
                    "until-day",
                    "The last day of access must be today or in the future",
                ),
            )
            .await
        }
        Err(GrantError::Store(e)) => Err(e.into()),
        Err(e) => Err(PageError::Internal(e.to_string())),
    }
}

pub(crate) async fn revoke_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let (Some(grant), Some(holder)) = (
        uuid::Uuid::try_parse(&raw_id).ok().map(GrantId),
        uuid::Uuid::try_parse(form.get("account"))
            .ok()
            .map(AccountId),
    ) else {
        return crate::pages::not_found(State(app)).await;
    };
    let back = form.get("back");
    // Only back to one of the hub's own pages: a path, never `//host` or `/\host` (which
    // browsers read as another site).
    let back = if back.starts_with('/')
        && !back.starts_with("//")
        && !back.chars().any(|c| c == '\\' || c <= ' ')
    {
        back.to_owned()
    } else {
        "/cases".to_owned()
    };
    match app
        .revoke(Grantor::Account(account), holder, grant, app.now(), origin)
        .await
    {
        Ok(()) => Ok(see_other(&back)),
        Err(GrantError::NotAllowed) => super::refused(&app, CaseServiceError::NotAllowed).await,
        Err(GrantError::Store(e)) => Err(e.into()),
        Err(_) => crate::pages::not_found(State(app)).await,
    }
}
