//! Review meetings (reg 20, 21): the *Review meetings* section of the case page, *Schedule a
//! review meeting* (date, time, place or how to join, and who is invited — a date less than 2
//! weeks away is warned about first and needs *Schedule anyway*), and the meeting's page: its
//! details, the invitee's reply and views, who replied what for the organiser, and the forms
//! for the advice circulated, the meeting held, its report and the LA's decision.
//!
//! Every handler calls [`ehc_core::case::CaseService`], which checks the person's grants: a
//! meeting the person may not see is the 404 page, like a case that does not exist. Each form
//! that fails shows its page again with the GOV.UK error summary and changes nothing.
//! Files go through the upload page with `?for=meeting-{n}-views` (an invitee's views as a
//! file, while the meeting is open) or `?for=meeting-{n}-report` (files of the report, by the LA
//! or the organiser once it was held): [`ehc_core::case::Attachment`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use ehc_core::account::AccountId;
use ehc_core::case::deadline::long_date;
use ehc_core::case::meeting::{MeetingNumber, clock_time, short_notice};
use ehc_core::case::{
    Attachment, CaseError, CaseId, CaseServiceError, CaseView, EventKind, MeetingView,
    ReviewOutcome,
};
use ehc_core::document::DocumentId;
use ehc_core::role::CaseAccess;

use super::date_input::DateFields;
use crate::AppState;
use crate::client::Origin;
use crate::form::{CheckedForm, Fields};
use crate::pages::{FieldError, Layout, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::{london, london_today};

/// The routes of this module, merged into [`super::routes`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cases/{id}/meetings/new",
            get(schedule_page).post(schedule_submit),
        )
        .route("/cases/{id}/meetings/{number}", get(meeting_page))
        .route(
            "/cases/{id}/meetings/{number}/{action}",
            axum::routing::post(meeting_submit),
        )
}

fn error(field: &'static str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.into(),
    }]
}

/// One meeting in the case page's *Review meetings* section.
pub(crate) struct MeetingLink {
    pub(crate) href: String,
    pub(crate) text: String,
    pub(crate) status: String,
}

/// Where a meeting stands, in words.
fn status(meeting: &ehc_core::case::meeting::ReviewMeeting) -> String {
    if meeting.withdrawn {
        "Withdrawn as recorded by mistake".to_owned()
    } else if let Some((_, on)) = meeting.held {
        format!("Held on {}", long_date(on))
    } else {
        "Arranged".to_owned()
    }
}

/// The meetings `viewer` sees on the case page (a contributor: those they are invited to), and
/// whether they may arrange one (an LA officer or a linked setting's SENDCo).
pub(crate) fn section(view: &CaseView, viewer: AccountId) -> (Vec<MeetingLink>, bool) {
    let id = view.case.id;
    let links = view
        .case
        .meetings
        .iter()
        .filter(|m| view.access.is_participant() || m.invitee(viewer).is_some())
        .map(|m| MeetingLink {
            href: format!("/cases/{id}/meetings/{}", m.number.0),
            text: format!(
                "Review meeting on {} at {}",
                long_date(m.on),
                clock_time(m.starts_at)
            ),
            status: status(m),
        })
        .collect();
    (links, view.access.la || view.access.setting)
}

/// The page for a refusal that is not a form error: 404 for a meeting the person may not see;
/// 403, in this module's words, for an action they may not take.
async fn refused(app: &AppState, e: CaseServiceError) -> PageResult {
    match e {
        CaseServiceError::NotAllowed => {
            app.message(
                StatusCode::FORBIDDEN,
                "You do not have permission to do this",
                &["Only the people invited to a review meeting can reply to the invitation or give views, and only the local authority's officers and the meeting's organiser can arrange it and record what happened. Nothing was changed."],
                Some(("/cases", "Go to your cases")),
            )
            .await
        }
        other => super::refused(app, other).await,
    }
}

