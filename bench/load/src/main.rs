//! `ehc-load`: measures a running hub (see bench/web.sh, which starts one and runs this).
//!
//! 1. Registers the person of `--link`, signs in and sets up an authenticator app (codes from
//!    the key on the page), keeping that signed-in session.
//! 2. The bare argon2id rate: default parameters (m = 19456 KiB, t = 2, p = 1), one thread per
//!    core, for `--seconds`: the ceiling of password steps per second on these cores.
//! 3. The password step: `--password-clients` clients, each looping GET /sign-in (a session and
//!    its CSRF token) then POST of the right password, counting only posts the hub accepted
//!    (a redirect to the code page).
//! 4. The work tray: `--tray-clients` clients on the signed-in session, GET /cases, counting 200s.
//! 5. Documents (`--only documents`; see [`documents`]): upload and download throughput on the
//!    first case of the tray, then one big upload (`--big-mb`, default 200) whose start and end
//!    it prints so the script can read the hub's memory around it.
//!
//! 6. The soak (`--only soak`; see [`soak`]): a steady mixed load of sign-ins, code entries,
//!    trays and case pages at `--rate` requests per second from the people of `--link` and
//!    every `--soak-link`, with per-route latency, errors and the hub's memory over time.
//!
//! Prints one line per measurement, `name value unit`, for the script to collect.

mod documents;
mod soak;

use anyhow::{Context, Result, bail};
use clap::Parser;
use ehc_core::password::{Argon2idHasher, Argon2idParams, Password};
use ehc_core::second_factor::TotpSecret;
use ehc_core::system::OsSecretSource;
use reqwest::redirect::Policy;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// The hub, e.g. http://127.0.0.1:8090.
    #[arg(long)]
    base: String,
    /// A registration link of a person not yet registered.
    #[arg(long)]
    link: String,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent clients on the password step.
    #[arg(long, default_value_t = 4)]
    password_clients: usize,
    /// Concurrent clients on the work tray.
    #[arg(long, default_value_t = 16)]
    tray_clients: usize,
    /// Only this phase: argon2, password, tray, documents, soak (default: all but documents
    /// and soak).
    #[arg(long)]
    only: Option<String>,
    /// Documents phase: how many files, of how many MiB, then one big file of `--big-mb` MiB.
    #[arg(long, default_value_t = 5)]
    files: u32,
    /// Size of each file of the documents phase, in MiB.
    #[arg(long, default_value_t = 20)]
    file_mb: u64,
    /// Size of the big upload, in MiB (0: none).
    #[arg(long, default_value_t = 200)]
    big_mb: u64,
    /// Documents phase: then this many uploads of `--file-mb` MiB at the same time (0: none).
    #[arg(long, default_value_t = 4)]
    concurrent: u32,
    /// Soak: more registration links, each one more person of the soak (LA officers, who see
    /// the case of `--link`'s tray).
    #[arg(long = "soak-link")]
    soak_links: Vec<String>,
    /// Soak: requests per second, all people together.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Soak: tray and case pages per sign-in (at least).
    #[arg(long, default_value_t = 12)]
    pages: u32,
    /// Soak: the hub's process id, to read its memory (VmRSS).
    #[arg(long)]
    rss_pid: Option<u32>,
    /// Soak: where to write the memory readings (`seconds<TAB>KiB`).
    #[arg(long)]
    rss_tsv: Option<std::path::PathBuf>,
    /// Soak: seconds between memory readings.
    #[arg(long, default_value_t = 5)]
    rss_every: u64,
}

pub(crate) const PASSWORD: &str = "Harbour!Lights9";

pub(crate) fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()?)
}

pub(crate) fn between<'a>(body: &'a str, start: &str, end: char) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let rest = &body[from..];
    Some(&rest[..rest.find(end)?])
}

