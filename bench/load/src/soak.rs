//! The soak phase of `ehc-load` (`--only soak`, run by bench/soak.sh): a steady mixed load for
//! `--seconds` — sign-ins (password, a wrong code, then the app's code), work trays, case pages
//! and sign-outs — from several people at a fixed request rate, not as fast as possible.
//!
//! Every `1 / --rate` seconds the next idle person (round robin) sends their next request; a
//! tick with every person still waiting for an answer is counted as missed (the hub is not
//! keeping up). Each person goes round: sign in (GET and POST `/sign-in`, GET `/sign-in/code`,
//! a wrong code, the app's code), then the work tray and the first case's page in turn
//! (`--pages` of them, more while the app has no new code: a TOTP step is accepted once), then
//! sign out. Every answer is checked; anything else (a 5xx, a 4xx, a redirect where a page was
//! due, no answer) is an error of its route, and that person starts again with a new session.
//!
//! With `--rss-pid`, the hub's resident memory (VmRSS) is read every `--rss-every` seconds and
//! written to `--rss-tsv` (`seconds<TAB>KiB`). Prints a table of every route (requests, errors,
//! p50 and p99 latency in ms), then `name value unit` lines for the script.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

use crate::documents::first_case;
use crate::{PASSWORD, Person, between, client, unix_now};

/// How the soak runs.
pub(crate) struct Settings {
    /// Requests per second, all people together.
    pub(crate) rate: f64,
    /// How long, in seconds.
    pub(crate) seconds: u64,
    /// Tray and case pages per sign-in (at least).
    pub(crate) pages: u32,
    /// The hub's process id, to read its memory.
    pub(crate) rss_pid: Option<u32>,
    /// Where to write the memory readings.
    pub(crate) rss_tsv: Option<PathBuf>,
    /// Seconds between memory readings.
    pub(crate) rss_every: u64,
}

/// The requests of the soak, one row each in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    SignInPage,
    Password,
    CodePage,
    WrongCode,
    Code,
    Tray,
    CasePage,
    SignOut,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Self::SignInPage => "GET /sign-in",
            Self::Password => "POST /sign-in",
            Self::CodePage => "GET /sign-in/code",
            Self::WrongCode => "POST /sign-in/code (wrong)",
            Self::Code => "POST /sign-in/code",
            Self::Tray => "GET /cases",
            Self::CasePage => "GET /cases/{id}",
            Self::SignOut => "POST /sign-out",
        }
    }
}

/// Where a person is in their round.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    SignInPage,
    Password { token: String },
    CodePage,
    WrongCode { token: String },
    Code { token: String },
    Pages { done: u32, token: String },
}

/// One person of the soak.
struct Walker {
    person: Person,
    step: Step,
}

/// Answers of one route.
#[derive(Default)]
struct RouteStats {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

type Stats = Arc<Mutex<BTreeMap<Route, RouteStats>>>;

/// What a request's answer was, for checking.
struct Answer {
    status: reqwest::StatusCode,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn token(&self) -> Option<String> {
        between(&self.body, "name=\"csrf_token\" value=\"", '"').map(str::to_owned)
    }

    fn redirect_to(&self, path: &str) -> bool {
        self.status.is_redirection() && self.location.as_deref() == Some(path)
    }

