//! *Request an EHC needs assessment*: the online request, open to people without an account.
//!
//! A start page with the guidance, then question pages in the GOV.UK *question pages* pattern
//! (each with its own checks and error summary; the answers are kept in the session), *Check
//! your answers* with *Change* links, *Send request* (rate-limited per client address, see
//! [`crate::WebConfig::request_rate_limit_burst`]) and a confirmation panel with the reference.
//! A signed-in SENDCo also gets the school route for each of their settings. Before *Check your
//! answers*, a signed-in requester can add reports and evidence ([`documents`]), recorded on
//! the case as it is created. The rules are the core's ([`ehc_core::case::request`]); this
//! module only reads the forms and shows the pages.
//!
//! `/cases/{id}/request` shows a sent request to the people who take part in the case.

mod documents;

pub(crate) use documents::{UPLOAD_BURST, UPLOAD_PERIOD_SECONDS, upload_routes};

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use ehc_core::case::deadline::long_date;
use ehc_core::case::request::{
    AssessmentRequest, MAX_ANSWER, MAX_REQUEST_DOCUMENTS, RequestAnswers, RequestField, Requester,
};
use ehc_core::case::{CaseServiceError, RequestDocuments, SendRequestError};
use ehc_core::role::{Role, Urn};

use super::date_input::DateFields;
use crate::AppState;
use crate::client::Origin;
use crate::form::{CheckedForm, Fields};
use crate::pages::{FieldError, Layout, PageError, PageResult, html, messages_for, see_other};
use crate::session::HubSession;
use crate::times::london_today;

/// Where the answers wait in the session between the pages.
const DRAFT: &str = "assessment_request";
/// The reference and decision date of the request just sent, for the confirmation page.
const SENT: &str = "assessment_request_sent";

/// The open pages of the request.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/request", get(start_page))
        .route("/request/check", get(check_page))
        .route("/request/sent", get(sent_page))
        .route("/request/{step}", get(question_page).post(question_submit))
        .route("/cases/{id}/request", get(sent_request_page))
        .merge(documents::routes())
}

/// *Send request*: [`crate::router`] puts it behind its own per-address rate limit.
pub(crate) fn send_routes() -> Router<AppState> {
    Router::new().route("/request/send", post(send_submit))
}

/// The answers as typed, kept in the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Draft {
    requester: String,
    given_name: String,
    family_name: String,
    dob: DateFields,
    name: String,
    relationship: String,
    email: String,
    phone: String,
    working_well: String,
    not_working: String,
    might_help: String,
    sen_support: String,
    health: String,
    consent: bool,
    /// The files added on the documents step, in the order added.
    #[serde(default)]
    documents: Vec<documents::PendingDocument>,
    /// The number of the last file added (each gets the next).
    #[serde(default)]
    next_document: u32,
}

/// The question pages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Who,
    Child,
    You,
    Views,
    Support,
    Consent,
}

impl Step {
    const ALL: [Self; 6] = [
        Self::Who,
        Self::Child,
        Self::You,
        Self::Views,
        Self::Support,
        Self::Consent,
    ];

    fn slug(self) -> &'static str {
        match self {
            Self::Who => "who",
            Self::Child => "child",
            Self::You => "you",
            Self::Views => "views",
            Self::Support => "support",
            Self::Consent => "consent",
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    fn title(self) -> &'static str {
        match self {
            Self::Who => "Who is asking for the assessment?",
            Self::Child => "About the child or young person",
            Self::You => "Your details",
            Self::Views => "The child's and family's views",
            Self::Support => "Support so far and health",
            Self::Consent => "Sharing this request",
        }
    }

    fn next(self) -> String {
        Self::ALL
            .iter()
            .skip_while(|s| **s != self)
            .nth(1)
            .map_or_else(
                || documents::PAGE.to_owned(),
                |s| format!("/request/{}", s.slug()),
            )
    }

    fn previous(self) -> String {
        Self::ALL
            .iter()
            .rev()
            .skip_while(|s| **s != self)
            .nth(1)
            .map_or_else(
                || "/request".to_owned(),
                |s| format!("/request/{}", s.slug()),
            )
    }
}

