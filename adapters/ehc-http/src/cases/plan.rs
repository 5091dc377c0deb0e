//! The EHC plan pages of a case: the versions list (with the consultation's last day at the
//! top), one version with the family's comment, school and meeting forms while the
//! consultation is open and everything the family said for the LA, the LA's *Publish a draft
//! plan* / *Issue the final plan* / amendments forms (a textarea per section A–K), and *Compare
//! two versions*. Every rule is in [`ehc_core::case::plan`]; a person who may not see the case,
//! or who sees it only as a contributor, gets the 404 page.
//!
//! The plan document (a file) is not here yet: when the document store lands, the publish
//! form takes an upload beside the sections and the version page links to the file.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use ehc_core::account::AccountId;
use ehc_core::case::deadline::long_date;
use ehc_core::case::plan;
use ehc_core::case::plan::{
    FamilyResponse, PlanError, PlanKind, PlanVersion, Section, WordChange, compare,
};
use ehc_core::case::{CaseError, CaseId, CaseServiceError, PlanView};
use ehc_core::document::DocumentId;
use ehc_core::role::Urn;

use crate::AppState;
use crate::client::Origin;
use crate::form::{CheckedForm, Fields};
use crate::pages::{FieldError, Layout, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::{london, london_today};

/// The routes of the plan pages.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/cases/{id}/plan", get(plan_page))
        .route(
            "/cases/{id}/plan/new/{kind}",
            get(publish_page).post(publish_submit),
        )
        .route("/cases/{id}/plan/versions/{number}", get(version_page))
        .route(
            "/cases/{id}/plan/versions/{number}/{response}",
            post(respond_submit),
        )
        .route("/cases/{id}/plan/compare", get(compare_page))
}

/// The form field of each section's text (publish form) and comment (version page).
fn section_field(section: Section, comment: bool) -> &'static str {
    match (section, comment) {
        (Section::A, false) => "section-a",
        (Section::B, false) => "section-b",
        (Section::C, false) => "section-c",
        (Section::D, false) => "section-d",
        (Section::E, false) => "section-e",
        (Section::F, false) => "section-f",
        (Section::G, false) => "section-g",
        (Section::H1, false) => "section-h1",
        (Section::H2, false) => "section-h2",
        (Section::I, false) => "section-i",
        (Section::J, false) => "section-j",
        (Section::K, false) => "section-k",
        (Section::A, true) => "comment-a",
        (Section::B, true) => "comment-b",
        (Section::C, true) => "comment-c",
        (Section::D, true) => "comment-d",
        (Section::E, true) => "comment-e",
        (Section::F, true) => "comment-f",
        (Section::G, true) => "comment-g",
        (Section::H1, true) => "comment-h1",
        (Section::H2, true) => "comment-h2",
        (Section::I, true) => "comment-i",
        (Section::J, true) => "comment-j",
        (Section::K, true) => "comment-k",
    }
}

/// The paragraphs of a stored text (its lines, blank ones dropped).
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The signed-in account and the case of a plan page, or the page to answer instead.
async fn who_and_case(
    app: &AppState,
    session: &HubSession,
    raw_id: &str,
) -> Result<Result<(AccountId, CaseId), axum::response::Response>, crate::pages::PageError> {
    let account = match super::signed_in(app, session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(Err(redirect)),
    };
    match super::case_id(raw_id) {
        Some(id) => Ok(Ok((account, id))),
        None => crate::pages::not_found(State(app.clone())).await.map(Err),
    }
}

/// What the family may still do on the case's current consultation, for the banner.
fn banner(view: &PlanView, today: time::Date) -> Option<(u32, String)> {
    let current = view.case.current_consultation()?;
    let last_day = current.consultation.as_ref()?.last_day;
    let what = current.kind.describe().to_lowercase();
    let words = if today <= last_day {
        format!(
            "Comments on the {what} (version {}) close at the end of {}",
            current.number,
            long_date(last_day)
        )
    } else {
        format!(
            "The time to comment on the {what} (version {}) ended on {}",
            current.number,
            long_date(last_day)
        )
    };
    Some((current.number, words))
}

