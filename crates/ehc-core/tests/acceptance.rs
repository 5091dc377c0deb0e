//! Acceptance data of shared/acceptance/ (`passwords.tsv`, `totp-rfc6238.tsv`,
//! `hotp-rfc4226.tsv`, `phone-numbers.tsv`) run row by row against the core.
//!
//! The folder is `$EHC_ACCEPTANCE_DIR` when set, else `../../../shared/acceptance` from this
//! crate (CI clones the repository beside a copy of `shared/`). A missing file fails the test:
//! acceptance data that cannot be read must never pass silently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test crate: its helpers fail the test loudly, like the tests themselves"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use ehc_core::account::EmailAddress;
use ehc_core::password::{PasswordPolicy, PasswordRule};
use ehc_core::second_factor::{OtpCode, OtpCodeError, PhoneNumber, TotpSecret};
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder};

/// RFC 4226 / RFC 6238 seeds, as given in the comments of `totp-rfc6238.tsv`.
const SHA1_SEED: &[u8; 20] = b"12345678901234567890";
const SHA256_SEED: &[u8; 32] = b"12345678901234567890123456789012";
const SHA512_SEED: &[u8; 64] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// One data row, with its line number in the file for messages.
struct Row {
    line: usize,
    fields: Vec<String>,
}

fn acceptance_dir() -> PathBuf {
    match std::env::var_os("EHC_ACCEPTANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/acceptance"
        )),
    }
}

