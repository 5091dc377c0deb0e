//! The demo in a real browser: `ehc-hub demo` is started on a free port with its own data
//! folder, then web/tests/journey.mjs walks the LA's guide in Debian's Chromium (playwright-core)
//! — registration, the app route with codes from `oathtool` and sign out and in (the LA officer,
//! who then works the demonstration cases: trays, filters, creating a case, recording a
//! decision, the case officer, an invitation, people and their roles), and the text route (the
//! SENDCo of setting 100001, who sees only that setting's cases), again with JavaScript turned
//! off — checking every page with axe-core (WCAG 2.2 AA) and saving a screenshot of each under
//! target/test-output/browser/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn require(tool: &str, why: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing ({why}); scripts/test-deps installs it"
    );
}

#[test]
fn the_guide_s_journey_works_in_chromium_with_no_accessibility_violations() {
    require("node", "runs playwright-core");
    require("chromium", "Debian's browser");
    require("oathtool", "computes the authenticator app's codes");
    let root = workspace();
    assert!(
        root.join("web/node_modules/playwright-core").exists(),
        "web/node_modules is missing: run `npm ci --prefix web` (scripts/test-deps does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile_dir();
    // One browser on one address makes more posts than the per-address limit allows.
    std::fs::create_dir_all(&data).unwrap();
    let config = data.join("hub.toml");
    std::fs::write(
        &config,
        "[la]\nname = \"Anytown Council\"\ncontact = \"SEND team: 01632 960000\"\n\
         [web]\nrate_limit_burst = 10000\n",
    )
    .unwrap();
    let mut hub = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
        .current_dir(&root)
        .arg("--config")
        .arg(&config)
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.join("hub"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    // The demo prints each person as "  Role: email" and, on the next line, their link.
    let mut links: Vec<(String, String)> = Vec::new();
    let mut person = String::new();
    for line in BufReader::new(hub.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if let Some(link) = line.trim().strip_prefix("Complete your registration: ") {
            links.push((person.clone(), link.to_owned()));
        } else if let Some((_, email)) = line.trim().rsplit_once(": ") {
            email.clone_into(&mut person);
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    assert_eq!(links.len(), 2, "the demo prints two registration links");
    let link_of = |email: &str| {
        links
            .iter()
            .find(|(e, _)| e == email)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("the demo prints no registration link for {email}"))
    };
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(port);
    let out_dir = root.join("target/test-output/browser");
    let status = Command::new("node")
        .current_dir(&root)
        .arg("web/tests/journey.mjs")
        .env("BASE", &base)
        .env("APP_LINK", link_of("officer@anytown.example")) // the LA officer
        .env("TEXT_LINK", link_of("jo.bloggs@example.gov.uk")) // the SENDCo of setting 100001
        .env("OUT_DIR", &out_dir)
        .status()
        .expect("node runs");
    let _ = hub.kill();
    let _ = hub.wait();
    let _ = std::fs::remove_dir_all(&data);
    assert!(
        status.success(),
        "the browser journey failed (see its output above)"
    );
}

fn wait_until_up(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the demo never listened on port {port}");
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ehc-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
