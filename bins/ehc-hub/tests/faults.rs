//! Faults around a running `ehc-hub serve`: the mail server and GOV.UK Notify down (the code
//! page says sending is delayed; both messages go out once they are back), and SIGTERM under
//! load (requests in flight get their normal answer, the process exits 0, no queued message is
//! lost).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

mod support;

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ehc_core::outbox::OutboxQueue;
use ehc_core::ports::Clock;
use ehc_core::system::SystemClock;
use ehc_notification_tests::{NotifyOptions, NotifyStub, SmtpOptions, SmtpSink, wait_until};
use support::{
    Browser, HubProcess, PASSWORD, config, config_file, folder, free_port, invite, newest_code,
};

const DELAYED: &str = "Sending text messages is delayed";

/// A hub on SQLite in `dir`, its mail and texts going to `smtp_port` and `notify_port`: the
/// process and its configuration file.
fn hub(
    dir: &std::path::Path,
    smtp_port: u16,
    notify_port: u16,
) -> (HubProcess, std::path::PathBuf) {
    let port = free_port();
    let database = format!("sqlite://{}/hub.db", dir.display());
    let text = config(
        dir,
        &database,
        &format!("http://127.0.0.1:{port}"),
        smtp_port,
        notify_port,
        // Load from one address: no per-address limit in the way.
        "[web]\nrate_limit_burst = 1000\n",
    );
    let file = config_file(dir, "hub", port, &text);
    (HubProcess::start(&file, port), file)
}

