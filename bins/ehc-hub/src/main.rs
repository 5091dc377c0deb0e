//! `ehc-hub`: the EHC Hub's command line.
//!
//! Until the web adapter lands, the one command is `demo`: the LA's invitation, *Complete your
//! registration*, and the sign-in journey with its mandatory second factor, walked in the
//! terminal against the real core services, with in-memory storage, the real argon2id hasher,
//! the system clock and the operating system's random source. E-mails and texts are printed
//! where a real hub would send them.

mod demo;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ehc-hub", version, about = "The EHC Hub")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk the invitation, registration and sign-in journey in the terminal (in memory;
    /// nothing is kept).
    Demo(demo::DemoArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
    }
}
