//! The development *Outbox* page (`/dev/outbox`, only with `development = true`): the e-mails of
//! the development mailbox and the texts of the development text log, newest first, so a person
//! trying the demo can follow the registration link and read the security code in the browser.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::path::PathBuf;

/// A piece of a line: text, or a link.
enum Piece {
    Text(String),
    Link(String),
}

struct Mail {
    to: String,
    subject: String,
    lines: Vec<Vec<Piece>>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head><meta charset="utf-8"><title>Outbox (development) – EHC Hub</title>
<link rel="stylesheet" href="/assets/govuk-frontend.min.css"><link rel="stylesheet" href="/static/hub.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">Outbox (development only)</h1>
<p class="govuk-body">What the hub has sent, newest first. A real hub sends these by e-mail and text message. <a class="govuk-link" href="/dev/outbox">Refresh</a></p>
<h2 class="govuk-heading-m">Text messages</h2>
{% if texts.is_empty() %}<p class="govuk-body">No texts yet.</p>{% endif %}
{% for t in texts %}<div class="govuk-inset-text"><pre class="govuk-body">{{ t }}</pre></div>{% endfor %}
<h2 class="govuk-heading-m">E-mails</h2>
{% if mails.is_empty() %}<p class="govuk-body">No e-mails yet.</p>{% endif %}
{% for m in mails %}<div class="govuk-inset-text">
<p class="govuk-body"><strong>To:</strong> {{ m.to }}<br><strong>Subject:</strong> {{ m.subject }}</p>
{% for line in m.lines %}<p class="govuk-body">{% for piece in line %}{% match piece %}{% when Piece::Text(t) %}{{ t }}{% when Piece::Link(href) %}<a class="govuk-link" href="{{ href }}">{{ href }}</a>{% endmatch %}{% endfor %}</p>{% endfor %}
</div>{% endfor %}
</main></div></body></html>"#
)]
struct OutboxPage {
    texts: Vec<String>,
    mails: Vec<Mail>,
}

/// The page's route, reading `data_dir`.
pub fn routes(data_dir: PathBuf) -> Router {
    Router::new()
        .route("/dev/outbox", get(outbox))
        .with_state(data_dir)
}

async fn outbox(State(data_dir): State<PathBuf>) -> Response {
    let texts = read_texts(&data_dir);
    let mails = read_mails(&data_dir);
    match (OutboxPage { texts, mails }).render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The text log's entries, newest first (each begins with a `--- ` line).
fn read_texts(data_dir: &std::path::Path) -> Vec<String> {
    let log = std::fs::read_to_string(data_dir.join("texts.log")).unwrap_or_default();
    let mut entries: Vec<String> = log
        .split("--- ")
        .filter(|e| !e.trim().is_empty())
        .map(|e| format!("--- {}", e.trim_end()))
        .collect();
    entries.reverse();
    entries
}

/// The mailbox's messages, newest first.
fn read_mails(data_dir: &std::path::Path) -> Vec<Mail> {
    let Ok(dir) = std::fs::read_dir(data_dir.join("mailbox")) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            (
                p.metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH),
                p,
            )
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files
        .into_iter()
        .filter_map(|(_, path)| {
            let bytes = std::fs::read(&path).ok()?;
            let message = mail_parser::MessageParser::default().parse(&bytes)?;
            let to = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned();
            let subject = message.subject().unwrap_or_default().to_owned();
            let body = message
                .body_text(0)
                .map(|b| b.into_owned())
                .unwrap_or_default();
            Some(Mail {
                to,
                subject,
                lines: body.lines().map(pieces).collect(),
            })
        })
        .collect()
}

/// Splits a line into text and links (`http://…` or `https://…` words).
fn pieces(line: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            text.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            out.push(Piece::Link(word.to_owned()));
        } else {
            text.push_str(word);
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}
