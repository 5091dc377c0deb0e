//! The case page: the summary, the tracker (every statutory date with its source, status and
//! the LA's guidance for the stage), the dated events, the timeline as far as the viewer may
//! see it, and the people involved. The LA's officers also get the back office's forms.
//! Every view is written to the audit log (by the case service).

use askama::Template;
use axum::extract::{Path, State};

use ehc_core::case::deadline::{Deadline, long_date};
use ehc_core::case::{CaseRole, CaseServiceError, CaseView, EventKind, Stage, WithdrawnEntry};

use crate::AppState;
use crate::client::Origin;
use crate::pages::{FieldError, Layout, PageError, PageResult, html, messages_for};
use crate::session::HubSession;
use crate::times::{london, london_today};

/// One statutory date of the tracker.
pub(crate) struct TrackerRow {
    pub(super) what: &'static str,
    pub(super) source: &'static str,
    pub(super) counts_from: String,
    pub(super) statutory: String,
    pub(super) moved_to: Option<String>,
    pub(super) actual: String,
    pub(super) status: String,
    pub(super) status_class: &'static str,
}

/// One stage of the tracker: its time limits and the LA's guidance for it.
pub(crate) struct StageSection {
    pub(super) number: usize,
    pub(super) name: &'static str,
    pub(super) state: &'static str,
    pub(super) state_class: &'static str,
    pub(super) guidance: String,
    pub(super) rows: Vec<TrackerRow>,
}

/// One line of a simple list: a date and what happened.
pub(crate) struct Dated {
    pub(super) when: String,
    pub(super) what: String,
}

/// One person involved.
pub(crate) struct Person {
    account: String,
    pub(super) email: String,
    pub(super) role: String,
    pub(super) until: Option<String>,
    revoke: Option<String>,
}

/// A record form the LA can open.
pub(crate) struct RecordLink {
    href: String,
    text: &'static str,
}

#[derive(Template)]
#[template(path = "case.html")]
pub(crate) struct CasePage {
    layout: Layout,
    errors: Vec<FieldError>,
    pub(super) id: String,
    version: i64,
    /// The request was sent online: its answers are on `/cases/{id}/request`.
    sent_online: bool,
    pub(super) child_name: String,
    pub(super) date_of_birth: String,
    pub(super) la_reference: String,
    pub(super) received: String,
    pub(super) stage: &'static str,
    pub(super) stages: Vec<StageSection>,
    pub(super) officer: String,
    pub(super) settings: Vec<String>,
    pub(super) family: Vec<(String, String)>,
    pub(super) participant: bool,
    la: bool,
    pub(super) tracker: Vec<TrackerRow>,
    pub(super) events: Vec<Dated>,
    pub(super) exceptions: Vec<Dated>,
    pub(super) withdrawn: Vec<Dated>,
    withdrawable: Vec<(String, String)>,
    pub(super) timeline: Vec<Dated>,
    pub(super) people: Vec<Person>,
    record_links: Vec<RecordLink>,
    officers: Vec<(String, String, bool)>,
    roles: Vec<(&'static str, &'static str)>,
    invite_email: String,
    link_setting: String,
    /// The family's spaces: (address, title, items shown).
    views: Vec<(String, &'static str, usize)>,
    meetings: Vec<super::meetings::MeetingLink>,
    schedule_meeting: bool,
    documents: Vec<super::documents::DocumentRow>,
    advice: super::advice::AdviceSection,
}

impl CasePage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

fn tracker_row(d: &Deadline, today: time::Date) -> TrackerRow {
    let status = d.status(today);
    TrackerRow {
        what: d.kind.describe(),
        source: d.kind.source(),
        counts_from: long_date(d.counts_from),
        statutory: long_date(d.statutory),
        moved_to: (d.due != d.statutory).then(|| long_date(d.due)),
        actual: d
            .met_on
            .map(long_date)
            .unwrap_or_else(|| "Not yet".to_owned()),
        status: status.describe(),
        status_class: super::status_tag(status.key()),
    }
}

/// The tracker by stage, in process order: each stage's guidance (the LA's words) and its
/// time limits with their statutory and actual dates. Stages before the current one are done;
/// on a closed case, the stages it never reached say so.
fn stage_sections(app: &AppState, view: &CaseView, today: time::Date) -> Vec<StageSection> {
    let current = view.case.stage();
    let at = |s: Stage| Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
    Stage::ALL
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != Stage::Closed || current == Stage::Closed)
        .map(|(i, stage)| {
            let rows: Vec<TrackerRow> = view
                .deadlines
                .iter()
                .filter(|d| d.kind.stage() == *stage)
                .map(|d| tracker_row(d, today))
                .collect();
            let (state, state_class) = if *stage == current {
                ("Current stage", "govuk-tag--blue")
            } else if current == Stage::Closed && rows.is_empty() {
                ("Not reached", "govuk-tag--grey")
            } else if at(*stage) < at(current) {
                ("Done", "govuk-tag--green")
            } else {
                ("To come", "govuk-tag--grey")
            };
            StageSection {
                number: i + 1,
                name: stage.describe(),
                state,
                state_class,
                guidance: app.guidance().for_stage(*stage).to_owned(),
                rows,
            }
        })
        .collect()
}

