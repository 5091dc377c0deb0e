//! # ehc-bench-cases: a seeded case load and the tray benchmark
//!
//! [`seed`] fills an empty hub database, through the storage adapters' own `Store` (so every
//! case carries the summary columns the adapters compute), with made-up people and cases:
//!
//! - LA officers (50, or fewer when `people` is small), one SENDCo per education setting (URNs
//!   100000, 100001, …), then parents (one per case, for as many cases as the people allow),
//!   advocates of parents (a twentieth of the rest) and contributors of advice (everyone left:
//!   a tenth of the rest, or more when there are fewer cases than parents);
//! - cases received over the last two years, each linked to one or two settings (some settings
//!   much busier than others, as large secondary schools are), most with a case officer, and a
//!   history recorded with `Case::record_event` (so it is always valid) that stops at a random
//!   stage: decision, advice, draft plan, final plan, annual reviews and amendments, some
//!   closures, some transfers in; a timeline entry for each step.
//!
//! Every name comes from small syllable lists and every e-mail address is at `example.org`; the
//! randomness is a SplitMix64 generator with a fixed seed, so two runs with the same arguments
//! seed the same people and histories (dates are relative to the day of the run).
//!
//! [`bench`] then measures, for an LA officer, the SENDCo of the busiest setting and a parent,
//! `CaseService::tray` (page 1, page 5, the *overdue* filter) and `CaseService::view` of a case
//! in their tray.

use anyhow::{Context, Result, anyhow, bail};
use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::case::timeline::{TimelineEntry, Visibility};
use ehc_core::case::tray::DueFilter;
use ehc_core::case::{
    Case, CaseId, CaseService, Child, DeadlineException, EventKind, EventNumber, ExceptionKind,
    FamilyMember, LaReference, PhaseTransfer, ReceivedBy, ReviewOutcome, TrayFilters,
};
use ehc_core::password::{Argon2idHasher, Argon2idParams, Password, PasswordHash};
use ehc_core::ports::{Clock, Store};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_store_postgres::{PgStore, PgStoreOptions};
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The password of every seeded account (so a viewer can also sign in to a hub on the database).
pub const PASSWORD: &str = "Seeded!Bench!Cases26";

/// The seed of the generator.
pub const SEED: u64 = 0x00E4_C0DE_2026;

/// Cases written per unit of work.
pub const BATCH: usize = 1000;

/// What [`seed`] makes.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    /// Cases.
    pub cases: u32,
    /// Education settings (one SENDCo each).
    pub settings: u32,
    /// Accounts in all.
    pub people: u32,
}

/// How the seeded people divide into roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roster {
    /// LA officers.
    pub officers: u32,
    /// SENDCos (one per setting).
    pub sendcos: u32,
    /// Parents (parent `i` is the parent of case `i`).
    pub parents: u32,
    /// Contributors of advice.
    pub contributors: u32,
    /// Advocates of parents.
    pub advocates: u32,
}

impl Roster {
    /// The division of `plan.people`.
    ///
    /// # Errors
    /// When there are not enough people for the officers and one SENDCo per setting.
    pub fn of(plan: SeedPlan) -> Result<Self> {
        let officers = 50.min(plan.people / 10).max(1);
        let sendcos = plan.settings;
        let Some(rest) = plan.people.checked_sub(officers + sendcos) else {
            bail!(
                "--people {} is too few for {officers} LA officers and {sendcos} SENDCos",
                plan.people
            );
        };
        let contributors = rest / 10;
        let advocates = rest / 20;
        let parents = (rest - contributors - advocates).min(plan.cases);
        Ok(Self {
            officers,
            sendcos,
            parents,
            contributors: rest - advocates - parents,
            advocates,
        })
    }

    /// Every account.
    pub fn total(&self) -> u32 {
        self.officers + self.sendcos + self.parents + self.contributors + self.advocates
    }
}

/// The kinds of seeded account, as the high bits of their ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// LA officer.
    Officer = 1,
    /// SENDCo.
    Sendco = 2,
    /// Parent.
    Parent = 3,
    /// Contributor of advice.
    Contributor = 4,
    /// Advocate.
    Advocate = 5,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Sendco => "sendco",
            Self::Parent => "parent",
            Self::Contributor => "contributor",
            Self::Advocate => "advocate",
        }
    }
}

