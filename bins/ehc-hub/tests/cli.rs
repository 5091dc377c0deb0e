//! The command line as an operator uses it: `migrate` (twice), `invite` (nothing secret printed
//! outside development mode; bad input refused with a message, no panic), `dead-letters`,
//! `import-settings` (GIAS files, all or nothing), `sweep-documents`, `serve` answering
//! `/healthz` and `/readyz` and stopping cleanly on SIGTERM, unknown configuration keys refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

mod support;

use support::folder;

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
    let port = support::free_port();
    // A production hub scans uploads with a real clamd (Debian's clamav-daemon).
    let clamd = ehc_clamav::test_support::TestClamd::start();
    let file = config(
        &dir,
        &format!(
            "listen = \"127.0.0.1:{port}\"\nweb = {{ govuk_frontend_dir = \"{}\" }}\nclamav = {{ address = \"{}\" }}",
            dir.display(),
            clamd.unix_address()
        ),
    );
    let mut hub = support::HubProcess::start(&file, port);
    assert!(
        support::raw_get(port, "/readyz")
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    hub.terminate();
    let exit = hub.wait_exit(Duration::from_secs(60)).expect("serve exits");
    assert!(exit.success(), "serve exited with {exit} on SIGTERM");
}

#[test]
fn serve_without_clamav_outside_development_refuses_to_start_and_says_why() {
    let dir = folder("serve-no-clamav");
    let file = config(&dir, "listen = \"127.0.0.1:0\"");
    let o = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("[clamav] address is not set: every upload must be scanned"),
        "{}",
        text(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// import-settings: GIAS's establishment file, all or nothing.

/// A fixture of tests/fixtures/gias.
fn gias(name: &str) -> String {
    format!(
        "{}/../../tests/fixtures/gias/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Every setting of the hub's SQLite file with a URN in 100000–100099, read through the store.
fn settings_in(dir: &Path) -> Vec<ehc_core::setting::EducationSetting> {
    use ehc_core::ports::Store;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = ehc_store_sqlite::SqliteStore::open_file(
            dir.join("hub.db"),
            ehc_store_sqlite::SqliteStoreOptions::default(),
        )
        .await
        .unwrap();
        let urns: Vec<_> = (100_000..=100_099)
            .map(|n: u32| ehc_core::setting::Urn::parse(&n.to_string()).unwrap())
            .collect();
        let mut tx = store.begin().await.unwrap();
        let settings = tx.settings().get_many(&urns).await.unwrap();
        drop(tx);
        store.close().await;
        settings
    })
}

#[test]
fn import_settings_loads_a_gias_file_and_a_second_run_updates_by_urn() {
    let dir = folder("import-settings");
    let file = config(&dir, "");

    let o = hub(&file, &["import-settings", &gias("settings.csv")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Imported 12 education settings: 12 new, 0 updated\n"
    );
    assert!(
        o.stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    let first = settings_in(&dir);
    assert_eq!(first.len(), 12);
    assert_eq!(first[0].name, "Anytown Primary School");
    assert_eq!(first[0].la_code.to_string(), "999");

    let o = hub(&file, &["import-settings", &gias("settings.csv")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Imported 12 education settings: 0 new, 12 updated"),
        "{}",
        text(&o)
    );
    assert_eq!(settings_in(&dir), first, "the same file changes nothing");

    let o = hub(&file, &["import-settings", &gias("updated.csv")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Imported 13 education settings: 1 new, 12 updated"),
        "{}",
        text(&o)
    );
    let now = settings_in(&dir);
    assert_eq!(now.len(), 13);
    assert_eq!(now[1].name, "Anytown Church of England Primary Academy");
    assert_eq!(now[1].kind, "Academy converter");
    assert_eq!(
        now[0].status,
        ehc_core::setting::SettingStatus::Closed,
        "100001 closed"
    );
    assert_eq!(now[12].name, "Brightwater Primary Academy");
    assert_eq!(now[2..12], first[2..12], "the others are as they were");
}

#[test]
fn import_settings_refuses_each_bad_file_with_its_reason_and_changes_nothing() {
    let dir = folder("import-settings-bad");
    let file = config(&dir, "");
    let o = hub(&file, &["import-settings", &gias("settings.csv")]);
    assert!(o.status.success(), "{}", text(&o));
    let before = settings_in(&dir);

    for (fixture, says) in [
        (
            "bad-urn.csv",
            "Nothing was imported. Line 3: the URN \"10O003\" is not a URN",
        ),
        (
            "not-utf8.csv",
            "Nothing was imported. Line 3: this line is not UTF-8 text; GIAS downloads are \
             Windows-1252: convert the file with `iconv -f WINDOWS-1252 -t UTF-8`",
        ),
        (
            "wrong-columns.csv",
            "Nothing was imported. The file is not a GIAS establishment file: its header row \
             (line 1) has no “URN” or “EstablishmentStatus (name)” column",
        ),
        (
            "header-only.csv",
            "Nothing was imported. The file has GIAS's header row but no settings under it",
        ),
        ("no-such-file.csv", "cannot open"),
    ] {
        let o = hub(&file, &["import-settings", &gias(fixture)]);
        assert_eq!(o.status.code(), Some(1), "{fixture}: {}", text(&o));
        assert!(text(&o).contains(says), "{fixture}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{fixture}: {}", text(&o));
        assert!(!text(&o).contains("Imported"), "{fixture}: {}", text(&o));
        assert_eq!(settings_in(&dir), before, "{fixture} changed nothing");
    }
}

#[test]
fn send_reminders_runs_once_for_cron_and_says_what_it_sent() {
    let dir = folder("reminders");
    let file = config(&dir, "");
    let o = hub(&file, &["send-reminders"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Timed alerts: 0 sent on 0 cases (0 left for the next run)."),
        "{}",
        text(&o)
    );
}

#[test]
fn sweep_documents_removes_old_files_no_document_uses_and_keeps_new_ones() {
    let dir = folder("sweep");
    let file = config(&dir, "");
    // Where the disk store keeps content: documents/ab/cd/<sha256>.
    let place = |hex: &str| {
        let folder = dir.join("documents").join(&hex[..2]).join(&hex[2..4]);
        std::fs::create_dir_all(&folder).unwrap();
        folder.join(hex)
    };
    let old = place(&"ab".repeat(32));
    let new = place(&"cd".repeat(32));
    std::fs::write(&old, b"a request never sent").unwrap();
    std::fs::write(&new, b"a request being filled in").unwrap();
    // Last written in 2020.
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000))
        .unwrap();
    let o = hub(&file, &["sweep-documents"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o)
            .contains("Document files no document uses, removed: 1. Older files in use, kept: 0."),
        "{}",
        text(&o)
    );
    assert!(!old.exists(), "the old file no document uses is removed");
    assert!(new.exists(), "a file written within the day is kept");
}
