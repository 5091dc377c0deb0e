//! The terminal demo, driven as a person would drive it: the binary is started, its prompts are
//! read and answered through its standard input and output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// A running demo.
struct Demo {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Demo {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
            .arg("walk")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads output until a line containing `needle`, and returns that line. (The deadline only
    /// guards against a hung demo; it measures nothing.)
    fn until(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!(
                        "never saw {needle:?}; output so far:\n{}",
                        self.seen.join("\n")
                    )
                }
            }
        }
    }

    fn type_line(&mut self, text: &str) {
        writeln!(self.stdin, "{text}").expect("the demo reads its input");
    }

    /// The code at the start of a text message's body ("NNNNNN is your … security code").
    fn text_code(line: &str) -> String {
        line.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    fn finish(mut self) -> String {
        drop(self.stdin);
        let status = self.child.wait().expect("the demo exits");
        for line in self.lines.iter() {
            self.seen.push(line);
        }
        assert!(
            status.success(),
            "exit status {status}:\n{}",
            self.seen.join("\n")
        );
        self.seen.join("\n")
    }
}

fn register(demo: &mut Demo) {
    demo.until("Choose your password:");
    demo.type_line("harbour!lights9");
    demo.until("Confirm your password:");
    demo.type_line("harbour!lights9");
    demo.until("Password must contain at least one capital letter");
    demo.until("Choose your password:");
    demo.type_line("Harbour!Lights9");
    demo.until("Confirm your password:");
    demo.type_line("Harbour!Lights9");
    demo.until("Your account is ready");
}

fn password_step(demo: &mut Demo, password: &str) {
    demo.until("Email address");
    demo.type_line("Jo.Bloggs@Example.GOV.UK");
    demo.until("Password:");
    demo.type_line(password);
}

#[test]
fn a_person_registers_sets_up_texts_and_signs_in_twice_with_texted_codes() {
    let mut demo = Demo::start();
    demo.until("Complete your registration: http://");
    register(&mut demo);
    password_step(&mut demo, "Harbour!Lights8");
    demo.until("Enter a correct email address and password");
    password_step(&mut demo, "Harbour!Lights9");
    demo.until("Choose 1 or 2");
    demo.type_line("2");
    demo.until("Mobile phone number");
    demo.type_line("+44 (0)7700 900982");
    demo.until("--- text to +447700900982 ---");
    let code = Demo::text_code(&demo.until("EHC Hub security code"));
    demo.until("Enter the code");
    demo.type_line(&code);
    demo.until("Save your recovery codes");
    demo.until("Type anything once you have saved them:");
    demo.type_line("saved");
    demo.until("== My cases in progress ==");
    demo.until("SENDCo for education setting 100001");
    demo.until("to sign out");
    demo.type_line("sign out");
    demo.until("You have signed out");
    // A later sign-in texts a code from the password step itself, and shows the number masked.
    password_step(&mut demo, "Harbour!Lights9");
    let code = Demo::text_code(&demo.until("EHC Hub security code"));
    demo.until("mobile number ending in 0982");
    demo.until("Enter the code");
    demo.type_line(&code);
    demo.until("== My cases in progress ==");
    demo.type_line("quit");
    let output = demo.finish();
    assert!(output.contains("Goodbye."));
}

#[test]
fn a_person_sets_up_an_authenticator_app_after_starting_again() {
    let mut demo = Demo::start();
    register(&mut demo);
    password_step(&mut demo, "Harbour!Lights9");
    demo.until("Choose 1 or 2");
    demo.type_line("2");
    demo.until("Mobile phone number");
    demo.type_line("start again");
    demo.until("Choose 1 or 2");
    demo.type_line("1");
    let key = demo.until("Enter this key in your app:");
    let key = key.rsplit(": ").next().unwrap_or_default().to_owned();
    assert_eq!(key.split(' ').count(), 8, "8 groups: {key}");
    let uri = demo.until("Use a QR code instead:");
    assert!(uri.contains("otpauth://totp/Anytown%20Council:"), "{uri}");
    assert!(
        uri.contains(&format!("secret={}", key.replace(' ', ""))),
        "{uri}"
    );
    let hint = demo.until("shows now:");
    let code = hint.rsplit(": ").next().unwrap_or_default().to_owned();
    demo.until("Enter the 6-digit code");
    demo.type_line(&code);
    demo.until("Type anything once you have saved them:");
    demo.type_line("saved");
    demo.until("== My cases in progress ==");
    demo.type_line("quit");
    demo.finish();
}