/// The record forms, with the words of their links.
pub(crate) const RECORD_KINDS: [(&str, &str); 15] = [
    ("decision-to-assess", "Decision whether to assess"),
    ("advice-requested", "Advice requested"),
    ("advice-received", "Advice received"),
    ("draft-plan-served", "Draft plan sent to the family"),
    ("final-plan-issued", "Final plan issued"),
    ("decision-not-to-issue", "Decision not to issue a plan"),
    ("review-meeting-scheduled", "Review meeting arranged"),
    ("review-meeting-held", "Review meeting held"),
    ("review-decision", "Review decision"),
    ("amendment-proposed", "Amendments proposed"),
    ("amended-plan-issued", "Amended plan issued"),
    ("phase-transfer", "Phase transfer"),
    ("transfer-in", "Transfer in from another local authority"),
    ("mediation-certificate", "Mediation certificate"),
    ("exception", "Exception to the time limits"),
];

/// Everything of the case page, for the page itself and for a back-office form shown again
/// with its errors.
pub(crate) async fn render(
    app: &AppState,
    session: &HubSession,
    viewer: ehc_core::account::AccountId,
    view: CaseView,
    errors: Vec<FieldError>,
    invite_email: String,
    link_setting: String,
) -> PageResult {
    html(
        &page(
            app,
            session,
            viewer,
            view,
            errors,
            invite_email,
            link_setting,
        )
        .await?,
    )
}