/// The page and form field of each question.
fn place(field: RequestField) -> (Step, &'static str) {
    match field {
        RequestField::Requester => (Step::Who, "requester"),
        RequestField::ChildGivenName => (Step::Child, "given_name"),
        RequestField::ChildFamilyName => (Step::Child, "family_name"),
        RequestField::ChildDateOfBirth => (Step::Child, "dob-day"),
        RequestField::RequesterName => (Step::You, "name"),
        RequestField::Relationship => (Step::You, "relationship"),
        RequestField::Email => (Step::You, "email"),
        RequestField::Phone => (Step::You, "phone"),
        RequestField::WorkingWell => (Step::Views, "working_well"),
        RequestField::NotWorking => (Step::Views, "not_working"),
        RequestField::MightHelp => (Step::Views, "might_help"),
        RequestField::SenSupport => (Step::Support, "sen_support"),
        RequestField::Health => (Step::Support, "health"),
        RequestField::Consent => (Step::Consent, "consent"),
    }
}

/// Who may be chosen on the first page: (form value, words, the requester).
async fn requester_options(
    app: &AppState,
    session: &HubSession,
) -> Result<Vec<(String, String, Requester)>, PageError> {
    let mut options = vec![
        (
            "parent-carer".to_owned(),
            "I am the child's parent or carer".to_owned(),
            Requester::ParentCarer,
        ),
        (
            "young-person".to_owned(),
            "I am the young person (aged 16 to 25) and I am asking for myself".to_owned(),
            Requester::YoungPerson,
        ),
    ];
    let Some(account) = app.current(session).await?.signed_in_account() else {
        return Ok(options);
    };
    let now = app.now();
    let mut settings: Vec<Urn> = app
        .grants_of(account)
        .await?
        .into_iter()
        .filter(|g| g.is_active(now))
        .filter_map(|g| match g.role {
            Role::Sendco { setting } => Some(setting),
            _ => None,
        })
        .collect();
    settings.sort_unstable();
    settings.dedup();
    for (urn, name) in settings.iter().zip(app.setting_names(&settings).await?) {
        options.insert(
            0,
            (
                format!("sendco-{urn}"),
                format!("I am the SENDCo at {name}, asking for a pupil or student"),
                Requester::Sendco { setting: *urn },
            ),
        );
    }
    Ok(options)
}

impl Draft {
    /// The core's answers, and the date input's own message when the date of birth could not
    /// be read (the Design System's "must be a real date" and similar).
    fn answers(&self, options: &[(String, String, Requester)]) -> (RequestAnswers, Option<String>) {
        let dob = self.dob.date("the child's date of birth");
        let answers = RequestAnswers {
            requester: options
                .iter()
                .find(|(value, ..)| *value == self.requester)
                .map(|(.., r)| *r),
            child_given_name: self.given_name.clone(),
            child_family_name: self.family_name.clone(),
            child_date_of_birth: dob.as_ref().ok().copied(),
            requester_name: self.name.clone(),
            relationship: self.relationship.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            working_well: self.working_well.clone(),
            not_working: self.not_working.clone(),
            might_help: self.might_help.clone(),
            sen_support: self.sen_support.clone(),
            health: self.health.clone(),
            consent: self.consent,
        };
        (answers, dob.err())
    }

    /// Takes the fields of `step` from a posted form.
    fn take(&mut self, step: Step, form: &Fields) {
        let text = |name: &str| form.get(name).to_owned();
        match step {
            Step::Who => self.requester = text("requester"),
            Step::Child => {
                self.given_name = text("given_name");
                self.family_name = text("family_name");
                self.dob = DateFields::read(form, "dob");
            }
            Step::You => {
                self.name = text("name");
                self.relationship = text("relationship");
                self.email = text("email");
                self.phone = text("phone");
            }
            Step::Views => {
                self.working_well = text("working_well");
                self.not_working = text("not_working");
                self.might_help = text("might_help");
            }
            Step::Support => {
                self.sen_support = text("sen_support");
                self.health = text("health");
            }
            Step::Consent => self.consent = form.get("consent") == "yes",
        }
    }
}

/// Every problem of the answers on `today`, each with its page and form field.
fn problems(
    draft: &Draft,
    options: &[(String, String, Requester)],
    today: time::Date,
) -> Vec<(Step, FieldError)> {
    let (answers, dob_error) = draft.answers(options);
    let Err(errors) = AssessmentRequest::from_answers(&answers, today) else {
        return Vec::new();
    };
    errors
        .into_iter()
        .map(|e| {
            let (step, field) = place(e.field);
            let message = match (e.field, &dob_error) {
                (RequestField::ChildDateOfBirth, Some(m)) => m.clone(),
                _ => e.message,
            };
            (step, FieldError { field, message })
        })
        .collect()
}