async fn csrf(client: &reqwest::Client, url: &str) -> Result<String> {
    let body = client.get(url).send().await?.text().await?;
    between(&body, "name=\"csrf_token\" value=\"", '"')
        .map(str::to_owned)
        .context("no CSRF token on the page")
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> Result<reqwest::Response> {
    Ok(client.post(url).form(fields).send().await?)
}

/// A registered person signed in with an authenticator app.
pub(crate) struct Person {
    /// The signed-in session.
    client: reqwest::Client,
    /// The person's e-mail address.
    email: String,
    /// The app's key, to compute codes with.
    secret: TotpSecret,
    /// The TOTP step (Unix time / 30) of the code that signed in.
    step: u64,
}

/// Unix time now, in seconds.
pub(crate) fn unix_now() -> Result<u64> {
    Ok(u64::try_from(
        ehc_core::ports::Clock::now(&ehc_core::system::SystemClock).unix_timestamp(),
    )?)
}

/// Registers the person of the registration `link` on the hub at `base`, signs in and sets up
/// an authenticator app (codes from the key on the page).
pub(crate) async fn set_up(base: &str, link: &str) -> Result<Person> {
    let c = client()?;
    let page = c.get(link).send().await?.text().await?;
    let email = between(&page, "You are registering as <strong>", '<')
        .context("the link is not a registration page")?
        .to_owned();
    let token = between(&page, "name=\"csrf_token\" value=\"", '"')
        .context("no token")?
        .to_owned();
    post(
        &c,
        link,
        &[
            ("csrf_token", &token),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await?;
    let token = csrf(&c, &format!("{base}/sign-in")).await?;
    post(
        &c,
        &format!("{base}/sign-in"),
        &[
            ("csrf_token", &token),
            ("email", &email),
            ("password", PASSWORD),
        ],
    )
    .await?;
    let token = csrf(&c, &format!("{base}/sign-in/method")).await?;
    post(
        &c,
        &format!("{base}/sign-in/method"),
        &[("csrf_token", &token), ("method", "app")],
    )
    .await?;
    let page = c
        .get(format!("{base}/sign-in/app"))
        .send()
        .await?
        .text()
        .await?;
    let key = between(&page, "id=\"key\">", '<')
        .context("no key")?
        .trim()
        .to_owned();
    let secret = TotpSecret::from_base32(&key).map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = between(&page, "name=\"csrf_token\" value=\"", '"')
        .context("no token")?
        .to_owned();
    let now = unix_now()?;
    let r = post(
        &c,
        &format!("{base}/sign-in/code"),
        &[("csrf_token", &token), ("code", &secret.code_at(now))],
    )
    .await?;
    if r.headers().get("location").and_then(|l| l.to_str().ok()) != Some("/cases") {
        bail!("the app set-up did not sign in");
    }
    // The recovery codes are shown once after set-up and saved before anything opens.
    let codes = format!("{base}/sign-in/recovery-codes");
    let token = csrf(&c, &codes).await?;
    let r = post(&c, &codes, &[("csrf_token", &token), ("saved", "yes")]).await?;
    if r.headers().get("location").and_then(|l| l.to_str().ok()) != Some("/cases") {
        bail!("the recovery codes could not be saved after set-up");
    }
    Ok(Person {
        client: c,
        email,
        secret,
        step: now / 30,
    })
}

fn argon2_rate(seconds: u64) -> Result<f64> {
    let hasher = Arc::new(Argon2idHasher::new(
        Argon2idParams::default(),
        Arc::new(OsSecretSource),
    )?);
    let password = Password::new(PASSWORD, 256).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hasher, password, stop, count) = (
                hasher.clone(),
                password.clone(),
                stop.clone(),
                count.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if hasher.hash_blocking(&password).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Runs `clients` loops of `one` for `seconds`; returns (accepted per second, p50 ms, p99 ms, refused).
async fn load<F, Fut>(clients: usize, seconds: u64, one: F) -> (f64, f64, f64, u64)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let one = one.clone();
            tokio::spawn(async move {
                let (mut ok, mut refused, mut latencies) = (0u64, 0u64, Vec::new());
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if one(i).await {
                        ok += 1;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        refused += 1;
                    }
                }
                (ok, refused, latencies)
            })
        })
        .collect();
    let (mut ok, mut refused, mut latencies) = (0, 0, Vec::new());
    for h in handles {
        if let Ok((o, r, l)) = h.await {
            ok += o;
            refused += r;
            latencies.extend(l);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (ok as f64 / elapsed, pick(0.5), pick(0.99), refused)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let phase = |name: &str| args.only.as_deref().is_none_or(|o| o == name);
    if args.only.as_deref() == Some("soak") {
        let mut people = Vec::new();
        for link in std::iter::once(&args.link).chain(&args.soak_links) {
            people.push(set_up(&args.base, link).await?);
        }
        let settings = soak::Settings {
            rate: args.rate,
            seconds: args.seconds,
            pages: args.pages,
            rss_pid: args.rss_pid,
            rss_tsv: args.rss_tsv.clone(),
            rss_every: args.rss_every,
        };
        return soak::run(&args.base, people, &settings).await;
    }
    if args.only.as_deref() == Some("documents") {
        let person = set_up(&args.base, &args.link).await?;
        return documents::run(
            &person.client,
            &args.base,
            documents::Sizes {
                count: args.files,
                mb: args.file_mb,
                big_mb: args.big_mb,
                concurrent: args.concurrent,
            },
        )
        .await;
    }
    let Person {
        client: signed_in,
        email,
        ..
    } = set_up(&args.base, &args.link).await?;
    println!(
        "cores {} count",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    if phase("argon2") {
        let rate = tokio::task::spawn_blocking(move || argon2_rate(args.seconds)).await??;
        println!("argon2id_rate {rate:.1} hashes/s");
    }
    if phase("password") {
        let clients: Arc<Vec<reqwest::Client>> = Arc::new(
            (0..args.password_clients)
                .map(|_| client())
                .collect::<Result<_>>()?,
        );
        let (base, email) = (Arc::new(args.base.clone()), Arc::new(email.clone()));
        let (rate, p50, p99, refused) = load(args.password_clients, args.seconds, move |i| {
            let (clients, base, email) = (clients.clone(), base.clone(), email.clone());
            async move {
                let c = &clients[i];
                let Ok(token) = csrf(c, &format!("{base}/sign-in")).await else {
                    return false;
                };
                match post(
                    c,
                    &format!("{base}/sign-in"),
                    &[
                        ("csrf_token", &token),
                        ("email", &email),
                        ("password", PASSWORD),
                    ],
                )
                .await
                {
                    Ok(r) => {
                        r.headers().get("location").and_then(|l| l.to_str().ok())
                            == Some("/sign-in/code")
                    }
                    Err(_) => false,
                }
            }
        })
        .await;
        println!(
            "password_step {rate:.1} accepted/s p50 {p50:.1} ms p99 {p99:.1} ms refused {refused}"
        );
    }
    if phase("tray") {
        let base = Arc::new(args.base.clone());
        let (rate, p50, p99, refused) = load(args.tray_clients, args.seconds, move |_| {
            let (c, base) = (signed_in.clone(), base.clone());
            async move {
                match c.get(format!("{base}/cases")).send().await {
                    Ok(r) => {
                        r.status() == reqwest::StatusCode::OK
                            && r.text()
                                .await
                                .is_ok_and(|b| b.contains("My cases in progress"))
                    }
                    Err(_) => false,
                }
            }
        })
        .await;
        println!("work_tray {rate:.1} pages/s p50 {p50:.1} ms p99 {p99:.1} ms refused {refused}");
    }
    Ok(())
}