/// A time of day as typed: `10:30`, `10.30`, `14:30`, `10am`, `2:30pm`, `midday`.
fn parse_time(input: &str) -> Result<time::Time, String> {
    let s = input.trim().to_ascii_lowercase().replace(' ', "");
    if s.is_empty() {
        return Err("Enter the time of the meeting".to_owned());
    }
    let bad = || "Enter a real time, like 10:30am or 14:30".to_owned();
    if s == "midday" || s == "noon" {
        return time::Time::MIDNIGHT.replace_hour(12).map_err(|_| bad());
    }
    let (digits, add) = if let Some(d) = s.strip_suffix("am") {
        (d, Some(0))
    } else if let Some(d) = s.strip_suffix("pm") {
        (d, Some(12))
    } else {
        (s.as_str(), None)
    };
    let (h, m) = match digits.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return Err(bad()),
        None => (digits, "0"),
    };
    let (Ok(h), Ok(m)) = (h.parse::<u8>(), m.parse::<u8>()) else {
        return Err(bad());
    };
    let h = match add {
        Some(_) if !(1..=12).contains(&h) => return Err(bad()),
        Some(extra) => h % 12 + extra,
        None => h,
    };
    time::Time::from_hms(h, m, 0).map_err(|_| bad())
}

// ---- arrange a meeting -------------------------------------------------------------------------

/// One person who may be invited: the checkbox's field name, words, and whether it is ticked.
pub(crate) struct Candidate {
    field: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "meeting_new.html")]
pub(crate) struct SchedulePage {
    layout: Layout,
    errors: Vec<FieldError>,
    case_link: String,
    la_reference: String,
    version: String,
    date: DateFields,
    time: String,
    place: String,
    candidates: Vec<Candidate>,
    /// The warning about less than 2 weeks' notice, when the form asks for confirmation.
    warning: Option<String>,
}

impl SchedulePage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// The form, blank (`form` `None`) or as entered, with its errors or its warning.
async fn schedule_form(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    id: CaseId,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
    warning: Option<String>,
) -> PageResult {
    let now = app.now();
    let view = match app.cases().view(account, id, now, None).await {
        Ok(v) => v,
        Err(e) => return refused(app, e).await,
    };
    let candidates = match app.cases().meeting_candidates(account, id, now).await {
        Ok(c) => c,
        Err(e) => return refused(app, e).await,
    };
    let get = |n: &str| form.map(|f| f.get(n).to_owned()).unwrap_or_default();
    let page = SchedulePage {
        layout: app
            .layout(session, "Schedule a review meeting", true)
            .await?,
        errors,
        case_link: format!("/cases/{id}"),
        la_reference: view.case.la_reference.to_string(),
        version: form.map_or_else(|| view.version.to_string(), |f| f.get("version").to_owned()),
        date: form
            .map(|f| DateFields::read(f, "meeting"))
            .unwrap_or_default(),
        time: get("time"),
        place: get("place"),
        candidates: candidates
            .into_iter()
            .map(|c| {
                let field = format!("invitee-{}", c.account);
                Candidate {
                    checked: form.is_some_and(|f| f.get(&field) == "yes"),
                    field,
                    label: format!("{} ({})", c.email, c.part),
                }
            })
            .collect(),
        warning,
    };
    super::form_response(&page, !page.errors.is_empty())
}

async fn schedule_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(raw_id): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw_id) else {
        return crate::pages::not_found(State(app)).await;
    };
    schedule_form(&app, &session, account, id, None, Vec::new(), None).await
}

/// The field of the schedule form a [`CaseError`] belongs to.
fn schedule_error_field(e: &CaseError) -> &'static str {
    match e {
        CaseError::Missing("who is invited")
        | CaseError::OutOfOrder("Select people from the list: each must be on the case") => {
            "invitees"
        }
        CaseError::Missing(_) | CaseError::TooLong { .. } => "place",
        _ => "meeting-day",
    }
}

