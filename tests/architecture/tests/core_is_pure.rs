//! ARCHITECTURE.md, "the rule of the house": `ehc-core` depends on nothing that does I/O.

use std::process::Command;

/// Crates that do I/O or bring an async runtime; none may appear in ehc-core's normal
/// dependency tree.
const BANNED: &[&str] = &[
    "tokio",
    "sqlx",
    "sqlx-core",
    "axum",
    "axum-core",
    "hyper",
    "lettre",
    "reqwest",
    "mio",
];

#[test]
fn ehc_core_depends_on_no_io_crate() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "ehc-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .args([
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"),
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.lines().any(|l| l.starts_with("ehc-core ")),
        "not the core's tree:\n{tree}"
    );
    let found: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| BANNED.contains(name))
        .collect();
    assert!(
        found.is_empty(),
        "ehc-core depends on I/O crates: {found:?}\n{tree}"
    );
}