/// The id of the `n`th seeded account of `kind` (fixed, so the benchmark finds its viewers).
pub fn account_id(kind: Kind, n: u32) -> AccountId {
    AccountId(Uuid::from_u128(
        (0xBE7C_u128 << 112) | ((kind as u128) << 64) | u128::from(n),
    ))
}

/// The e-mail address of the `n`th seeded account of `kind`.
pub fn email_of(kind: Kind, n: u32) -> String {
    format!("{}{n:06}@bench.example.org", kind.name())
}

/// The URN of the `n`th setting.
///
/// # Errors
/// Beyond 899 999 settings.
pub fn urn_of(n: u32) -> Result<Urn> {
    Urn::parse(&(100_000 + n).to_string()).map_err(|e| anyhow!("setting {n}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// SplitMix64: small, fast and repeatable (not for secrets).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `[0, n)` (0 when `n` is 0).
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            u32::try_from(self.next_u64() % u64::from(n)).unwrap_or(0)
        }
    }

    /// Uniform in `lo..=hi` days.
    pub fn days(&mut self, lo: i64, hi: i64) -> Duration {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        Duration::days(lo + i64::try_from(self.next_u64() % span).unwrap_or(0))
    }

    /// A random (version 4 shaped) UUID.
    pub fn uuid(&mut self) -> Uuid {
        let bits = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
        items.get(self.below(n) as usize)
    }
}

const SYLLABLES: [&str; 24] = [
    "ba", "ro", "li", "ne", "ka", "mi", "so", "ta", "ve", "lo", "da", "ri", "no", "sa", "el", "an",
    "tor", "wen", "mar", "fen", "bry", "ock", "ley", "dun",
];

