//! Every form, posted with proptest-generated bodies — missing, repeated, huge and invalid
//! UTF-8 fields, words where numbers belong — answers a page, never a 5xx, and invalid input
//! changes nothing.

use ehc_core::account::EmailAddress;
use ehc_core::ports::Store as _;
use ehc_store_contract::{Backend, Fixture, SqliteFixture};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::support::{Hub, JO, PASSWORD};

const FIELDS: &[&str] = &[
    "csrf_token",
    "password",
    "confirm",
    "email",
    "method",
    "mobile",
    "code",
    "other",
];

/// One field's value: text, a number, raw bytes (often invalid UTF-8), or something huge.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "\\PC{0,40}".prop_map(String::into_bytes),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..40),
        (1usize..80_000).prop_map(|n| vec![b'A'; n]),
        Just(b"Harbour!Lights9".to_vec()),
        Just(b"app".to_vec()),
    ]
}

/// A form body: 0–6 fields, names drawn with repeats, values percent-encoded byte by byte.
fn body() -> impl Strategy<Value = (Vec<(usize, Vec<u8>)>, bool)> {
    (
        prop::collection::vec((0..FIELDS.len(), value()), 0..6),
        any::<bool>(),
    )
}

fn encode(fields: &[(usize, Vec<u8>)], token: Option<&str>) -> Vec<u8> {
    let mut parts: Vec<String> = fields
        .iter()
        .map(|(i, v)| {
            let value: String = v.iter().map(|b| format!("%{b:02X}")).collect();
            format!("{}={value}", FIELDS[*i])
        })
        .collect();
    if let Some(t) = token {
        parts.push(format!("csrf_token={t}"));
    }
    parts.join("&").into_bytes()
}

#[test]
fn random_form_bodies_never_cause_a_5xx_and_invalid_input_changes_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = runtime.block_on(SqliteFixture::new());
    let hub = runtime.block_on(Hub::start(fixture.store().clone()));
    let link = runtime.block_on(hub.invite(JO)).unwrap();
    let browser = hub.browser();
    let token = runtime.block_on(browser.get(&link)).csrf();
    let forms = [
        link.clone(),
        "/sign-in".into(),
        "/sign-in/method".into(),
        "/sign-in/text".into(),
        "/sign-in/code".into(),
        "/sign-in/resend".into(),
        "/sign-in/start-again".into(),
        "/sign-out".into(),
        "/session/keep-alive".into(),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(
        &((0..forms.len()), body()),
        |(form, (fields, with_token))| {
            let url = if forms[form].starts_with("http") {
                forms[form].clone()
            } else {
                format!("{}{}", hub.base, forms[form])
            };
            let body = encode(&fields, with_token.then_some(token.as_str()));
            let oversized = body.len() > 64 * 1024;
            let send = || {
                runtime.block_on(async {
                    browser
                        .client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone())
                        .send()
                        .await
                        .map(|r| r.status())
                })
            };
            // A pooled connection that the server closed after an over-size body fails at once;
            // the same request on a new connection then gets its answer.
            let status = send().or_else(|_| send());
            match status {
                Ok(status) => {
                    prop_assert!(!status.is_server_error(), "{status} from {}", forms[form]);
                }
                // A body over the 64 KiB limit is answered 413 at once; the client may still be
                // sending and see the connection closed instead.
                Err(e) if oversized => prop_assert!(!e.is_timeout(), "{e}"),
                Err(e) => return Err(TestCaseError::fail(format!("no answer: {e}"))),
            }
            Ok(())
        },
    );
    result.unwrap();
    // Nothing a random body did registered the invited person or signed anyone in.
    let registered = runtime.block_on(async {
        let mut tx = hub.store.begin().await.unwrap();
        tx.accounts()
            .find_by_email(&EmailAddress::parse(JO).unwrap())
            .await
            .unwrap()
    });
    assert!(registered.is_none(), "a random body registered an account");
    assert!(
        runtime
            .block_on(hub.store.audit())
            .iter()
            .all(|e| e.kind.as_str() != "signed-in")
    );
    // And the link and forms still work for the person.
    let done = runtime.block_on(browser.register(&link, PASSWORD, PASSWORD));
    assert!(done.has("Your registration is complete"));
    runtime.block_on(fixture.finish());
}

/// One part of a generated multipart body: a name (maybe none), maybe a file name, and bytes.
type RawPart = (Option<usize>, Option<String>, Vec<u8>);

const PART_NAMES: &[&str] = &["title", "kind", "for", "file", "csrf_token", "other", ""];

/// A multipart body by hand: the session's token first (or not), then `parts`, then the closing
/// boundary — or the body cut short, or a wrong boundary.
fn multipart(token: Option<&str>, parts: &[RawPart], ending: u8) -> Vec<u8> {
    let mut body = Vec::new();
    let mut part = |name: Option<&str>, file: Option<&str>, value: &[u8]| {
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data");
        if let Some(name) = name {
            body.extend_from_slice(format!("; name=\"{name}\"").as_bytes());
        }
        if let Some(file) = file {
            body.extend_from_slice(format!("; filename=\"{file}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    if let Some(token) = token {
        part(Some("csrf_token"), None, token.as_bytes());
    }
    for (name, file, value) in parts {
        part(name.map(|i| PART_NAMES[i]), file.as_deref(), value);
    }
    match ending % 3 {
        0 => body.extend_from_slice(b"--XyZ--\r\n"),
        1 => body.extend_from_slice(b"--Other--\r\n"),
        _ => body.truncate(body.len() / 2),
    }
    body
}

/// The upload form, posted with proptest-generated multipart bodies — text fields with any
/// bytes (over the 4 KiB a text field keeps, invalid UTF-8), parts with no name, repeated
/// fields, files that are no accepted type, wrong boundaries, bodies cut short — answers a
/// page, never a 5xx, and stores nothing.
pub async fn random_multipart_uploads_never_cause_a_5xx_and_store_nothing<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = crate::cases::officer(&hub).await;
    let request = crate::cases::Request::new("EHC-2026-0007", "Amara", "Okafor");
    let id = crate::cases::created(&officer, &request).await;
    let token = officer
        .get(&format!("/cases/{id}/documents/new"))
        .await
        .csrf();
    let url = format!("{}/cases/{id}/documents", hub.base);
    let part = (
        prop::option::of(0..PART_NAMES.len()),
        prop::option::of("\\PC{0,12}"),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "\\PC{0,40}".prop_map(String::into_bytes),
            (4_000usize..6_000).prop_map(|n| vec![b'A'; n]),
        ],
    );
    let bodies = (
        any::<bool>(),
        prop::collection::vec(part, 0..5),
        any::<u8>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 120,
        failure_persistence: None,
        ..Config::default()
    });
    let runtime = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&bodies, |(with_token, parts, ending)| {
            let body = multipart(with_token.then_some(token.as_str()), &parts, ending);
            let status = runtime.block_on(async {
                officer
                    .client
                    .post(&url)
                    .header("content-type", "multipart/form-data; boundary=XyZ")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status())
            });
            match status {
                Ok(status) => prop_assert!(!status.is_server_error(), "{status}"),
                Err(e) => return Err(TestCaseError::fail(format!("no answer: {e}"))),
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(crate::documents::rows(&hub, &id).await.is_empty());
    assert!(crate::documents::files_in(hub.documents.path()).is_empty());
}