// ---- the versions list -------------------------------------------------------------------------

/// One line of the versions list.
pub(crate) struct VersionRow {
    number: u32,
    kind: &'static str,
    served: String,
    responses: usize,
    /// Its event was withdrawn as recorded by mistake.
    withdrawn: bool,
}

#[derive(Template)]
#[template(path = "plan.html")]
pub(crate) struct PlanPage {
    layout: Layout,
    errors: Vec<FieldError>,
    id: String,
    la_reference: String,
    child_name: String,
    la: bool,
    banner: Option<(u32, String)>,
    versions: Vec<VersionRow>,
    actions: Vec<(&'static str, &'static str)>,
}

pub(crate) async fn plan_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path(raw_id): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let view = match app.cases().plan(account, id, None, app.now(), origin).await {
        Ok(v) => v,
        Err(e) => return super::refused(&app, e).await,
    };
    let today = london_today(app.now());
    let case = &view.case;
    let page = PlanPage {
        layout: app.layout(&session, "EHC plan", true).await?,
        errors: Vec::new(),
        id: id.to_string(),
        la_reference: case.la_reference.to_string(),
        child_name: case.child.full_name(),
        la: view.access.la,
        banner: banner(&view, today),
        versions: case
            .plans
            .iter()
            .rev()
            .map(|p| VersionRow {
                number: p.number,
                kind: p.kind.describe(),
                served: long_date(p.served_on),
                responses: p.consultation.as_ref().map_or(0, |c| {
                    c.comments.len() + c.placement_requests.len() + c.meeting_requests.len()
                }),
                withdrawn: !case.events.iter().any(|e| e.number == p.event),
            })
            .collect(),
        actions: PlanKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    match k {
                        PlanKind::Draft => "Publish a draft plan",
                        PlanKind::Final => "Issue the final plan",
                        PlanKind::AmendmentProposal => "Propose amendments",
                        PlanKind::AmendedFinal => "Issue the amended plan",
                    },
                )
            })
            .collect(),
    };
    crate::pages::html(&page)
}

// ---- publish a version -------------------------------------------------------------------------

/// One section's textarea.
pub(crate) struct SectionInput {
    field: &'static str,
    letter: &'static str,
    name: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "plan_publish.html")]
pub(crate) struct PublishPage {
    layout: Layout,
    errors: Vec<FieldError>,
    id: String,
    kind: &'static str,
    heading: &'static str,
    explanation: String,
    version: i64,
    max: usize,
    sections: Vec<SectionInput>,
    /// The case's documents that can be the plan's (id, title and what it is), and the one
    /// chosen ("" for none).
    documents: Vec<(String, String)>,
    document: String,
}

impl PublishPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

fn publish_heading(kind: PlanKind) -> &'static str {
    match kind {
        PlanKind::Draft => "Publish a draft plan",
        PlanKind::Final => "Issue the final plan",
        PlanKind::AmendmentProposal => "Propose amendments to the plan",
        PlanKind::AmendedFinal => "Issue the amended plan",
    }
}