async fn schedule_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw_id) else {
        return crate::pages::not_found(State(app)).await;
    };
    let now = app.now();
    let today = london_today(now);
    let candidates = match app.cases().meeting_candidates(account, id, now).await {
        Ok(c) => c,
        Err(e) => return refused(&app, e).await,
    };
    let invitees: Vec<AccountId> = candidates
        .iter()
        .filter(|c| form.get(&format!("invitee-{}", c.account)) == "yes")
        .map(|c| c.account)
        .collect();
    // Every field's own error at once; the rules of the case's dates follow in the service.
    let mut errors = Vec::new();
    let on = DateFields::read(&form, "meeting").date("the date of the meeting");
    if let Err(m) = &on {
        errors.extend(error("meeting-day", m.clone()));
    }
    let starts_at = parse_time(form.get("time"));
    if let Err(m) = &starts_at {
        errors.extend(error("time", m.clone()));
    }
    if form.get("place").trim().is_empty() {
        errors.extend(error(
            "place",
            "Enter where the meeting is held or how to join it",
        ));
    }
    if invitees.is_empty() {
        errors.extend(error("invitees", "Select who is invited"));
    }
    let version = form.get("version").parse::<i64>();
    if version.is_err() {
        errors.extend(error("meeting-day", "The form was incomplete: try again"));
    }
    let (Ok(on), Ok(starts_at), Ok(version), true) = (on, starts_at, version, errors.is_empty())
    else {
        return schedule_form(&app, &session, account, id, Some(&form), errors, None).await;
    };
    if short_notice(on, today) && form.get("confirm") != "yes" {
        let days = (on - today).whole_days();
        let warning = format!(
            "The meeting is {} away. The regulations ask for at least 2 weeks' notice of the meeting and for the advice to be circulated at least 2 weeks before it (SEN Regulations 2014, reg 20(3) and (4), and reg 21). You can still arrange it: the tracker will show the notice as short.",
            match days {
                0 => "today, not 2 weeks".to_owned(),
                1 => "1 day".to_owned(),
                n => format!("{n} days"),
            }
        );
        return schedule_form(
            &app,
            &session,
            account,
            id,
            Some(&form),
            Vec::new(),
            Some(warning),
        )
        .await;
    }
    match app
        .cases()
        .schedule_meeting(
            account,
            id,
            version,
            &invitees,
            (on, starts_at, form.get("place")),
            now,
            today,
            origin,
        )
        .await
    {
        Ok(number) => Ok(see_other(&format!("/cases/{id}/meetings/{}", number.0))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = schedule_error_field(&e);
            schedule_form(
                &app,
                &session,
                account,
                id,
                Some(&form),
                error(field, e.to_string()),
                None,
            )
            .await
        }
        Err(e) => refused(&app, e).await,
    }
}

// ---- the meeting's page ------------------------------------------------------------------------

/// One invitee, as the organiser sees them.
pub(crate) struct InviteeRow {
    who: String,
    part: String,
    reply: &'static str,
    when: String,
}

/// Views given, as the viewer may read them.
pub(crate) struct ViewsRow {
    who: String,
    when: String,
    text: String,
    /// Views given as a file.
    document: Option<super::documents::DocumentRow>,
}

#[derive(Template)]
#[template(path = "meeting.html")]
pub(crate) struct MeetingPage {
    layout: Layout,
    errors: Vec<FieldError>,
    case_link: String,
    action: String,
    la_reference: String,
    version: i64,
    when: String,
    place: String,
    organiser: String,
    status: String,
    invited_on: String,
    notice: String,
    advice: String,
    participant: bool,
    manage: bool,
    decide: bool,
    open: bool,
    withdrawn: bool,
    held: bool,
    invited: bool,
    my_reply: String,
    invitees: Vec<InviteeRow>,
    views: Vec<ViewsRow>,
    /// Where an invitee gives views as a file.
    views_upload: String,
    report: Option<(String, String)>,
    /// Files of the report, and where the LA or the organiser adds one.
    report_documents: Vec<super::documents::DocumentRow>,
    report_upload: String,
    report_due: String,
    decision_due: String,
    decision: Option<String>,
    outcomes: Vec<(&'static str, &'static str)>,
    fields: EnteredFields,
}