fn word(rng: &mut Rng, syllables: u32) -> String {
    let mut w = String::new();
    for _ in 0..syllables {
        if let Some(s) = rng.pick(&SYLLABLES) {
            w.push_str(s);
        }
    }
    let mut chars = w.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Stores

/// A store of either kind.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

/// Opens (and migrates) the database at `url`: `sqlite://…` or `postgres://…`.
///
/// # Errors
/// An unknown scheme, or the store's own error.
pub async fn open(url: &str) -> Result<AnyStore> {
    if url.starts_with("sqlite:") {
        let options = SqliteStoreOptions {
            statement_timeout: StdDuration::from_secs(120),
            ..SqliteStoreOptions::default()
        };
        Ok(AnyStore::Sqlite(
            SqliteStore::connect(url, options)
                .await
                .with_context(|| format!("opening {url}"))?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PgStoreOptions {
            statement_timeout: StdDuration::from_secs(120),
            ..PgStoreOptions::default()
        };
        Ok(AnyStore::Postgres(
            PgStore::connect(url, options)
                .await
                .with_context(|| format!("connecting to {url}"))?,
        ))
    } else {
        bail!("--database-url must start with sqlite: or postgres:, not {url:?}")
    }
}

/// The current instant and the LA's date (UTC).
pub fn now() -> (OffsetDateTime, Date) {
    let now = SystemClock.now();
    (now, now.date())
}

fn at(day: Date) -> OffsetDateTime {
    day.with_time(time::macros::time!(10:00)).assume_utc()
}

// ---------------------------------------------------------------------------------------------
// Seeding

/// What [`seed`] did.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Accounts written.
    pub accounts: u64,
    /// Role grants written.
    pub grants: u64,
    /// Cases written.
    pub cases: u64,
    /// Events recorded.
    pub events: u64,
    /// Timeline entries written.
    pub timeline: u64,
    /// Events the model refused (a generator bug if not 0; the history stops there).
    pub refused: u64,
    /// Cases per stage, in `Stage::ALL` order.
    pub stages: [u64; 6],
    /// Time taken.
    pub elapsed: StdDuration,
}

fn grant(rng: &mut Rng, account: AccountId, role: Role, now: OffsetDateTime) -> RoleGrant {
    RoleGrant {
        id: GrantId(rng.uuid()),
        account,
        role,
        granted_by: Grantor::System,
        granted_at: now,
        expires_at: None,
        revoked: None,
    }
}

/// Records `kind` on `on` if that day has come; `None` (and the history stops) otherwise or when
/// the model refuses it.
fn step(
    case: &mut Case,
    kind: EventKind,
    on: Date,
    today: Date,
    by: Option<AccountId>,
    report: &mut SeedReport,
) -> Option<EventNumber> {
    if on > today {
        return None;
    }
    match case.record_event(kind, on, today, at(on), by) {
        Ok(n) => {
            report.events += 1;
            Some(n)
        }
        Err(_) => {
            report.refused += 1;
            None
        }
    }
}

/// Gives `case` a random, valid history up to `today`; returns the contributors asked for advice.
fn grow(
    case: &mut Case,
    rng: &mut Rng,
    today: Date,
    contributors: &[AccountId],
    report: &mut SeedReport,
) -> Vec<AccountId> {
    let by = case.officer;
    let mut asked = Vec::new();
    if rng.chance(0.02) {
        let from = case.received_on + rng.days(3, 30);
        if from <= today {
            let exception = DeadlineException {
                kind: ExceptionKind::PersonalCircumstances,
                from,
                to: from + rng.days(7, 40),
                reason: "Family circumstances".into(),
                recorded_at: at(from),
                recorded_by: by,
            };
            if case.record_exception(exception, today).is_err() {
                report.refused += 1;
            }
        }
    }
    let mut plan_day;
    if rng.chance(0.04) {
        let on = case.received_on + rng.days(0, 10);
        let from_la = format!("{} Council", word(rng, 2));
        if step(
            case,
            EventKind::TransferIn { from_la },
            on,
            today,
            by,
            report,
        )
        .is_none()
        {
            return asked;
        }
        plan_day = on;
    } else {
        // The decision whether to assess: due after 6 weeks, often late.
        let decided = case.received_on + rng.days(14, 56);
        let assess = rng.chance(0.85);
        if step(
            case,
            EventKind::DecisionToAssess { assess },
            decided,
            today,
            by,
            report,
        )
        .is_none()
        {
            return asked;
        }
        if !assess {
            if rng.chance(0.1) {
                step(
                    case,
                    EventKind::MediationCertificate,
                    decided + rng.days(20, 60),
                    today,
                    by,
                    report,
                );
            }
            return asked;
        }
        let mut last = decided;
        for _ in 0..2 + rng.below(3) {
            let contributor = if rng.chance(0.5) {
                rng.pick(contributors).copied()
            } else {
                None
            };
            let kind = EventKind::AdviceRequested {
                from: format!("{} service", word(rng, 3)),
                contributor,
            };
            let requested_on = decided + rng.days(1, 14);
            let Some(request) = step(case, kind, requested_on, today, by, report) else {
                break;
            };
            if let Some(c) = contributor
                && !asked.contains(&c)
            {
                asked.push(c);
            }
            let answered_on = requested_on + rng.days(14, 42);
            if rng.chance(0.9)
                && step(
                    case,
                    EventKind::AdviceReceived { request },
                    answered_on,
                    today,
                    by,
                    report,
                )
                .is_some()
            {
                last = last.max(answered_on);
            }
        }
        if rng.chance(0.05) {
            step(
                case,
                EventKind::DecisionNotToIssue,
                last + rng.days(7, 30),
                today,
                by,
                report,
            );
            return asked;
        }
        if !rng.chance(0.95) {
            return asked;
        }
        let draft = decided + rng.days(50, 100);
        if step(case, EventKind::DraftPlanServed, draft, today, by, report).is_none() {
            return asked;
        }
        let issued = draft + rng.days(14, 35);
        if !rng.chance(0.95)
            || step(case, EventKind::FinalPlanIssued, issued, today, by, report).is_none()
        {
            return asked;
        }
        plan_day = issued;
    }
    // Annual reviews, with amendments and the odd cessation.
    loop {
        if rng.chance(0.1) {
            let year = plan_day.year() + 1;
            let transfer = PhaseTransfer::School { year };
            step(
                case,
                EventKind::PhaseTransferDue { transfer },
                plan_day + rng.days(30, 90),
                today,
                by,
                report,
            );
        }
        let meeting_on = plan_day + rng.days(300, 360);
        let arranged = meeting_on - rng.days(14, 40);
        let kind = EventKind::ReviewMeetingScheduled { meeting_on };
        if step(case, kind, arranged.max(plan_day), today, by, report).is_none() {
            return asked;
        }
        if step(
            case,
            EventKind::ReviewMeetingHeld,
            meeting_on,
            today,
            by,
            report,
        )
        .is_none()
        {
            return asked;
        }
        let outcome = match rng.below(20) {
            0 => ReviewOutcome::Cease,
            1..=5 => ReviewOutcome::Amend,
            _ => ReviewOutcome::Maintain,
        };
        let decided = meeting_on + rng.days(5, 28);
        if step(
            case,
            EventKind::ReviewDecision { outcome },
            decided,
            today,
            by,
            report,
        )
        .is_none()
            || outcome == ReviewOutcome::Cease
        {
            return asked;
        }
        if outcome == ReviewOutcome::Amend {
            let proposed = decided + rng.days(1, 14);
            if step(
                case,
                EventKind::AmendmentProposed,
                proposed,
                today,
                by,
                report,
            )
            .is_none()
            {
                return asked;
            }
            let amended = proposed + rng.days(20, 56);
            if step(
                case,
                EventKind::AmendedPlanIssued,
                amended,
                today,
                by,
                report,
            )
            .is_none()
            {
                return asked;
            }
        }
        plan_day = meeting_on;
    }
}

/// A new case `i` received within the last two years of `today`.
fn new_case(rng: &mut Rng, i: u32, plan: SeedPlan, roster: Roster, today: Date) -> Result<Case> {
    let received_on = today - rng.days(0, 730);
    let date_of_birth = received_on - rng.days(365 * 2, 365 * 19);
    let syllables = 2 + rng.below(2);
    let family_name = word(rng, syllables);
    let given_name = word(rng, 2);
    // Busy settings first: setting n is picked with a density falling as 1/sqrt(n).
    let first = (f64::from(plan.settings) * rng.unit() * rng.unit()) as u32;
    let mut settings = vec![urn_of(first.min(plan.settings.saturating_sub(1)))?];
    if rng.chance(0.3) {
        let second = urn_of(rng.below(plan.settings))?;
        if !settings.contains(&second) {
            settings.push(second);
            settings.sort_unstable();
        }
    }
    let officer = rng
        .chance(0.9)
        .then(|| account_id(Kind::Officer, rng.below(roster.officers)));
    let reference = format!("EHC/{}/{i:07}", received_on.year());
    let case = Case {
        id: CaseId(rng.uuid()),
        la_reference: LaReference::parse(&reference).map_err(|e| anyhow!("{reference}: {e}"))?,
        child: Child {
            given_name,
            family_name: family_name.clone(),
            date_of_birth,
        },
        received_on,
        received_by: ReceivedBy::ALL[rng.below(4) as usize],
        settings,
        officer,
        family: vec![FamilyMember {
            name: format!("{} {family_name}", word(rng, 2)),
            relationship: ["Mother", "Father", "Carer", "Grandparent"][rng.below(4) as usize]
                .into(),
        }],
        events: Vec::new(),
        exceptions: Vec::new(),
        withdrawn: Vec::new(),
        advice: Vec::new(),
        created_at: at(received_on),
    };
    Ok(case)
}

/// Fills the empty database of `store` according to `plan`; prints progress to stderr.
///
/// # Errors
/// A store fault, or a database that is not empty (an account already exists).
pub async fn seed<S: Store>(store: &S, plan: SeedPlan) -> Result<(SeedReport, Roster)> {
    let started = Instant::now();
    let roster = Roster::of(plan)?;
    let (now, today) = now();
    let mut rng = Rng::new(SEED);
    let mut report = SeedReport::default();

    // One real argon2id hash, shared by every account.
    let hasher = Argon2idHasher::new(Argon2idParams::default(), Arc::new(OsSecretSource))
        .map_err(|e| anyhow!("{e}"))?;
    let password = Password::new(PASSWORD, 256).map_err(|e| anyhow!("{e}"))?;
    let hash: PasswordHash = hasher
        .hash_blocking(&password)
        .map_err(|e| anyhow!("{e}"))?;

    // Accounts, with the grants that do not depend on cases.
    let mut people: Vec<(Kind, u32)> = Vec::new();
    for (kind, count) in [
        (Kind::Officer, roster.officers),
        (Kind::Sendco, roster.sendcos),
        (Kind::Parent, roster.parents),
        (Kind::Contributor, roster.contributors),
        (Kind::Advocate, roster.advocates),
    ] {
        people.extend((0..count).map(|n| (kind, n)));
    }
    for chunk in people.chunks(BATCH) {
        let mut tx = store.begin().await?;
        for &(kind, n) in chunk {
            let id = account_id(kind, n);
            let email = email_of(kind, n);
            let account = Account {
                id,
                email: EmailAddress::parse(&email).map_err(|e| anyhow!("{email}: {e}"))?,
                password_hash: hash.clone(),
                created_at: now - Duration::days(800),
            };
            tx.accounts()
                .insert(&account)
                .await
                .map_err(|e| anyhow!("account {email}: {e} (is the database empty?)"))?;
            report.accounts += 1;
            let role = match kind {
                Kind::Officer => Some(Role::LaOfficer),
                Kind::Sendco => Some(Role::Sendco {
                    setting: urn_of(n)?,
                }),
                Kind::Parent | Kind::Contributor | Kind::Advocate => None,
            };
            if let Some(role) = role {
                tx.grants().insert(&grant(&mut rng, id, role, now)).await?;
                report.grants += 1;
            }
        }
        tx.commit().await?;
    }
    eprintln!(
        "  {} accounts in {:.1?}",
        report.accounts,
        started.elapsed()
    );

    // Cases, their parents' and contributors' grants, and their timelines.
    let contributors: Vec<AccountId> = (0..roster.contributors)
        .map(|n| account_id(Kind::Contributor, n))
        .collect();
    let mut next = 0u32;
    while next < plan.cases {
        let end = (next + u32::try_from(BATCH).unwrap_or(1000)).min(plan.cases);
        let mut tx = store.begin().await?;
        for i in next..end {
            let mut case = new_case(&mut rng, i, plan, roster, today)?;
            let asked = grow(&mut case, &mut rng, today, &contributors, &mut report);
            tx.cases()
                .insert(&case)
                .await
                .map_err(|e| anyhow!("case {}: {e}", case.la_reference))?;
            report.cases += 1;
            if let Some(k) = ehc_core::case::Stage::ALL
                .iter()
                .position(|s| *s == case.stage())
            {
                report.stages[k] += 1;
            }
            let mut entries = vec![TimelineEntry {
                case: case.id,
                at: case.created_at,
                actor: case.officer,
                what: format!(
                    "Request for an EHC needs assessment received {}",
                    case.received_by.describe().to_lowercase()
                ),
                visible_to: Visibility::PARTICIPANTS,
            }];
            for event in &case.events {
                let contributor = match event.kind {
                    EventKind::AdviceRequested { contributor, .. } => contributor,
                    _ => None,
                };
                entries.push(TimelineEntry {
                    case: case.id,
                    at: event.recorded_at,
                    actor: event.recorded_by,
                    what: event.kind.describe(),
                    visible_to: Visibility::participants_and(contributor),
                });
            }
            for entry in &entries {
                tx.cases().append_timeline(entry).await?;
            }
            report.timeline += entries.len() as u64;
            let mut grants = Vec::new();
            if i < roster.parents {
                grants.push((
                    account_id(Kind::Parent, i),
                    Role::ParentCarer { case: case.id },
                ));
            }
            for c in asked {
                grants.push((c, Role::Contributor { case: case.id }));
            }
            for (account, role) in grants {
                tx.grants()
                    .insert(&grant(&mut rng, account, role, now))
                    .await?;
                report.grants += 1;
            }
        }
        tx.commit().await?;
        next = end;
        if next.is_multiple_of(10_000) || next == plan.cases {
            eprintln!("  {next} cases in {:.1?}", started.elapsed());
        }
    }

    // Advocates, each acting for a parent.
    let advocates: Vec<u32> = (0..roster.advocates).collect();
    for chunk in advocates.chunks(BATCH) {
        let mut tx = store.begin().await?;
        for &n in chunk {
            if roster.parents == 0 {
                break;
            }
            let parent = account_id(Kind::Parent, rng.below(roster.parents));
            let mut g = grant(
                &mut rng,
                account_id(Kind::Advocate, n),
                Role::Advocate { for_person: parent },
                now,
            );
            if rng.chance(0.5) {
                g.expires_at = Some(now + rng.days(30, 365));
            }
            tx.grants().insert(&g).await?;
            report.grants += 1;
        }
        tx.commit().await?;
    }
    report.elapsed = started.elapsed();
    Ok((report, roster))
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/// Latencies of one operation.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The viewer's role.
    pub viewer: &'static str,
    /// The operation.
    pub operation: &'static str,
    /// Rows on the page (1 for a case view).
    pub rows: usize,
    /// Cases in the whole tray.
    pub total: u64,
    /// Runs, in ms, sorted.
    pub ms: Vec<f64>,
}

impl Timing {
    fn quantile(&self, q: f64) -> f64 {
        if self.ms.is_empty() {
            return f64::NAN;
        }
        let i = ((self.ms.len() - 1) as f64 * q).round() as usize;
        self.ms[i.min(self.ms.len() - 1)]
    }

    /// The median, in ms.
    pub fn p50(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The 95th percentile, in ms.
    pub fn p95(&self) -> f64 {
        self.quantile(0.95)
    }

    /// The slowest run, in ms.
    pub fn max(&self) -> f64 {
        self.ms.last().copied().unwrap_or(f64::NAN)
    }
}

async fn time_runs<T>(runs: u32, mut op: impl AsyncFnMut() -> Result<T>) -> Result<(Vec<f64>, T)> {
    // Warm the pool and the caches first.
    let mut last = op().await?;
    for _ in 0..runs.min(5) {
        last = op().await?;
    }
    let mut ms = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let t = Instant::now();
        last = op().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms, last))
}

/// The three viewers: an LA officer, the SENDCo of the busiest setting, the parent of case 0.
pub fn viewers() -> [(&'static str, AccountId, String); 3] {
    [
        (
            "LA officer",
            account_id(Kind::Officer, 0),
            email_of(Kind::Officer, 0),
        ),
        (
            "SENDCo",
            account_id(Kind::Sendco, 0),
            email_of(Kind::Sendco, 0),
        ),
        (
            "parent",
            account_id(Kind::Parent, 0),
            email_of(Kind::Parent, 0),
        ),
    ]
}

/// Runs each measured operation `runs` times for each viewer.
///
/// # Errors
/// A store fault, or a refusal by the service.
pub async fn bench<S: Store + Clone>(store: &S, runs: u32) -> Result<Vec<Timing>> {
    let service = CaseService::new(store.clone(), OsSecretSource, SecuritySettings::default());
    let (now, today) = now();
    let mut timings = Vec::new();
    for (viewer, id, _) in viewers() {
        let mut first_case = None;
        for (operation, filters) in [
            (
                "tray page 1",
                TrayFilters {
                    page: 1,
                    ..TrayFilters::default()
                },
            ),
            (
                "tray page 5",
                TrayFilters {
                    page: 5,
                    ..TrayFilters::default()
                },
            ),
            (
                "tray overdue",
                TrayFilters {
                    page: 1,
                    due: Some(DueFilter::Overdue),
                    ..TrayFilters::default()
                },
            ),
        ] {
            let (ms, (page, _)) = time_runs(runs, async || {
                Ok(service.tray(id, &filters, now, today).await?)
            })
            .await
            .with_context(|| format!("{viewer}: {operation}"))?;
            if first_case.is_none() {
                first_case = page.rows.first().map(|r| r.id);
            }
            timings.push(Timing {
                viewer,
                operation,
                rows: page.rows.len(),
                total: page.total,
                ms,
            });
        }
        let Some(case) = first_case else {
            eprintln!("{viewer} has an empty tray: no case to view");
            continue;
        };
        let (ms, view) = time_runs(runs, async || Ok(service.view(id, case, now, None).await?))
            .await
            .with_context(|| format!("{viewer}: case view"))?;
        timings.push(Timing {
            viewer,
            operation: "case view",
            rows: view.timeline.len(),
            total: view.case.events.len() as u64,
            ms,
        });
    }
    Ok(timings)
}
