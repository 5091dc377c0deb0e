//! The command line as an operator uses it: `migrate` (twice), `invite` (nothing secret printed
//! outside development mode; bad input refused with a message, no panic), `dead-letters`, `serve` answering
//! `/healthz` and `/readyz` and stopping cleanly on SIGTERM, unknown configuration keys refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn hub(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("ehc-hub runs")
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ehc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    let file = dir.join("hub.toml");
    std::fs::write(
        &file,
        format!(
            "database_url = \"sqlite://{}/hub.db\"\ndata_dir = \"{}\"\n{extra}\n[la]\nname = \"Anytown Council\"\ncontact = \"01632 960000\"\n",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    file
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn migrate_twice_and_invite_print_nothing_secret_and_refuse_bad_input_with_a_message() {
    let dir = folder("invite");
    let file = config(&dir, "");
    for _ in 0..2 {
        let o = hub(&file, &["migrate"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("The database is up to date"));
    }
    let o = hub(
        &file,
        &[
            "invite",
            "--email",
            "officer@anytown.gov.uk",
            "--role",
            "la-officer",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Invitation queued"));
    assert!(
        !text(&o).contains("/register/"),
        "no link outside development mode: {}",
        text(&o)
    );
    for (args, says) in [
        (
            vec![
                "invite",
                "--email",
                "not an address",
                "--role",
                "la-officer",
            ],
            "email address",
        ),
        (
            vec!["invite", "--email", "jo@school.example", "--role", "sendco"],
            "--setting",
        ),
        (
            vec![
                "invite",
                "--email",
                "jo@school.example",
                "--role",
                "sendco",
                "--setting",
                "12",
            ],
            "URN",
        ),
        (
            vec!["invite", "--email", "jo@school.example", "--role", "head"],
            "unknown role",
        ),
    ] {
        let o = hub(&file, &args);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    let o = hub(&file, &["dead-letters"]);
    assert!(
        o.status.success() && text(&o).contains("No dead letters"),
        "{}",
        text(&o)
    );
    let o = hub(&file, &["dead-letters", "--retry", "nonsense"]);
    assert!(
        !o.status.success() && text(&o).contains("not a message id"),
        "{}",
        text(&o)
    );
    let o = hub(
        &file,
        &[
            "dead-letters",
            "--retry",
            "00000000-0000-4000-8000-000000000001",
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("no dead letter"),
        "{}",
        text(&o)
    );
    let dev = config(&folder("invite-dev"), "development = true");
    let o = hub(
        &dev,
        &[
            "invite",
            "--email",
            "jo@school.example",
            "--role",
            "sendco",
            "--setting",
            "100001",
        ],
    );
    assert!(
        text(&o).contains("/register/"),
        "the link in development mode: {}",
        text(&o)
    );
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    let dir = folder("config");
    let file = config(&dir, "listen_adress = \"127.0.0.1:1\"");
    let o = hub(&file, &["migrate"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("listen_adress"), "{}", text(&o));
}

#[test]
fn serve_answers_health_and_readiness_and_stops_cleanly_on_sigterm() {
    let dir = folder("serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = config(
        &dir,
        &format!(
            "listen = \"127.0.0.1:{port}\"\nweb = {{ govuk_frontend_dir = \"{}\" }}",
            dir.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    let mut health = None;
    for _ in 0..200 {
        health = get("/healthz");
        if health.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));
    assert!(get("/readyz").unwrap().starts_with("HTTP/1.1 200"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "serve exited with {exit} on SIGTERM");
}
