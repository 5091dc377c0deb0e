//! The demo's data: the invented education settings of the GIAS test fixture, and four
//! invented cases at different stages whose statutory dates fall before, near and after today,
//! so the trays and the tracker have something to show. Re-running the demo adds nothing twice
//! (settings update by URN; a case whose LA reference exists is skipped).

use anyhow::{Context, Result};
use ehc_core::case::timeline::{TimelineEntry, Visibility};
use ehc_core::case::{Case, CaseId, CaseWriteError, Child, EventKind, LaReference, ReceivedBy};
use ehc_core::ports::{SecretSource, Store};
use ehc_core::role::Urn;
use ehc_core::setting::import::SettingImport;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The invented settings (LA 999 "Anytown", URNs 100001–100012).
const SETTINGS: &str = include_str!("../../../tests/fixtures/gias/settings.csv");

/// (reference, first name, last name, age in years, received weeks ago, setting, events as
/// (kind, weeks after the request))
type DemoCase = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    u32,
    &'static [(&'static str, i64)],
);

const CASES: [DemoCase; 4] = [
    ("EHC-DEMO-0001", "Ava", "Thornbury", 7, 5, 100_001, &[]),
    (
        "EHC-DEMO-0002",
        "Leo",
        "Marchetti",
        11,
        9,
        100_001,
        &[("assess", 5), ("advice", 5)],
    ),
    (
        "EHC-DEMO-0003",
        "Maya",
        "Okonkwo",
        4,
        30,
        100_001,
        &[("assess", 6), ("draft", 14), ("final", 19)],
    ),
    ("EHC-DEMO-0004", "Sam", "Pennington", 14, 3, 100_002, &[]),
];

/// Imports the settings and creates the cases that are not there yet.
pub async fn seed(
    store: Arc<dyn Store>,
    secrets: &dyn SecretSource,
    now: OffsetDateTime,
) -> Result<()> {
    let today = ehc_http::times::london_today(now);
    SettingImport::new(store.clone())
        .import(SETTINGS.as_bytes(), &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("importing the demo's education settings")?;
    for (reference, given, family, age, weeks_ago, urn, events) in CASES {
        let received_on = today - Duration::weeks(weeks_ago);
        let mut case = Case {
            id: CaseId::generate(secrets)?,
            la_reference: LaReference::parse(reference)?,
            child: Child {
                given_name: given.into(),
                family_name: family.into(),
                date_of_birth: received_on - Duration::days(age * 365 + 40),
            },
            received_on,
            received_by: ReceivedBy::Email,
            settings: vec![Urn::parse(&urn.to_string())?],
            officer: None,
            family: Vec::new(),
            events: Vec::new(),
            exceptions: Vec::new(),
            withdrawn: Vec::new(),
            advice: Vec::new(),
            created_at: now,
        };
        for (kind, week) in events {
            let kind = match *kind {
                "assess" => EventKind::DecisionToAssess { assess: true },
                "advice" => EventKind::AdviceRequested {
                    from: "Educational psychologist, Anytown EP service".into(),
                    contributor: None,
                },
                "draft" => EventKind::DraftPlanServed,
                _ => EventKind::FinalPlanIssued,
            };
            case.record_event(kind, received_on + Duration::weeks(*week), today, now, None)?;
        }
        let mut tx = store.begin().await?;
        match tx.cases().insert(&case).await {
            Ok(()) => {}
            Err(CaseWriteError::ReferenceTaken) => continue,
            Err(CaseWriteError::Store(e)) => return Err(e.into()),
        }
        tx.cases()
            .append_timeline(&TimelineEntry {
                case: case.id,
                at: now,
                actor: None,
                what: "Demonstration case created".into(),
                visible_to: Visibility::PARTICIPANTS,
            })
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