/// The publish form: empty for a first draft, else the latest version's text to edit; with a
/// form sent back, what was entered (with the version it was shown with, or the case's current
/// one when `changed_since`: the case changed and the person is asked to send it again).
async fn publish_form(
    app: &AppState,
    (session, account): (&HubSession, AccountId),
    view: &PlanView,
    kind: PlanKind,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
    changed_since: bool,
) -> PageResult {
    let latest = view.case.plans.last();
    let today = london_today(app.now());
    let explanation = match kind {
        PlanKind::Draft | PlanKind::AmendmentProposal => format!(
            "It is served on the family today. They can comment, ask for a school or other institution to be named and ask for a meeting until {} ({}), and are told by email.",
            long_date(ehc_core::case::plan::consultation_last_day(today)),
            kind.source()
        ),
        PlanKind::Final | PlanKind::AmendedFinal => format!(
            "It is issued today, once the family's time to comment has ended ({}). Every earlier version is kept.",
            kind.source()
        ),
    };
    let heading = publish_heading(kind);
    let documents = match app.documents().list(account, view.case.id, app.now()).await {
        Ok(documents) => documents,
        Err(e) => return Err(crate::pages::PageError::Internal(e.to_string())),
    };
    let documents = documents
        .iter()
        .filter(|d| view.case.plan_document_allowed(d).is_ok())
        .map(|d| {
            let about = format!(
                "{} ({}, {}, uploaded {})",
                d.title,
                d.content_type.describe(),
                ehc_core::document::size_in_words(d.size_bytes),
                crate::times::london(d.uploaded_at)
            );
            (d.id.to_string(), about)
        })
        .collect();
    let page = PublishPage {
        layout: app.layout(session, heading, true).await?,
        errors,
        id: view.case.id.to_string(),
        kind: kind.as_str(),
        heading,
        explanation,
        // The version the form was shown with, unless the case has changed since (then the
        // new one: the person has been told and sends their text again).
        version: form
            .filter(|_| !changed_since)
            .and_then(|f| f.get("version").parse().ok())
            .unwrap_or(view.version),
        max: ehc_core::case::plan::MAX_SECTION,
        sections: Section::ALL
            .iter()
            .map(|&s| SectionInput {
                field: section_field(s, false),
                letter: s.letter(),
                name: s.name(),
                value: match form {
                    Some(f) => f.get(section_field(s, false)).to_owned(),
                    None => latest.map(|p| p.text(s).to_owned()).unwrap_or_default(),
                },
            })
            .collect(),
        documents,
        document: form
            .map(|f| f.get("document").to_owned())
            .unwrap_or_default(),
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// The LA's view of the case for a publish form, or the page to answer instead.
async fn la_view(
    app: &AppState,
    account: AccountId,
    id: CaseId,
) -> Result<Result<PlanView, PageResult>, crate::pages::PageError> {
    match app.cases().plan(account, id, None, app.now(), None).await {
        Ok(v) if v.access.la => Ok(Ok(v)),
        Ok(_) => Ok(Err(super::refused(app, CaseServiceError::NotAllowed).await)),
        Err(e) => Ok(Err(super::refused(app, e).await)),
    }
}

pub(crate) async fn publish_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path((raw_id, raw_kind)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(kind) = PlanKind::parse(&raw_kind) else {
        return crate::pages::not_found(State(app)).await;
    };
    let view = match la_view(&app, account, id).await? {
        Ok(v) => v,
        Err(page) => return page,
    };
    publish_form(
        &app,
        (&session, account),
        &view,
        kind,
        None,
        Vec::new(),
        false,
    )
    .await
}

pub(crate) async fn publish_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, raw_kind)): Path<(String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(kind) = PlanKind::parse(&raw_kind) else {
        return crate::pages::not_found(State(app)).await;
    };
    let view = match la_view(&app, account, id).await? {
        Ok(v) => v,
        Err(page) => return page,
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let sections = Section::ALL
        .iter()
        .map(|&s| (s, form.get(section_field(s, false)).to_owned()))
        .collect();
    // "" is no document; anything else must name one of the case's.
    let document = match form.get("document") {
        "" => None,
        raw => match DocumentId::parse(raw) {
            Some(d) => Some(d),
            None => {
                let errors = vec![FieldError {
                    field: "document",
                    message: plan::NOT_A_PLAN_DOCUMENT.to_owned(),
                }];
                return publish_form(
                    &app,
                    (&session, account),
                    &view,
                    kind,
                    Some(&form),
                    errors,
                    false,
                )
                .await;
            }
        },
    };
    let now = app.now();
    match app
        .cases()
        .publish_plan(
            account,
            id,
            version,
            kind,
            (sections, document),
            now,
            london_today(now),
            origin,
        )
        .await
    {
        Ok(number) => Ok(see_other(&format!("/cases/{id}/plan/versions/{number}"))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = match &e {
                CaseError::TooLong { what, .. } => Section::ALL
                    .iter()
                    .find(|s| ehc_core::case::plan::section_what(**s) == *what)
                    .map_or("section-a", |s| section_field(*s, false)),
                CaseError::Missing(_) => "section-a",
                CaseError::OutOfOrder(m)
                    if *m == plan::NOT_A_PLAN_DOCUMENT || *m == plan::NOT_A_PDF_OR_WORD =>
                {
                    "document"
                }
                _ => "plan-form",
            };
            let errors = vec![FieldError {
                field,
                message: e.to_string(),
            }];
            publish_form(
                &app,
                (&session, account),
                &view,
                kind,
                Some(&form),
                errors,
                false,
            )
            .await
        }
        // Someone changed the case meanwhile (a contributor's draft, the family opening the
        // draft): the sections typed are not lost — the form comes back with them and the
        // case's new version, to check and send again.
        Err(CaseServiceError::Store(ehc_core::ports::StoreError::Conflict { .. })) => {
            let view = match la_view(&app, account, id).await? {
                Ok(v) => v,
                Err(page) => return page,
            };
            let errors = vec![FieldError {
                field: "plan-form",
                message: "Someone changed the case while you were writing, so the plan was not published yet. Your text is below: check the case, then publish again".to_owned(),
            }];
            let mut page = publish_form(
                &app,
                (&session, account),
                &view,
                kind,
                Some(&form),
                errors,
                true,
            )
            .await?;
            *page.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(page)
        }
        Err(e) => super::refused(&app, e).await,
    }
}

// ---- one version -------------------------------------------------------------------------------

/// What the family said, for a list.
pub(crate) struct Said {
    when: String,
    what: String,
}

/// One section of a version, with the family's comments on it.
pub(crate) struct SectionView {
    value: &'static str,
    field: &'static str,
    letter: &'static str,
    name: &'static str,
    paragraphs: Vec<String>,
    comments: Vec<Said>,
    entered: String,
}

#[derive(Template)]
#[template(path = "plan_version.html")]
pub(crate) struct VersionPage {
    layout: Layout,
    errors: Vec<FieldError>,
    id: String,
    la_reference: String,
    number: u32,
    kind: &'static str,
    served: String,
    banner: Option<String>,
    /// The family may respond now (the current consultation is open).
    open: bool,
    /// The viewer sees what the family said (the LA and the family).
    sees_responses: bool,
    la: bool,
    first_opened: Option<String>,
    sections: Vec<SectionView>,
    placements: Vec<Said>,
    meetings: Vec<Said>,
    institution: String,
    urn: String,
    reasons: String,
    about: String,
    /// The plan as a document, when the LA published one the viewer may see.
    document: Option<super::documents::DocumentRow>,
}

impl VersionPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

fn said(at: time::OffsetDateTime, what: String) -> Said {
    Said {
        when: london(at),
        what,
    }
}

/// The version page (with a response form's errors and entered values when sent back).
async fn render_version(
    app: &AppState,
    (session, viewer): (&HubSession, AccountId),
    view: &PlanView,
    version: &PlanVersion,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
) -> PageResult {
    let today = london_today(app.now());
    let current = view
        .case
        .current_consultation()
        .is_some_and(|p| p.number == version.number);
    let consultation = version.consultation.as_ref();
    let open = current && view.access.family && consultation.is_some_and(|c| today <= c.last_day);
    let sees_responses = view.access.la || view.access.family;
    let get = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let heading = format!("{} (version {})", version.kind.describe(), version.number);
    let document = super::documents::attached(
        app,
        viewer,
        view.case.id,
        &version.document.into_iter().collect::<Vec<_>>(),
    )
    .await?
    .pop();
    let page = VersionPage {
        document,
        layout: app.layout(session, &heading, true).await?,
        errors,
        id: view.case.id.to_string(),
        la_reference: view.case.la_reference.to_string(),
        number: version.number,
        kind: version.kind.describe(),
        served: long_date(version.served_on),
        banner: if current {
            banner(view, today).map(|(_, words)| words)
        } else {
            None
        },
        open,
        sees_responses,
        la: view.access.la,
        first_opened: consultation.map(|c| match c.first_opened {
            Some(o) => format!("First opened by the family on {}", london(o.at)),
            None => "Nobody in the family has opened it on the hub yet".to_owned(),
        }),
        sections: Section::ALL
            .iter()
            .map(|&s| SectionView {
                value: s.as_str(),
                field: section_field(s, true),
                letter: s.letter(),
                name: s.name(),
                paragraphs: paragraphs(version.text(s)),
                comments: consultation
                    .filter(|_| sees_responses)
                    .map(|c| {
                        c.comments
                            .iter()
                            .filter(|k| k.section == s)
                            .map(|k| said(k.at, k.text.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                entered: if form.is_some_and(|f| f.get("section") == s.as_str()) {
                    get("comment")
                } else {
                    String::new()
                },
            })
            .collect(),
        placements: consultation
            .filter(|_| sees_responses)
            .map(|c| {
                c.placement_requests
                    .iter()
                    .map(|r| {
                        let urn = r.urn.map(|u| format!(" (URN {u})")).unwrap_or_default();
                        said(r.at, format!("{}{urn}: {}", r.institution, r.reasons))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        meetings: consultation
            .filter(|_| sees_responses)
            .map(|c| {
                c.meeting_requests
                    .iter()
                    .map(|r| {
                        said(
                            r.at,
                            if r.about.is_empty() {
                                "A meeting was asked for".to_owned()
                            } else {
                                format!("A meeting was asked for: {}", r.about)
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        institution: get("institution"),
        urn: get("urn"),
        reasons: get("reasons"),
        about: get("about"),
    };
    super::form_response(&page, !page.errors.is_empty())
}

pub(crate) async fn version_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path((raw_id, raw_number)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Ok(number) = raw_number.parse::<u32>() else {
        return crate::pages::not_found(State(app)).await;
    };
    let view = match app
        .cases()
        .plan(account, id, Some(number), app.now(), origin)
        .await
    {
        Ok(v) => v,
        Err(e) => return super::refused(&app, e).await,
    };
    let Some(version) = view.case.plan_version(number) else {
        return crate::pages::not_found(State(app)).await;
    };
    render_version(&app, (&session, account), &view, version, None, Vec::new()).await
}

/// The field a refused response is shown at.
fn response_field(response: &FamilyResponse, e: &PlanError) -> &'static str {
    match (response, e) {
        (
            FamilyResponse::Placement { .. },
            PlanError::Text(CaseError::Missing("why you want it named"))
            | PlanError::Text(CaseError::TooLong {
                what: "The reasons",
                ..
            }),
        ) => "reasons",
        (FamilyResponse::Placement { .. }, _) => "institution",
        (FamilyResponse::Meeting { .. }, _) => "about",
        (FamilyResponse::Comment { section, .. }, _) => section_field(*section, true),
    }
}

pub(crate) async fn respond_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, raw_number, kind)): Path<(String, String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Ok(number) = raw_number.parse::<u32>() else {
        return crate::pages::not_found(State(app)).await;
    };
    let now = app.now();
    let view = match app.cases().plan(account, id, None, now, None).await {
        Ok(v) => v,
        Err(e) => return super::refused(&app, e).await,
    };
    let Some(version) = view.case.plan_version(number) else {
        return crate::pages::not_found(State(app)).await;
    };
    let again = |errors: Vec<FieldError>| {
        render_version(
            &app,
            (&session, account),
            &view,
            version,
            Some(&form),
            errors,
        )
    };
    let one = |field: &'static str, message: String| vec![FieldError { field, message }];
    let response = match kind.as_str() {
        "comment" => match Section::parse(form.get("section")) {
            Some(section) => FamilyResponse::Comment {
                section,
                text: form.get("comment").to_owned(),
            },
            None => return again(one("comment-a", "Select a section to comment on".into())).await,
        },
        "placement" => {
            let raw = form.get("urn").trim();
            let urn = if raw.is_empty() {
                None
            } else {
                match Urn::parse(raw) {
                    Ok(u) => Some(u),
                    Err(e) => return again(one("urn", e.to_string())).await,
                }
            };
            FamilyResponse::Placement {
                institution: form.get("institution").to_owned(),
                urn,
                reasons: form.get("reasons").to_owned(),
            }
        }
        "meeting" => FamilyResponse::Meeting {
            about: form.get("about").to_owned(),
        },
        _ => return crate::pages::not_found(State(app.clone())).await,
    };
    match app
        .cases()
        .respond_to_plan(account, id, number, response.clone(), now, london_today(now), origin)
        .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/cases/{id}/plan/versions/{number}#{}",
            match &response {
                FamilyResponse::Comment { section, .. } => section_field(*section, true),
                FamilyResponse::Placement { .. } => "placement",
                FamilyResponse::Meeting { .. } => "meeting",
            }
        ))),
        Err(CaseServiceError::Plan(e)) => {
            again(one(response_field(&response, &e), e.to_string())).await
        }
        Err(CaseServiceError::NotAllowed) => {
            app.message(
                axum::http::StatusCode::FORBIDDEN,
                "You do not have permission to do this",
                &["Only the child's parent or carer, the young person and their advocate can comment on a plan. Nothing was changed."],
                Some((&format!("/cases/{id}/plan/versions/{number}"), "Go back to the plan")),
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

// ---- compare two versions ----------------------------------------------------------------------

/// The two versions asked for, as typed in the address.
#[derive(Deserialize)]
pub(crate) struct CompareParams {
    from: Option<String>,
    to: Option<String>,
}

/// One section compared: each run of words with whether it was added or removed.
pub(crate) struct ComparedSection {
    letter: &'static str,
    name: &'static str,
    changed: bool,
    runs: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "plan_compare.html")]
pub(crate) struct ComparePage {
    layout: Layout,
    errors: Vec<FieldError>,
    id: String,
    la_reference: String,
    choices: Vec<(u32, String)>,
    from: u32,
    to: u32,
    from_words: String,
    to_words: String,
    sections: Vec<ComparedSection>,
}

impl ComparePage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

pub(crate) async fn compare_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path(raw_id): Path<String>,
    Query(params): Query<CompareParams>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match who_and_case(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let view = match app.cases().plan(account, id, None, app.now(), origin).await {
        Ok(v) => v,
        Err(e) => return super::refused(&app, e).await,
    };
    let plans = &view.case.plans;
    let latest = plans.last().map_or(0, |p| p.number);
    let pick = |raw: &Option<String>, default: u32| -> Result<u32, ()> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|n| view.case.plan_version(*n).is_some())
                .ok_or(()),
        }
    };
    let mut errors = Vec::new();
    let from = pick(&params.from, latest.saturating_sub(1)).unwrap_or_else(|()| {
        errors.push(FieldError {
            field: "from",
            message: "Select a version of this case's plan to compare from".into(),
        });
        latest.saturating_sub(1)
    });
    let to = pick(&params.to, latest).unwrap_or_else(|()| {
        errors.push(FieldError {
            field: "to",
            message: "Select a version of this case's plan to compare with".into(),
        });
        latest
    });
    let describe = |n: u32| {
        view.case
            .plan_version(n)
            .map(|p| {
                format!(
                    "Version {n}: {}, {}",
                    p.kind.describe(),
                    long_date(p.served_on)
                )
            })
            .unwrap_or_default()
    };
    let sections = match (view.case.plan_version(from), view.case.plan_version(to)) {
        (Some(a), Some(b)) if errors.is_empty() => compare(a, b)
            .into_iter()
            .map(|c| ComparedSection {
                letter: c.section.letter(),
                name: c.section.name(),
                changed: c.changed,
                runs: c
                    .words
                    .into_iter()
                    .map(|w| match w {
                        WordChange::Same(s) => ("same", s),
                        WordChange::Added(s) => ("added", s),
                        WordChange::Removed(s) => ("removed", s),
                    })
                    .collect(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let page = ComparePage {
        layout: app.layout(&session, "Compare two versions", true).await?,
        errors,
        id: id.to_string(),
        la_reference: view.case.la_reference.to_string(),
        choices: plans
            .iter()
            .map(|p| (p.number, describe(p.number)))
            .collect(),
        from_words: describe(from),
        to_words: describe(to),
        from,
        to,
        sections,
    };
    super::form_response(&page, !page.errors.is_empty())
}