/// Reads `name`, skips `#` comments and blank lines, checks the header is `header` and that
/// every row has exactly that many tab-separated fields.
fn read_table(name: &str, header: &[&str]) -> Vec<Row> {
    let path = acceptance_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the acceptance file {} ({e}); set EHC_ACCEPTANCE_DIR to the folder \
             holding shared/acceptance/*.tsv",
            path.display()
        )
    });
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, first) = lines
        .next()
        .unwrap_or_else(|| panic!("{name} has no header line"));
    let found: Vec<&str> = first.split('\t').collect();
    assert_eq!(found, header, "{name}: unexpected columns");
    let rows: Vec<Row> = lines
        .map(|(line, l)| {
            let fields: Vec<String> = l.split('\t').map(str::to_owned).collect();
            assert_eq!(
                fields.len(),
                header.len(),
                "{name}:{line}: expected {} tab-separated fields in {l:?}",
                header.len()
            );
            Row { line, fields }
        })
        .collect();
    assert!(!rows.is_empty(), "{name} has no data rows");
    rows
}

/// Decodes the `\uXXXX` escapes of passwords.tsv (four hex digits, a Unicode scalar value).
fn decode_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = rest
            .get(at + 2..at + 6)
            .unwrap_or_else(|| panic!("truncated \\u escape in {text:?}"));
        let value = u32::from_str_radix(hex, 16)
            .unwrap_or_else(|e| panic!("bad \\u escape {hex:?} in {text:?}: {e}"));
        let c = char::from_u32(value)
            .unwrap_or_else(|| panic!("\\u{hex} in {text:?} is not a Unicode scalar value"));
        out.push(c);
        rest = &rest[at + 6..];
    }
    out.push_str(rest);
    out
}

fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(*SHA1_SEED)
}

fn unix(seconds: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap()).unwrap()
}

#[test]
fn every_row_of_passwords_tsv_gets_exactly_the_expected_broken_rules() {
    let email = EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap();
    let policy = PasswordPolicy::default();
    let mut failures = Vec::new();
    let rows = read_table("passwords.tsv", &["password", "confirmation", "expected"]);
    for Row { line, fields } in &rows {
        let password = decode_escapes(&fields[0]);
        let confirmation = if fields[1].is_empty() {
            password.clone()
        } else {
            decode_escapes(&fields[1])
        };
        let expected: Vec<&str> = match fields[2].as_str() {
            "ok" => vec![],
            codes => codes.split(',').map(str::trim).collect(),
        };
        let actual: Vec<&str> = match policy.check(&password, &confirmation, &email) {
            Ok(_) => vec![],
            Err(violations) => violations.rules().iter().map(PasswordRule::code).collect(),
        };
        let expected_set: BTreeSet<&str> = expected.iter().copied().collect();
        let actual_set: BTreeSet<&str> = actual.iter().copied().collect();
        if expected_set != actual_set || actual_set.len() != actual.len() {
            failures.push(format!(
                "passwords.tsv:{line}: {password:?} broke {actual:?}, expected {expected:?}"
            ));
        } else if expected != actual {
            failures.push(format!(
                "passwords.tsv:{line}: {password:?} broke {actual:?}, expected this order: \
                 {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rfc_6238_vector_gives_our_six_digit_code_and_the_rfc_eight_digit_codes() {
    let algorithms = [
        (1, Algorithm::SHA1, SHA1_SEED.as_slice()),
        (2, Algorithm::SHA256, SHA256_SEED.as_slice()),
        (3, Algorithm::SHA512, SHA512_SEED.as_slice()),
    ];
    let mut failures = Vec::new();
    let rows = read_table(
        "totp-rfc6238.tsv",
        &["unix_time", "sha1", "sha256", "sha512", "sha1_6_digits"],
    );
    for Row { line, fields } in &rows {
        let t: u64 = fields[0].parse().unwrap();
        // Our parameters and secret type: SHA-1, 6 digits, 30-second steps.
        let ours = rfc_secret().code_at(t);
        if ours != fields[4] {
            failures.push(format!(
                "totp-rfc6238.tsv:{line}: at {t} our code is {ours}, the RFC's last 6 digits are {}",
                fields[4]
            ));
        }
        // The library against the RFC's own 8-digit columns.
        for (column, algorithm, seed) in algorithms {
            let totp = Builder::new()
                .with_algorithm(algorithm)
                .with_digits(8)
                .with_step_duration(30)
                .with_secret(seed.to_vec())
                .build()
                .unwrap();
            let code = totp.generate(t).to_string();
            if code != fields[column] {
                failures.push(format!(
                    "totp-rfc6238.tsv:{line}: {algorithm} at {t} gives {code}, the RFC says {}",
                    fields[column]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rfc_6238_six_digit_code_is_accepted_at_its_own_step_by_the_verifier() {
    let mut failures = Vec::new();
    for Row { line, fields } in &read_table(
        "totp-rfc6238.tsv",
        &["unix_time", "sha1", "sha256", "sha512", "sha1_6_digits"],
    ) {
        let t: u64 = fields[0].parse().unwrap();
        let code = OtpCode::parse(&fields[4]).unwrap();
        let step = rfc_secret().matching_step(&code, unix(t));
        if step != Some(t / 30) {
            failures.push(format!(
                "totp-rfc6238.tsv:{line}: {} at {t} matched step {step:?}, expected {}",
                fields[4],
                t / 30
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rfc_4226_counter_code_is_our_totp_code_at_that_step() {
    let mut failures = Vec::new();
    for Row { line, fields } in &read_table("hotp-rfc4226.tsv", &["counter", "code"]) {
        let counter: u64 = fields[0].parse().unwrap();
        let ours = rfc_secret().code_at(counter * 30);
        if ours != fields[1] {
            failures.push(format!(
                "hotp-rfc4226.tsv:{line}: counter {counter} gives {ours}, the RFC says {}",
                fields[1]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_row_of_phone_numbers_tsv_becomes_its_e164_form_or_is_refused() {
    let mut failures = Vec::new();
    for Row { line, fields } in &read_table("phone-numbers.tsv", &["input", "expected"]) {
        let (input, expected) = (&fields[0], fields[1].as_str());
        match (PhoneNumber::parse(input, false), expected) {
            (Err(_), "invalid") => {}
            (Ok(n), "invalid") => failures.push(format!(
                "phone-numbers.tsv:{line}: {input:?} was accepted as {}, expected it refused",
                n.e164()
            )),
            (Ok(n), e164) if n.e164() == e164 => {}
            (Ok(n), e164) => failures.push(format!(
                "phone-numbers.tsv:{line}: {input:?} became {}, expected {e164}",
                n.e164()
            )),
            (Err(e), e164) => failures.push(format!(
                "phone-numbers.tsv:{line}: {input:?} was refused ({e:?}), expected {e164}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_rfc_code_081804_matches_at_1111111109_and_81804_is_not_a_code() {
    let at = unix(1_111_111_109);
    let code = OtpCode::parse("081804").unwrap();
    assert_eq!(
        rfc_secret().matching_step(&code, at),
        Some(1_111_111_109 / 30)
    );
    assert_eq!(OtpCode::parse("81804"), Err(OtpCodeError::NotSixDigits));
    // Padding the five digits some other way must not find the step either.
    let other = OtpCode::parse("818040").unwrap();
    assert_eq!(rfc_secret().matching_step(&other, at), None);
}