/// Messages still waiting in the hub's outbox (the hub has stopped).
async fn pending(dir: &std::path::Path) -> usize {
    let store = ehc_store_sqlite::SqliteStore::open_file(
        dir.join("hub.db"),
        ehc_store_sqlite::SqliteStoreOptions::default(),
    )
    .await
    .unwrap();
    let far = SystemClock.now() + time::Duration::days(1);
    let claimed = store
        .claim_due(1_000, far, time::Duration::minutes(1))
        .await
        .unwrap();
    store.close().await;
    claimed.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mail_and_notify_down_codes_wait_the_page_says_so_and_both_go_out_when_they_return() {
    let dir = folder("mail-down");
    let (smtp_port, notify_port) = (free_port(), free_port());
    let (hub, file) = hub(&dir, smtp_port, notify_port);
    let base = format!("http://127.0.0.1:{}", hub.port);

    let jo = "jo.bloggs@anytown.gov.uk";
    let link = invite(&file, jo);
    let browser = Browser::new(&base);
    browser.register(&link).await;
    browser.password(jo, PASSWORD).await;
    browser
        .submit("/sign-in/method", "/sign-in/method", &[("method", "text")])
        .await;
    let page = browser
        .submit(
            "/sign-in/text",
            "/sign-in/text",
            &[("mobile", "07700 900123")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/code"));

    // The dispatcher's first attempt fails (nothing listens): the page says so.
    let mut delayed = false;
    for _ in 0..60 {
        let page = browser.get("/sign-in/code").await;
        assert_eq!(page.status, 200);
        if page.has(DELAYED) {
            delayed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(delayed, "the code page says sending is delayed");

    let smtp = SmtpSink::start(
        &dir.join("smtp"),
        &SmtpOptions {
            port: Some(smtp_port),
            ..SmtpOptions::default()
        },
    );
    let notify = NotifyStub::start(
        &dir.join("notify"),
        &NotifyOptions {
            port: Some(notify_port),
            ..NotifyOptions::default()
        },
    );
    let number = "+447700900123";
    assert!(
        wait_until(Duration::from_secs(30), || newest_code(&notify, number)
            .is_some()),
        "the text goes out once Notify is back"
    );
    assert_eq!(
        smtp.wait_for(1, Duration::from_secs(30)),
        1,
        "and the e-mail"
    );
    assert!(smtp.parsed()[0].rcpt_tos.contains(&jo.to_owned()));
    assert!(!browser.get("/sign-in/code").await.has(DELAYED));
    let code = newest_code(&notify, number).unwrap();
    let page = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    assert_eq!(page.location.as_deref(), Some("/cases"));
    assert_eq!(notify.accepted().len(), 1, "the text was sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_under_load_requests_in_flight_finish_the_process_exits_0_and_no_message_is_lost()
 {
    let dir = folder("sigterm");
    // A slow relay: each e-mail takes 3 s, so one is being sent when the signal comes.
    let smtp = SmtpSink::start(
        &dir.join("smtp"),
        &SmtpOptions {
            delay_ms: 3_000,
            ..SmtpOptions::default()
        },
    );
    let notify = NotifyStub::start(&dir.join("notify"), &NotifyOptions::default());
    let (mut hub, file) = hub(&dir, smtp.port(), notify.port());
    let port = hub.port;
    let base = format!("http://127.0.0.1:{port}");
    let jo = "jo.bloggs@anytown.gov.uk";
    Browser::new(&base).register(&invite(&file, jo)).await;
    assert_eq!(smtp.wait_for(1, Duration::from_secs(30)), 1);

    // A slow request: a sign-in whose body arrives in two parts, the second after the signal.
    let (session, csrf) = sign_in_form(&base).await;
    let body = format!(
        "csrf_token={}&email=jo.bloggs%40anytown.gov.uk&password=Wrong%21Password1",
        csrf
    );
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(
            format!(
                "POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {session}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();

    // Load: clients signing in with wrong passwords (each a password hash) until the hub
    // stops taking connections.
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let base = base.clone();
            tokio::spawn(async move {
                let browser = Browser::new(&base);
                let mut statuses = Vec::new();
                loop {
                    let Ok(page) = browser.client.get(format!("{base}/sign-in")).send().await
                    else {
                        return statuses;
                    };
                    statuses.push(page.status().as_u16());
                    let Ok(text) = page.text().await else {
                        return statuses;
                    };
                    let Some(start) = text.find("name=\"csrf_token\" value=\"") else {
                        return statuses;
                    };
                    let token = &text[start + 25..];
                    let token = &token[..token.find('"').unwrap()];
                    let Ok(answer) = browser
                        .client
                        .post(format!("{base}/sign-in"))
                        .form(&[
                            ("csrf_token", token),
                            ("email", "nobody@anytown.gov.uk"),
                            ("password", "Wrong!Password1"),
                        ])
                        .send()
                        .await
                    else {
                        return statuses;
                    };
                    statuses.push(answer.status().as_u16());
                }
            })
        })
        .collect();

    // A message queued just before the signal: the dispatcher is sending it (3 s) when it comes.
    invite(&file, "officer@anytown.gov.uk");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    hub.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_string(&mut answer))
        .await
        .expect("the slow request is answered")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("Enter a correct email address and password"),
        "the normal answer: {answer}"
    );

    let status = tokio::task::spawn_blocking(move || {
        let status = hub.wait_exit(Duration::from_secs(60));
        (status, hub)
    })
    .await
    .unwrap();
    let exit = status.0.expect("the hub exits after SIGTERM");
    assert!(exit.success(), "serve exited with {exit} on SIGTERM");
    for client in clients {
        let statuses = client.await.unwrap();
        assert!(!statuses.is_empty());
        assert!(
            statuses.iter().all(|s| *s == 200),
            "every answer under load was a page, none a fault: {statuses:?}"
        );
    }

    // The e-mail being sent at the signal was sent, once; nothing is left behind.
    let sent = smtp.raw_messages().len();
    let waiting = pending(&dir).await;
    assert_eq!(
        sent + waiting,
        2,
        "sent {sent}, waiting {waiting}: none lost"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(smtp.raw_messages().len(), sent, "none sent twice");
}

/// A new session's `ehc_session=…` cookie and the CSRF token of its sign-in form.
async fn sign_in_form(base: &str) -> (String, String) {
    let response = reqwest::get(format!("{base}/sign-in")).await.unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ehc_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = support::Page {
        status: response.status(),
        location: None,
        body: response.text().await.unwrap(),
    };
    (cookie, page.csrf())
}
