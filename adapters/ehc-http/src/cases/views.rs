//! *About Me* and *My Parent / Carer's Views* pages: every participant reads the family's
//! spaces; the family adds text, puts items in order and takes them out
//! ([`ehc_core::case::views`]).

use askama::Template;
use axum::extract::{Path, State};

use ehc_core::account::AccountId;
use ehc_core::case::views::{Direction, ViewContent, ViewSpace};
use ehc_core::case::{CaseError, CaseId, CaseServiceError, CaseView, ViewChange};

use crate::AppState;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::pages::{FieldError, Layout, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::london;

/// One item as shown.
struct Item {
    id: u32,
    text: String,
    /// For a document: its download address (`text` is its title).
    href: Option<String>,
    added: String,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "views.html")]
struct ViewsPage {
    layout: Layout,
    errors: Vec<FieldError>,
    id: String,
    la_reference: String,
    title: &'static str,
    space: &'static str,
    hint: &'static str,
    items: Vec<Item>,
    can_write: bool,
    text: String,
}

impl ViewsPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

fn hint(space: ViewSpace) -> &'static str {
    match space {
        ViewSpace::AboutMe => {
            "What the child or young person wants people to know: what they like and are good at, what is important to them, what helps them and what they find hard, and their hopes for the future. Write it with them, in their own words where you can."
        }
        ViewSpace::ParentCarer => {
            "Your views as a parent or carer: what is working well, what is not, what might help, and your hopes for your child's future."
        }
    }
}

async fn render(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    view: CaseView,
    space: ViewSpace,
    errors: Vec<FieldError>,
    text: String,
) -> PageResult {
    let shown: Vec<_> = view.case.views.shown(space).collect();
    let count = shown.len();
    let items = shown
        .into_iter()
        .enumerate()
        .map(|(n, item)| Item {
            id: item.id,
            text: match &item.content {
                ViewContent::Text { text } => text.clone(),
                ViewContent::Document { title, .. } => title.clone(),
            },
            href: match &item.content {
                ViewContent::Text { .. } => None,
                ViewContent::Document { document, .. } => {
                    Some(format!("/cases/{}/documents/{document}", view.case.id))
                }
            },
            added: if item.added_by == account {
                format!("Added by you at {}", london(item.added_at))
            } else {
                format!("Added at {}", london(item.added_at))
            },
            first: n == 0,
            last: n + 1 == count,
        })
        .collect();
    let page = ViewsPage {
        layout: app.layout(session, space.title(), true).await?,
        errors,
        id: view.case.id.to_string(),
        la_reference: view.case.la_reference.to_string(),
        title: space.title(),
        space: space.as_str(),
        hint: hint(space),
        items,
        can_write: view.access.family,
        text,
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// The page address's case and space; `None` (404) for anything else.
fn parse(raw_id: &str, raw_space: &str) -> Option<(CaseId, ViewSpace)> {
    Some((super::case_id(raw_id)?, ViewSpace::parse(raw_space)?))
}

pub(crate) async fn views_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path((raw_id, raw_space)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some((id, space)) = parse(&raw_id, &raw_space) else {
        return crate::pages::not_found(State(app)).await;
    };
    match app.cases().view(account, id, app.now(), origin).await {
        // A contributor sees only their own advice requests, not the family's spaces.
        Ok(view) if view.access.is_participant() => {
            render(
                &app,
                &session,
                account,
                view,
                space,
                Vec::new(),
                String::new(),
            )
            .await
        }
        Ok(_) => super::refused(&app, CaseServiceError::NotFound).await,
        Err(e) => super::refused(&app, e).await,
    }
}

pub(crate) async fn views_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, raw_space)): Path<(String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some((id, space)) = parse(&raw_id, &raw_space) else {
        return crate::pages::not_found(State(app)).await;
    };
    let action = form.get("action");
    let item = |prefix: &str| action.strip_prefix(prefix).and_then(|n| n.parse().ok());
    let change = if action == "add" {
        Some(ViewChange::AddText(form.get("text").to_owned()))
    } else if let Some(n) = item("up-") {
        Some(ViewChange::Move(n, Direction::Up))
    } else if let Some(n) = item("down-") {
        Some(ViewChange::Move(n, Direction::Down))
    } else {
        item("remove-").map(ViewChange::Remove)
    };
    let Some(change) = change else {
        return with_error(
            &app,
            &session,
            account,
            id,
            space,
            "text",
            "Choose what to do: add your text, move an item or take one out".to_owned(),
            &form,
        )
        .await;
    };
    match app
        .cases()
        .change_views(account, id, space, change, app.now(), origin)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/cases/{id}/views/{}", space.as_str()))),
        Err(CaseServiceError::Invalid(e)) => {
            let field = if matches!(e, CaseError::OutOfOrder(_)) {
                "items"
            } else {
                "text"
            };
            with_error(
                &app,
                &session,
                account,
                id,
                space,
                field,
                e.to_string(),
                &form,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}

/// The page again with one error and what the person typed.
#[allow(clippy::too_many_arguments)] // the page, its error and the form it keeps
async fn with_error(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    id: CaseId,
    space: ViewSpace,
    field: &'static str,
    message: String,
    form: &crate::form::Fields,
) -> PageResult {
    match app.cases().view(account, id, app.now(), None).await {
        // Only the case's participants see the spaces, on an error page too.
        Ok(view) if view.access.is_participant() => {
            render(
                app,
                session,
                account,
                view,
                space,
                vec![FieldError { field, message }],
                form.get("text").to_owned(),
            )
            .await
        }
        Ok(_) => super::refused(app, CaseServiceError::NotFound).await,
        Err(e) => super::refused(app, e).await,
    }
}