/// The case page's content as `viewer` may see it; also what the downloaded summary shows
/// (`super::download`), so both show the same things to the same person.
pub(super) async fn page(
    app: &AppState,
    session: &HubSession,
    viewer: ehc_core::account::AccountId,
    view: CaseView,
    errors: Vec<FieldError>,
    invite_email: String,
    link_setting: String,
) -> Result<CasePage, PageError> {
    let now = app.now();
    let today = london_today(now);
    let case = &view.case;
    let officers = if view.access.la {
        app.cases()
            .la_officers(viewer, now)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let id = case.id.to_string();
    let (meetings, schedule_meeting) = super::meetings::section(&view, viewer);
    let advice = super::advice::section(app, viewer, case.id, view.access.la)
        .await
        .map_err(|e| match e {
            CaseServiceError::Store(s) => PageError::from(s),
            other => PageError::Internal(other.to_string()),
        })?;
    let page = CasePage {
        advice,
        layout: app.layout(session, &case.child.full_name(), true).await?,
        errors,
        version: view.version,
        child_name: case.child.full_name(),
        date_of_birth: long_date(case.child.date_of_birth),
        la_reference: case.la_reference.to_string(),
        received: format!(
            "{} ({})",
            long_date(case.received_on),
            case.received_by.describe().to_lowercase()
        ),
        sent_online: case.request.is_some(),
        stage: case.stage().describe(),
        stages: stage_sections(app, &view, today),
        officer: view
            .officer_email
            .clone()
            .unwrap_or_else(|| "Not assigned yet".to_owned()),
        settings: app.setting_names(&case.settings).await?,
        family: case
            .family
            .iter()
            .map(|m| (m.name.clone(), m.relationship.clone()))
            .collect(),
        participant: view.access.is_participant(),
        views: ehc_core::case::views::ViewSpace::ALL
            .into_iter()
            .map(|space| {
                (
                    format!("/cases/{}/views/{}", view.case.id, space.as_str()),
                    space.title(),
                    view.case.views.shown(space).count(),
                )
            })
            .collect(),
        la: view.access.la,
        tracker: view
            .deadlines
            .iter()
            .map(|d| tracker_row(d, today))
            .collect(),
        events: if view.access.is_participant() {
            case.events
                .iter()
                .map(|e| Dated {
                    when: long_date(e.on),
                    what: e.kind.describe(),
                })
                .collect()
        } else {
            case.events
                .iter()
                .filter(|e| matches!(&e.kind, EventKind::AdviceRequested { contributor, .. } if contributor.is_some() && *contributor == view.access.contributor))
                .map(|e| Dated {
                    when: long_date(e.on),
                    what: e.kind.describe(),
                })
                .collect()
        },
        exceptions: if view.access.is_participant() {
            case.exceptions
                .iter()
                .map(|x| Dated {
                    when: format!("{} to {}", long_date(x.from), long_date(x.to)),
                    what: format!("{}: {}", x.kind.describe(), x.reason),
                })
                .collect()
        } else {
            Vec::new()
        },
        withdrawn: if view.access.is_participant() {
            case.withdrawn
                .iter()
                .map(|w| Dated {
                    when: london(w.at),
                    what: match &w.entry {
                        WithdrawnEntry::Event(e) => format!(
                            "{} on {} (withdrawn: {})",
                            e.kind.describe(),
                            long_date(e.on),
                            w.reason
                        ),
                        WithdrawnEntry::Exception(x) => format!(
                            "{}, {} to {} (withdrawn: {})",
                            x.kind.describe(),
                            long_date(x.from),
                            long_date(x.to),
                            w.reason
                        ),
                    },
                })
                .collect()
        } else {
            Vec::new()
        },
        withdrawable: case
            .events
            .last()
            .map(|e| {
                (
                    "last-event".to_owned(),
                    format!(
                        "The last event: {} on {}",
                        e.kind.describe(),
                        long_date(e.on)
                    ),
                )
            })
            .into_iter()
            .chain(case.exceptions.iter().enumerate().map(|(i, x)| {
                (
                    format!("exception-{i}"),
                    format!(
                        "Exception: {}, {} to {}",
                        x.kind.describe(),
                        long_date(x.from),
                        long_date(x.to)
                    ),
                )
            }))
            .collect(),
        timeline: view
            .timeline
            .iter()
            .map(|t| Dated {
                when: london(t.at),
                what: t.what.clone(),
            })
            .collect(),
        people: view
            .people
            .iter()
            .map(|p| Person {
                account: p.account.to_string(),
                email: p.email.clone(),
                role: p.role.clone(),
                until: p.expires_at.map(london),
                revoke: p.case_only.then(|| format!("/grants/{}/revoke", p.grant.0)),
            })
            .collect(),
        record_links: RECORD_KINDS
            .iter()
            .map(|(kind, text)| RecordLink {
                href: format!("/cases/{id}/record/{kind}"),
                text,
            })
            .collect(),
        officers: officers
            .into_iter()
            .map(|(a, email)| (a.to_string(), email, Some(a) == case.officer))
            .collect(),
        roles: CaseRole::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str(),
                    match r {
                        CaseRole::ParentCarer => "Parent or carer",
                        CaseRole::YoungPerson => "Young person",
                        CaseRole::Contributor => "Contributor of advice",
                    },
                )
            })
            .collect(),
        invite_email,
        link_setting,
        meetings,
        schedule_meeting,
        documents: super::documents::section(app, viewer, case.id).await?,
        id,
    };
    Ok(page)
}

pub(crate) async fn case_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path(raw): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw) else {
        return crate::pages::not_found(State(app)).await;
    };
    match app.cases().view(account, id, app.now(), origin).await {
        Ok(view) => {
            render(
                &app,
                &session,
                account,
                view,
                Vec::new(),
                String::new(),
                String::new(),
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}