async fn draft(session: &HubSession) -> Result<Draft, PageError> {
    Ok(session.0.get(DRAFT).await?.unwrap_or_default())
}

// ---- the pages -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "request_start.html")]
struct StartPage {
    layout: Layout,
    errors: Vec<FieldError>,
    /// [`MAX_REQUEST_DOCUMENTS`].
    most_files: usize,
}

/// One question of a page, as the generic question template draws it.
struct Question {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    /// `text`, `email`, `tel`, `textarea`, `date`, `radios` or `checkbox`.
    kind: &'static str,
    autocomplete: &'static str,
    value: String,
    date: DateFields,
    options: Vec<(String, String)>,
    checked: bool,
    error: Option<Vec<String>>,
}

impl Question {
    fn new(name: &'static str, kind: &'static str, label: &'static str) -> Self {
        Self {
            name,
            label,
            hint: "",
            kind,
            autocomplete: "off",
            value: String::new(),
            date: DateFields::default(),
            options: Vec::new(),
            checked: false,
            error: None,
        }
    }

    fn hint(self, hint: &'static str) -> Self {
        Self { hint, ..self }
    }

    fn value(self, value: &str) -> Self {
        Self {
            value: value.to_owned(),
            ..self
        }
    }

    fn autocomplete(self, autocomplete: &'static str) -> Self {
        Self {
            autocomplete,
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "request_question.html")]
struct QuestionPage {
    layout: Layout,
    errors: Vec<FieldError>,
    heading: &'static str,
    lead: Vec<String>,
    action: String,
    back: String,
    questions: Vec<Question>,
    max_answer: usize,
}

async fn start_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let signed_in = app.current(&session).await?.signed_in_account().is_some();
    html(&StartPage {
        layout: app
            .layout(&session, "Request an EHC needs assessment", signed_in)
            .await?,
        errors: Vec::new(),
        most_files: MAX_REQUEST_DOCUMENTS,
    })
}

async fn question_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(step): Path<String>,
) -> PageResult {
    let Some(step) = Step::parse(&step) else {
        return crate::pages::not_found(State(app)).await;
    };
    let session = HubSession(session);
    let mut draft = draft(&session).await?;
    let options = requester_options(&app, &session).await?;
    if step == Step::Who && draft.requester.is_empty() {
        // A signed-in SENDCo starts on the school route (listed first).
        if let Some((value, _, Requester::Sendco { .. })) = options.first() {
            draft.requester.clone_from(value);
        }
    }
    if step == Step::You && draft.email.is_empty() {
        draft.email = signed_in_email(&app, &session).await?;
    }
    render_question(&app, &session, step, &draft, &options, Vec::new()).await
}

async fn signed_in_email(app: &AppState, session: &HubSession) -> Result<String, PageError> {
    let Some(account) = app.current(session).await?.signed_in_account() else {
        return Ok(String::new());
    };
    let mut tx = app.inner.store.begin().await?;
    let email = tx.accounts().get(account).await?;
    tx.commit().await?;
    Ok(email
        .map(|a| a.email.as_entered().to_owned())
        .unwrap_or_default())
}