impl MeetingPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// The meeting page's form fields, as entered (to show them again with an error).
#[derive(Default)]
pub(crate) struct EnteredFields {
    reply: String,
    views: String,
    advice: DateFields,
    held: DateFields,
    sent: DateFields,
    report: String,
    outcome: String,
    decided: DateFields,
}

impl EnteredFields {
    fn read(form: &Fields) -> Self {
        Self {
            reply: form.get("reply").to_owned(),
            views: form.get("views").to_owned(),
            advice: DateFields::read(form, "advice"),
            held: DateFields::read(form, "held"),
            sent: DateFields::read(form, "sent"),
            report: form.get("report").to_owned(),
            outcome: form.get("outcome").to_owned(),
            decided: DateFields::read(form, "decided"),
        }
    }
}

fn invitees(view: &MeetingView) -> Vec<InviteeRow> {
    view.meeting
        .invitees
        .iter()
        .map(|i| InviteeRow {
            who: view.email_of(i.account).to_owned(),
            part: i.part.clone(),
            reply: i.reply.describe(),
            when: i.reply.at().map(london).unwrap_or_default(),
        })
        .collect()
}

/// The upload page for a file attached to the meeting.
fn attach_link(case: CaseId, attach: Attachment) -> String {
    format!("/cases/{case}/documents/new?for={}", attach.as_field())
}

