//! `ehc-bench-tray`: on a database seeded by `ehc-seed-cases`, measures `CaseService::tray`
//! (page 1 and page 5 of the default order, and the *overdue* filter) and `CaseService::view`
//! of the first case of the tray, `--runs` times each, for an LA officer, the SENDCo of the
//! busiest setting and a parent. Prints p50, p95 and the maximum, in milliseconds.
//!
//! ```text
//! ehc-bench-tray --database-url sqlite:///tmp/bench.db --runs 200
//! ```

use anyhow::Result;
use clap::Parser;
use ehc_bench_cases::{AnyStore, bench, open, viewers};

#[derive(Parser)]
#[command(about = "Measures the work trays and the case page on a seeded hub database")]
struct Args {
    /// `sqlite:///path/hub.db` or `postgres://user@host:port/database`.
    #[arg(long)]
    database_url: String,
    /// Measured runs of each operation (after 5 warm-up runs).
    #[arg(long, default_value_t = 200)]
    runs: u32,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let store = open(&args.database_url).await?;
    for (role, id, email) in viewers() {
        eprintln!("{role:<10} {} {email}", id.0);
    }
    let timings = match &store {
        AnyStore::Sqlite(s) => bench(s, args.runs).await?,
        AnyStore::Postgres(s) => bench(s, args.runs).await?,
    };
    println!(
        "{:<10} {:<13} {:>5} {:>7} {:>8} {:>8} {:>8}",
        "viewer", "operation", "rows", "total", "p50 ms", "p95 ms", "max ms"
    );
    for t in &timings {
        println!(
            "{:<10} {:<13} {:>5} {:>7} {:>8.2} {:>8.2} {:>8.2}",
            t.viewer,
            t.operation,
            t.rows,
            t.total,
            t.p50(),
            t.p95(),
            t.max()
        );
    }
    println!("(case view: rows = timeline entries shown, total = events of the case)");
    match store {
        AnyStore::Sqlite(s) => s.close().await,
        AnyStore::Postgres(s) => s.close().await,
    }
    Ok(())
}