async fn render_question(
    app: &AppState,
    session: &HubSession,
    step: Step,
    draft: &Draft,
    options: &[(String, String, Requester)],
    errors: Vec<FieldError>,
) -> PageResult {
    let signed_in = app.current(session).await?.signed_in_account().is_some();
    let mut lead = Vec::new();
    let mut questions = match step {
        Step::Who => {
            if !options
                .iter()
                .any(|(.., r)| matches!(r, Requester::Sendco { .. }))
            {
                lead.push("If you are a SENDCo asking for a pupil or student of your school or college, sign in to the hub first: the request is then sent for your setting, which can follow the case.".to_owned());
            }
            let mut who = Question::new("requester", "radios", "Who is asking for the assessment?")
                .value(&draft.requester);
            who.options = options
                .iter()
                .map(|(value, words, _)| (value.clone(), words.clone()))
                .collect();
            vec![who]
        }
        Step::Child => {
            let mut dob = Question::new("dob", "date", "Date of birth")
                .hint("For example, 27 3 2015");
            dob.date = draft.dob.clone();
            vec![
                Question::new("given_name", "text", "First name").value(&draft.given_name),
                Question::new("family_name", "text", "Last name").value(&draft.family_name),
                dob,
            ]
        }
        Step::You => {
            lead.push("We will send you an email with a link to register for the hub, so you can follow the request. A SENDCo or a person already signed in can follow it straight away.".to_owned());
            vec![
                Question::new("name", "text", "Your full name")
                    .value(&draft.name)
                    .autocomplete("name"),
                Question::new("relationship", "text", "Your relationship to the child")
                    .hint("For example, mother, father, foster carer or grandparent. Leave this blank if you are the young person or a SENDCo.")
                    .value(&draft.relationship),
                Question::new("email", "email", "Email address")
                    .value(&draft.email)
                    .autocomplete("email"),
                Question::new("phone", "tel", "Phone number (optional)")
                    .hint("For example, 01632 960 001 or 07700 900 982")
                    .value(&draft.phone)
                    .autocomplete("tel"),
            ]
        }
        Step::Views => {
            lead.push("Tell us, in the child's words and yours. You can leave any of these blank: the local authority will ask again during the assessment.".to_owned());
            vec![
                Question::new("working_well", "textarea", "What is working well? (optional)")
                    .hint("At home, at school or college, with friends")
                    .value(&draft.working_well),
                Question::new("not_working", "textarea", "What is not working well? (optional)")
                    .hint("What is difficult, and since when")
                    .value(&draft.not_working),
                Question::new("might_help", "textarea", "What might help? (optional)")
                    .value(&draft.might_help),
            ]
        }
        Step::Support => vec![
            Question::new("sen_support", "textarea", "What SEN support has the child had so far? (optional)")
                .hint("For example, SEN support plans, extra help in class, speech and language therapy, and what difference it made")
                .value(&draft.sen_support),
            Question::new("health", "textarea", "Health information (optional)")
                .hint("Any diagnosis or medical condition, and the health professionals involved")
                .value(&draft.health),
        ],
        Step::Consent => {
            lead.push("To carry out an EHC needs assessment, the local authority asks professionals such as the school or college, an educational psychologist, health and social care for advice and information (regulation 6 of the SEN and Disability Regulations 2014). They see this request.".to_owned());
            let mut consent = Question::new(
                "consent",
                "checkbox",
                "I agree to the local authority sharing this request with the professionals it asks for advice",
            );
            consent.checked = draft.consent;
            vec![consent]
        }
    };
    for q in &mut questions {
        let field = if q.kind == "date" {
            format!("{}-day", q.name)
        } else {
            q.name.to_owned()
        };
        q.error = messages_for(&errors, &field);
    }
    let page = QuestionPage {
        layout: app.layout(session, step.title(), signed_in).await?,
        errors,
        heading: step.title(),
        lead,
        action: format!("/request/{}", step.slug()),
        back: step.previous(),
        questions,
        max_answer: MAX_ANSWER,
    };
    super::form_response(&page, !page.errors.is_empty())
}

async fn question_submit(
    State(app): State<AppState>,
    Path(step): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let Some(step) = Step::parse(&step) else {
        return crate::pages::not_found(State(app)).await;
    };
    let mut draft = draft(&session).await?;
    draft.take(step, &form);
    let options = requester_options(&app, &session).await?;
    let errors: Vec<FieldError> = problems(&draft, &options, london_today(app.now()))
        .into_iter()
        .filter(|(s, _)| *s == step)
        .map(|(_, e)| e)
        .collect();
    if !errors.is_empty() {
        return render_question(&app, &session, step, &draft, &options, errors).await;
    }
    session.0.insert(DRAFT, &draft).await?;
    Ok(see_other(&step.next()))
}

// ---- check your answers, send, confirmation ------------------------------------------------------

/// One row of a summary list: the question, the answer, and where to change it.
struct Answer {
    key: String,
    value: String,
    change: String,
}