/// Renders the meeting's page for `viewer`.
async fn render(
    app: &AppState,
    session: &HubSession,
    viewer: AccountId,
    view: MeetingView,
    errors: Vec<FieldError>,
    form: Option<&Fields>,
) -> PageResult {
    let today = london_today(app.now());
    let m = &view.meeting;
    let id = view.case.id;
    let access: CaseAccess = view.access;
    let invited = m.invitee(viewer).is_some();
    let organiser_email = view.email_of(m.organiser.account()).to_owned();
    // The meeting's files the viewer may see (views given as files, then the report's), read
    // once for both lists.
    let file_ids: Vec<DocumentId> = m
        .views
        .iter()
        .filter_map(|v| v.document)
        .chain(m.report_documents.iter().copied())
        .collect();
    let files = super::documents::attached(app, viewer, id, &file_ids).await?;
    let page = MeetingPage {
        layout: app.layout(session, "Review meeting", true).await?,
        errors,
        case_link: format!("/cases/{id}"),
        action: format!("/cases/{id}/meetings/{}", m.number.0),
        la_reference: view.case.la_reference.to_string(),
        version: view.version,
        when: format!("{} at {}", long_date(m.on), clock_time(m.starts_at)),
        place: m.place.clone(),
        organiser: match m.organiser {
            ehc_core::case::meeting::Organiser::La { .. } => {
                format!("{organiser_email} (local authority)")
            }
            ehc_core::case::meeting::Organiser::Setting { urn, .. } => {
                format!("{organiser_email} (SENDCo, education setting {urn})")
            }
        },
        status: status(m),
        invited_on: long_date(m.invited_on),
        notice: if m.invited_on > m.notice_due() {
            format!(
                "Less than 2 weeks' notice: invitations were due by {} (reg 20(3))",
                long_date(m.notice_due())
            )
        } else {
            format!(
                "At least 2 weeks' notice (due by {})",
                long_date(m.notice_due())
            )
        },
        advice: match m.advice_circulated_on {
            Some(on) if on > m.notice_due() => format!(
                "Circulated on {}, less than 2 weeks before the meeting (due by {}, reg 20(4))",
                long_date(on),
                long_date(m.notice_due())
            ),
            Some(on) => format!("Circulated on {}", long_date(on)),
            None => format!(
                "Not recorded yet: due by {} (reg 20(4))",
                long_date(m.notice_due())
            ),
        },
        participant: access.is_participant(),
        manage: view.manage,
        decide: view.decide,
        open: m.is_open(today),
        withdrawn: m.withdrawn,
        held: m.held.is_some(),
        invited,
        my_reply: m
            .invitee(viewer)
            .map(|i| match i.reply.at() {
                Some(at) => format!("{} at {}", i.reply.describe(), london(at)),
                None => "You have not replied yet".to_owned(),
            })
            .unwrap_or_default(),
        invitees: invitees(&view),
        views: {
            m.views
                .iter()
                .filter_map(|v| {
                    let document = v
                        .document
                        .and_then(|d| files.iter().find(|f| f.id == d.to_string()).cloned());
                    // Views as a file the viewer may not see are left out.
                    (!v.text.is_empty() || document.is_some()).then(|| ViewsRow {
                        who: view.email_of(v.by).to_owned(),
                        when: london(v.given_at),
                        text: v.text.clone(),
                        document,
                    })
                })
                .collect()
        },
        views_upload: attach_link(id, Attachment::MeetingViews(m.number)),
        report_documents: files
            .iter()
            .filter(|f| m.report_documents.iter().any(|d| f.id == d.to_string()))
            .cloned()
            .collect(),
        report_upload: attach_link(id, Attachment::MeetingReport(m.number)),
        report: m
            .report
            .as_ref()
            .map(|r| (long_date(r.sent_on), r.text.clone())),
        report_due: m.report_due().map(long_date).unwrap_or_default(),
        decision_due: m.decision_due().map(long_date).unwrap_or_default(),
        decision: view
            .decision
            .as_ref()
            .map(|e| format!("{} on {}", e.kind.describe(), long_date(e.on))),
        outcomes: ReviewOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.describe()))
            .collect(),
        fields: form.map(EnteredFields::read).unwrap_or_default(),
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// The case id and meeting number of a page address; `None` (404) for anything else.
fn address(raw_id: &str, raw_number: &str) -> Option<(CaseId, MeetingNumber)> {
    let id = super::case_id(raw_id)?;
    let number = raw_number.parse::<u32>().ok().map(MeetingNumber)?;
    Some((id, number))
}

async fn meeting_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path((raw_id, raw_number)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some((id, number)) = address(&raw_id, &raw_number) else {
        return crate::pages::not_found(State(app)).await;
    };
    match app
        .cases()
        .view_meeting(account, id, number, app.now(), origin)
        .await
    {
        Ok(view) => render(&app, &session, account, view, Vec::new(), None).await,
        Err(e) => refused(&app, e).await,
    }
}

/// The meeting page again with a form's error (422), or the refusal page.
async fn meeting_with(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    (id, number): (CaseId, MeetingNumber),
    errors: Vec<FieldError>,
    form: &Fields,
) -> PageResult {
    match app
        .cases()
        .view_meeting(account, id, number, app.now(), None)
        .await
    {
        Ok(view) => render(app, session, account, view, errors, Some(form)).await,
        Err(e) => refused(app, e).await,
    }
}

/// The field a refused change belongs to on the meeting page's form `action`.
fn meeting_error_field(action: &str) -> &'static str {
    match action {
        "reply" => "reply",
        "views" => "views",
        "advice" => "advice-day",
        "held" => "held-day",
        "report" => "sent-day",
        _ => "decided-day",
    }
}