    fn page(&self) -> bool {
        self.status == reqwest::StatusCode::OK
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<Answer> {
    let response = request.send().await?;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await?;
    Ok(Answer {
        status,
        location,
        body,
    })
}

/// The route of `walker`'s next request, sends it, checks the answer and moves the walker on:
/// `Err` with what was wrong (the walker then starts again with a new session).
async fn next(
    walker: &mut Walker,
    base: &str,
    case: Option<&str>,
    pages: u32,
) -> (Route, Result<()>) {
    let c = walker.person.client.clone();
    let now = unix_now().unwrap_or(0);
    let fresh = now / 30 > walker.person.step;
    let (route, result) = match std::mem::replace(&mut walker.step, Step::SignInPage) {
        Step::SignInPage => {
            let r = answer(c.get(format!("{base}/sign-in"))).await;
            let next = r.and_then(|a| {
                a.page()
                    .then(|| a.token())
                    .flatten()
                    .map(|token| Step::Password { token })
                    .context(format!("{} without a form", a.status))
            });
            (Route::SignInPage, next)
        }
        Step::Password { token } => {
            let fields = [
                ("csrf_token", token.as_str()),
                ("email", walker.person.email.as_str()),
                ("password", PASSWORD),
            ];
            let r = answer(c.post(format!("{base}/sign-in")).form(&fields)).await;
            let next = r.and_then(|a| {
                a.redirect_to("/sign-in/code")
                    .then_some(Step::CodePage)
                    .context(format!("{} to {:?}", a.status, a.location))
            });
            (Route::Password, next)
        }
        Step::CodePage => {
            let r = answer(c.get(format!("{base}/sign-in/code"))).await;
            let next = r.and_then(|a| {
                a.page()
                    .then(|| a.token())
                    .flatten()
                    .map(|token| Step::WrongCode { token })
                    .context(format!("{} without a form", a.status))
            });
            (Route::CodePage, next)
        }
        Step::WrongCode { token } => {
            // Not the app's code now, nor one step either side.
            let right = walker.person.secret.code_at(now);
            let wrong = (0..3)
                .map(|k| format!("{:06}", (now + k * 7919) % 1_000_000))
                .find(|w| {
                    [now.saturating_sub(30), now, now + 30]
                        .iter()
                        .all(|t| walker.person.secret.code_at(*t) != *w)
                        && *w != right
                })
                .unwrap_or_else(|| "000000".to_owned());
            let fields = [("csrf_token", token.as_str()), ("code", wrong.as_str())];
            let r = answer(c.post(format!("{base}/sign-in/code")).form(&fields)).await;
            let next = r.and_then(|a| {
                (a.page() && a.body.contains("not correct"))
                    .then(|| a.token())
                    .flatten()
                    .map(|token| Step::Code { token })
                    .context(format!("{} without the wrong-code message", a.status))
            });
            (Route::WrongCode, next)
        }
        // The app has no new code yet: the person looks at the code page meanwhile.
        Step::Code { token } if !fresh => {
            let r = answer(c.get(format!("{base}/sign-in/code"))).await;
            let next = r.and_then(|a| {
                a.page()
                    .then_some(Step::Code { token })
                    .context(format!("{}", a.status))
            });
            (Route::CodePage, next)
        }
        Step::Code { token } => {
            let code = walker.person.secret.code_at(now);
            let fields = [("csrf_token", token.as_str()), ("code", code.as_str())];
            let r = answer(c.post(format!("{base}/sign-in/code")).form(&fields)).await;
            let next = r.and_then(|a| {
                walker.person.step = now / 30;
                a.redirect_to("/cases")
                    .then_some(Step::Pages {
                        done: 0,
                        token: String::new(),
                    })
                    .context(format!("{} to {:?}", a.status, a.location))
            });
            (Route::Code, next)
        }
        // Enough pages, and the app will have a new code by the time it is asked for.
        Step::Pages { done, token } if done >= pages && fresh && !token.is_empty() => {
            let fields = [("csrf_token", token.as_str())];
            let r = answer(c.post(format!("{base}/sign-out")).form(&fields)).await;
            let next = r.and_then(|a| {
                (a.page() && a.body.contains("You have signed out"))
                    .then_some(Step::SignInPage)
                    .context(format!("{}", a.status))
            });
            (Route::SignOut, next)
        }
        Step::Pages { done, token } => {
            let (route, path) = match case {
                Some(id) if done % 2 == 1 => (Route::CasePage, format!("/cases/{id}")),
                _ => (Route::Tray, "/cases".to_owned()),
            };
            let r = answer(c.get(format!("{base}{path}"))).await;
            let next = r.and_then(|a| {
                a.page()
                    .then(|| Step::Pages {
                        done: done + 1,
                        token: a.token().unwrap_or(token),
                    })
                    .context(format!("{} to {:?}", a.status, a.location))
            });
            (route, next)
        }
    };
    match result {
        Ok(step) => {
            walker.step = step;
            (route, Ok(()))
        }
        Err(e) => {
            // Start again with a new session.
            walker.step = Step::SignInPage;
            if let Ok(fresh_client) = client() {
                walker.person.client = fresh_client;
            }
            (route, Err(e))
        }
    }
}

/// The hub's resident memory in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// Runs the soak with `people` (signed in by [`crate::set_up`]); prints the table and totals.
pub(crate) async fn run(base: &str, people: Vec<Person>, settings: &Settings) -> Result<()> {
    let case = first_case(&people[0].client, base).await.ok();
    if case.is_none() {
        println!("# no case on the first person's tray: case pages are left out");
    }
    let base = Arc::new(base.to_owned());
    let case = Arc::new(case);
    let count = people.len();
    let walkers: Vec<Arc<tokio::sync::Mutex<Walker>>> = people
        .into_iter()
        .map(|person| {
            Arc::new(tokio::sync::Mutex::new(Walker {
                person,
                step: Step::Pages {
                    done: 0,
                    token: String::new(),
                },
            }))
        })
        .collect();
    let stats: Stats = Arc::default();
    let started = Instant::now();

    // The hub's memory, every few seconds, while the load runs.
    let memory = settings.rss_pid.map(|pid| {
        let every = Duration::from_secs(settings.rss_every.max(1));
        let until = Duration::from_secs(settings.seconds);
        tokio::spawn(async move {
            let mut readings = Vec::new();
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Some(kib) = rss_kib(pid) {
                    readings.push((started.elapsed().as_secs_f64(), kib));
                }
                if started.elapsed() >= until {
                    return readings;
                }
            }
        })
    });

    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / settings.rate));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let deadline = started + Duration::from_secs(settings.seconds);
    let (mut sent, mut missed, mut turn) = (0u64, 0u64, 0usize);
    let mut tasks = tokio::task::JoinSet::new();
    while Instant::now() < deadline {
        tick.tick().await;
        let idle = (0..count)
            .map(|k| (turn + k) % count)
            .find_map(|i| walkers[i].clone().try_lock_owned().ok().map(|w| (i, w)));
        let Some((i, mut walker)) = idle else {
            missed += 1;
            continue;
        };
        turn = i + 1;
        sent += 1;
        let (base, case, stats, pages) =
            (base.clone(), case.clone(), stats.clone(), settings.pages);
        tasks.spawn(async move {
            let t = Instant::now();
            let (route, result) = next(&mut walker, &base, case.as_deref(), pages).await;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if let Ok(mut stats) = stats.lock() {
                let entry = stats.entry(route).or_default();
                entry.latencies_ms.push(ms);
                if let Err(e) = result {
                    entry.errors += 1;
                    entry.first_error.get_or_insert_with(|| format!("{e:#}"));
                }
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();

    let stats = std::mem::take(&mut *stats.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    println!(
        "{:<28} {:>9} {:>7} {:>9} {:>9}",
        "route", "requests", "errors", "p50 ms", "p99 ms"
    );
    let mut errors = 0;
    for (route, mut s) in stats {
        s.latencies_ms.sort_by(f64::total_cmp);
        errors += s.errors;
        println!(
            "{:<28} {:>9} {:>7} {:>9.1} {:>9.1}",
            route.name(),
            s.latencies_ms.len(),
            s.errors,
            percentile(&s.latencies_ms, 0.5),
            percentile(&s.latencies_ms, 0.99)
        );
        if let Some(e) = s.first_error {
            println!("#   first error of {}: {e}", route.name());
        }
    }
    println!("soak_seconds {elapsed:.0} s");
    println!(
        "soak_rate {:.1} requests/s target {:.1}",
        sent as f64 / elapsed,
        settings.rate
    );
    println!("soak_missed_ticks {missed} count");
    println!("soak_errors {errors} count");
    if let Some(memory) = memory {
        let readings = memory.await.context("the memory reader stopped")?;
        if let Some(path) = &settings.rss_tsv {
            let mut tsv = String::from("seconds\trss_kib\n");
            for (t, kib) in &readings {
                tsv.push_str(&format!("{t:.0}\t{kib}\n"));
            }
            std::fs::write(path, tsv).with_context(|| format!("writing {}", path.display()))?;
        }
        let kib: Vec<u64> = readings.iter().map(|(_, k)| *k).collect();
        if let (Some(first), Some(last), Some(max)) = (kib.first(), kib.last(), kib.iter().max()) {
            // After the first tenth (warm-up: caches, pools, the first sessions), against the end.
            let warm = kib[kib.len() / 10];
            println!(
                "soak_rss first {} MiB warm {} MiB last {} MiB max {} MiB",
                first / 1024,
                warm / 1024,
                last / 1024,
                max / 1024
            );
        }
    }
    Ok(())
}
