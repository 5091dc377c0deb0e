//! `ehc-seed-cases`: migrates the database at `--database-url` (`sqlite://…` or
//! `postgres://…`, which must be empty) and seeds it with made-up people and EHC cases through
//! the storage adapters (see the `ehc_bench_cases` crate). Prints the accounts to measure with.
//!
//! ```text
//! ehc-seed-cases --database-url sqlite:///tmp/bench.db --cases 100000 --settings 2000 --people 20000
//! ```

use anyhow::Result;
use clap::Parser;
use ehc_bench_cases::{AnyStore, PASSWORD, SeedPlan, open, seed, viewers};
use ehc_core::case::Stage;

#[derive(Parser)]
#[command(about = "Seeds an empty hub database with made-up EHC cases")]
struct Args {
    /// `sqlite:///path/hub.db` or `postgres://user@host:port/database`.
    #[arg(long)]
    database_url: String,
    /// Cases.
    #[arg(long, default_value_t = 100_000)]
    cases: u32,
    /// Education settings (one SENDCo each; URNs from 100000).
    #[arg(long, default_value_t = 2_000)]
    settings: u32,
    /// Accounts in all: 50 LA officers, the SENDCos, then parents, contributors and advocates.
    #[arg(long, default_value_t = 20_000)]
    people: u32,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let plan = SeedPlan {
        cases: args.cases,
        settings: args.settings,
        people: args.people,
    };
    let store = open(&args.database_url).await?;
    eprintln!("seeding {} ...", args.database_url);
    let (report, roster) = match &store {
        AnyStore::Sqlite(s) => seed(s, plan).await?,
        AnyStore::Postgres(s) => seed(s, plan).await?,
    };
    println!(
        "seeded {} cases, {} accounts ({} LA officers, {} SENDCos, {} parents, {} contributors, {} advocates), {} grants, {} events, {} timeline entries in {:.1} s",
        report.cases,
        report.accounts,
        roster.officers,
        roster.sendcos,
        roster.parents,
        roster.contributors,
        roster.advocates,
        report.grants,
        report.events,
        report.timeline,
        report.elapsed.as_secs_f64()
    );
    let stages: Vec<String> = Stage::ALL
        .iter()
        .zip(report.stages)
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    println!("stages: {}", stages.join(", "));
    if report.refused > 0 {
        println!(
            "events refused by the model (histories cut short): {}",
            report.refused
        );
    }
    println!("accounts to measure with (password {PASSWORD}):");
    for (role, id, email) in viewers() {
        println!("  {role:<10} {} {email}", id.0);
    }
    match store {
        AnyStore::Sqlite(s) => s.close().await,
        AnyStore::Postgres(s) => s.close().await,
    }
    Ok(())
}