async fn meeting_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, raw_number, action)): Path<(String, String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some((id, number)) = address(&raw_id, &raw_number) else {
        return crate::pages::not_found(State(app)).await;
    };
    let at = (id, number);
    let now = app.now();
    let today = london_today(now);
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let date = |name: &'static str, field: &'static str, label: &str| {
        DateFields::read(&form, name)
            .date(label)
            .map_err(|m| error(field, m))
    };
    let cases = app.cases();
    let result = match action.as_str() {
        "reply" => {
            let accept = match form.get("reply") {
                "accept" => true,
                "decline" => false,
                _ => {
                    return meeting_with(
                        &app,
                        &session,
                        account,
                        at,
                        error("reply", "Select whether you will attend the meeting"),
                        &form,
                    )
                    .await;
                }
            };
            cases
                .reply_to_meeting(account, id, number, accept, now, today, origin)
                .await
        }
        "views" => {
            cases
                .give_meeting_views(account, id, number, form.get("views"), now, today, origin)
                .await
        }
        "advice" => match date("advice", "advice-day", "the date the advice was circulated") {
            Ok(on) => {
                cases
                    .record_advice_circulated(account, id, version, number, on, now, today, origin)
                    .await
            }
            Err(errors) => return meeting_with(&app, &session, account, at, errors, &form).await,
        },
        "held" => match date("held", "held-day", "the date the meeting was held") {
            Ok(on) => {
                cases
                    .record_meeting_held(account, id, version, number, on, now, today, origin)
                    .await
            }
            Err(errors) => return meeting_with(&app, &session, account, at, errors, &form).await,
        },
        "report" => match date("sent", "sent-day", "the date the report was sent") {
            Ok(on) => {
                cases
                    .record_meeting_report(
                        account,
                        id,
                        version,
                        number,
                        (on, form.get("report")),
                        now,
                        today,
                        origin,
                    )
                    .await
            }
            Err(errors) => return meeting_with(&app, &session, account, at, errors, &form).await,
        },
        "decision" => {
            let Some(outcome) = ReviewOutcome::parse(form.get("outcome")) else {
                return meeting_with(
                    &app,
                    &session,
                    account,
                    at,
                    error("outcome", "Select the decision"),
                    &form,
                )
                .await;
            };
            match date("decided", "decided-day", "the date of the decision") {
                Ok(on) => {
                    // The decision is the case's own event (the tracker's review decision):
                    // LA officers only, as on the back office's record form.
                    cases
                        .record_event(
                            account,
                            id,
                            version,
                            EventKind::ReviewDecision { outcome },
                            on,
                            now,
                            today,
                            origin,
                        )
                        .await
                }
                Err(errors) => {
                    return meeting_with(&app, &session, account, at, errors, &form).await;
                }
            }
        }
        _ => return crate::pages::not_found(State(app)).await,
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/cases/{id}/meetings/{}", number.0))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = match (&e, action.as_str()) {
                (CaseError::Missing(_) | CaseError::TooLong { .. }, "report") => "report",
                (_, a) => meeting_error_field(a),
            };
            meeting_with(
                &app,
                &session,
                account,
                at,
                error(field, e.to_string()),
                &form,
            )
            .await
        }
        Err(e) => refused(&app, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::time;

    #[test]
    fn times_are_read_as_people_type_them() {
        for (typed, expected) in [
            ("10:30", time!(10:30)),
            ("10.30", time!(10:30)),
            ("14:05", time!(14:05)),
            ("9", time!(9:00)),
            ("10am", time!(10:00)),
            ("2:30 PM", time!(14:30)),
            ("12pm", time!(12:00)),
            ("12am", time!(0:00)),
            ("midday", time!(12:00)),
        ] {
            assert_eq!(parse_time(typed), Ok(expected), "{typed}");
        }
        assert_eq!(parse_time(" "), Err("Enter the time of the meeting".into()));
        for bad in ["25:00", "10:75", "13pm", "0am", "ten", "10:3", "10:30:00"] {
            assert_eq!(
                parse_time(bad),
                Err("Enter a real time, like 10:30am or 14:30".into()),
                "{bad}"
            );
        }
    }
}