#[derive(Template)]
#[template(path = "request_check.html")]
struct CheckPage {
    layout: Layout,
    errors: Vec<FieldError>,
    heading: String,
    sections: Vec<(&'static str, Vec<Answer>)>,
    checking: bool,
    back: String,
}

fn or_none(text: &str) -> String {
    if text.trim().is_empty() {
        "Not given".to_owned()
    } else {
        text.trim().to_owned()
    }
}

/// The summary list of a request: `request` as sent (with its child), the same questions as
/// the pages.
fn sections(
    who: String,
    child: (&str, &str, String),
    request: &AssessmentRequest,
) -> Vec<(&'static str, Vec<Answer>)> {
    let row = |key: &str, value: String, step: Step| Answer {
        key: key.to_owned(),
        value,
        change: format!("/request/{}", step.slug()),
    };
    vec![
        ("The request", vec![row("Who is asking", who, Step::Who)]),
        (
            "The child or young person",
            vec![
                row("First name", child.0.to_owned(), Step::Child),
                row("Last name", child.1.to_owned(), Step::Child),
                row("Date of birth", child.2, Step::Child),
            ],
        ),
        (
            "Contact details",
            vec![
                row("Name", request.requester_name.clone(), Step::You),
                row(
                    "Relationship to the child",
                    or_none(&request.relationship),
                    Step::You,
                ),
                row(
                    "Email address",
                    request.email.as_entered().to_owned(),
                    Step::You,
                ),
                row("Phone number", or_none(&request.phone), Step::You),
            ],
        ),
        (
            "Views",
            vec![
                row(
                    "What is working well",
                    or_none(&request.working_well),
                    Step::Views,
                ),
                row(
                    "What is not working well",
                    or_none(&request.not_working),
                    Step::Views,
                ),
                row("What might help", or_none(&request.might_help), Step::Views),
            ],
        ),
        (
            "Support and health",
            vec![
                row(
                    "SEN support so far",
                    or_none(&request.sen_support),
                    Step::Support,
                ),
                row(
                    "Health information",
                    or_none(&request.health),
                    Step::Support,
                ),
                row(
                    "Sharing with professionals",
                    "Agreed".to_owned(),
                    Step::Consent,
                ),
            ],
        ),
    ]
}

async fn check_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let draft = draft(&session).await?;
    let options = requester_options(&app, &session).await?;
    let today = london_today(app.now());
    // An unanswered or changed-since page comes first: the answers must pass before checking.
    if let Some((step, _)) = problems(&draft, &options, today).first() {
        return Ok(see_other(&format!("/request/{}", step.slug())));
    }
    let (answers, _) = draft.answers(&options);
    let Ok((request, child)) = AssessmentRequest::from_answers(&answers, today) else {
        return Ok(see_other("/request/who"));
    };
    let who = options
        .iter()
        .find(|(value, ..)| *value == draft.requester)
        .map(|(_, words, _)| words.clone())
        .unwrap_or_default();
    let signed_in = app.current(&session).await?.signed_in_account().is_some();
    html(&CheckPage {
        layout: app
            .layout(
                &session,
                "Check your answers before sending your request",
                signed_in,
            )
            .await?,
        errors: Vec::new(),
        heading: "Check your answers before sending your request".to_owned(),
        sections: sections(
            who,
            (
                &child.given_name,
                &child.family_name,
                long_date(child.date_of_birth),
            ),
            &request,
        )
        .into_iter()
        .chain([("Reports and evidence", files(&draft))])
        .collect(),
        checking: true,
        back: documents::PAGE.to_owned(),
    })
}

/// The check page's rows of the files added: each title with what it is, or "None added".
fn files(draft: &Draft) -> Vec<Answer> {
    let row = |key: &str, value: String| Answer {
        key: key.to_owned(),
        value,
        change: documents::PAGE.to_owned(),
    };
    if draft.documents.is_empty() {
        return vec![row("Files", "None added".to_owned())];
    }
    draft
        .documents
        .iter()
        .map(|d| row(d.title(), d.about()))
        .collect()
}

/// What the confirmation page shows.
#[derive(Debug, Serialize, Deserialize)]
struct Sent {
    reference: String,
    decision_due: Option<String>,
    email: String,
    invited: bool,
}

async fn send_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let mut draft = draft(&session).await?;
    let options = requester_options(&app, &session).await?;
    let by = app.current(&session).await?.signed_in_account();
    let (answers, _) = draft.answers(&options);
    let missing = documents::take_missing(&app, &mut draft).await?;
    if !missing.is_empty() {
        session.0.insert(DRAFT, &draft).await?;
        let list = format!("Files no longer kept: {}.", missing.join(", "));
        return app
            .message(
                StatusCode::CONFLICT,
                "Some files you added are no longer kept",
                &[
                    "Files added to a request are kept for a day, and your request was not sent in that time. Nothing was sent.",
                    &list,
                    "We have taken them out of your request. Upload them again, or continue without them.",
                ],
                Some((documents::PAGE, "Upload reports and evidence")),
            )
            .await;
    }
    let now = app.now();
    let files = RequestDocuments {
        files: draft
            .documents
            .iter()
            .map(documents::PendingDocument::new_document)
            .collect(),
        limits: *app.documents().limits(),
    };
    match app
        .cases()
        .send_request(by, &answers, files, now, london_today(now), origin)
        .await
    {
        Ok(sent) => {
            let sent = Sent {
                reference: sent.reference.to_string(),
                decision_due: sent.decision_due.map(long_date),
                email: answers.email.trim().to_owned(),
                // Every request sent signed out e-mails its address (an invitation, or for an
                // existing account a note that the LA gives access once it has checked), so the
                // page is the same whether the address has an account or not.
                invited: by.is_none(),
            };
            session.0.remove::<Draft>(DRAFT).await?;
            session.0.insert(SENT, &sent).await?;
            Ok(see_other("/request/sent"))
        }
        // The answers changed meaning since the check page (a day passed, a grant ended).
        Err(SendRequestError::Invalid(_)) => Ok(see_other("/request/check")),
        // Files added by someone signed in whose session has since ended.
        Err(SendRequestError::NotAllowed) if by.is_none() && !draft.documents.is_empty() => {
            app.message(
                StatusCode::FORBIDDEN,
                "Sign in to send the files you added",
                &["Only a person signed in to the hub can send files with a request. Nothing was sent. Sign in again, or remove the files and send the request without them."],
                Some((documents::PAGE, "Upload reports and evidence")),
            )
            .await
        }
        Err(e @ (SendRequestError::TooManyDocuments | SendRequestError::Document(_))) => {
            let problem = format!("{e}. Nothing was sent.");
            app.message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "A file you added cannot be sent",
                &[&problem],
                Some((documents::PAGE, "Upload reports and evidence")),
            )
            .await
        }
        Err(SendRequestError::NotAllowed) => {
            app.message(
                StatusCode::FORBIDDEN,
                "You cannot send this request for that setting",
                &["Only a SENDCo of the setting, signed in, can send a request for it. Nothing was sent. Go back to who is asking and choose again."],
                Some(("/request/who", "Who is asking")),
            )
            .await
        }
        Err(SendRequestError::Store(e)) => Err(e.into()),
        Err(e @ (SendRequestError::Invite(_) | SendRequestError::Randomness(_))) => {
            Err(PageError::Internal(e.to_string()))
        }
    }
}

#[derive(Template)]
#[template(path = "request_sent.html")]
struct SentPage {
    layout: Layout,
    errors: Vec<FieldError>,
    sent: Sent,
    signed_in: bool,
}

async fn sent_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let Some(sent) = session.0.get::<Sent>(SENT).await? else {
        return Ok(see_other("/request"));
    };
    let signed_in = app.current(&session).await?.signed_in_account().is_some();
    html(&SentPage {
        layout: app.layout(&session, "Request sent", signed_in).await?,
        errors: Vec::new(),
        sent,
        signed_in,
    })
}

/// The request as sent, for the people who take part in the case (not a contributor, who
/// sees only their own advice request).
async fn sent_request_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&id) else {
        return crate::pages::not_found(State(app)).await;
    };
    let view = match app.cases().view(account, id, app.now(), origin).await {
        Ok(v) => v,
        Err(e) => return super::refused(&app, e).await,
    };
    let (true, Some(request)) = (view.access.is_participant(), view.case.request.as_ref()) else {
        return super::refused(&app, CaseServiceError::NotFound).await;
    };
    let who = match request.requester {
        Requester::Sendco { setting } => format!(
            "Sent by a SENDCo at {}",
            app.setting_names(&[setting]).await?.concat()
        ),
        other => format!("Sent by {}", other.describe()),
    };
    let child = &view.case.child;
    html(&CheckPage {
        layout: app
            .layout(&session, "Request for an EHC needs assessment", true)
            .await?,
        errors: Vec::new(),
        heading: format!(
            "Request for an EHC needs assessment: {}",
            view.case.la_reference
        ),
        sections: sections(
            who,
            (
                &child.given_name,
                &child.family_name,
                long_date(child.date_of_birth),
            ),
            request,
        ),
        checking: false,
        back: format!("/cases/{id}"),
    })
}
