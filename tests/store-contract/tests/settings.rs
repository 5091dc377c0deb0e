//! Education settings: upsert by URN (and what it says it did), lookups, search, count, and an
//! import of GIAS files that is all or nothing.

use ehc_core::setting::import::{ImportError, ImportReport, SettingImport};
use ehc_core::setting::{EducationSetting, LaCode, SettingStatus, UpsertOutcome, Urn};
use ehc_store_contract::Backend;

fn urn(n: u32) -> Urn {
    Urn::parse(&n.to_string()).unwrap()
}

fn setting(n: u32, name: &str) -> EducationSetting {
    EducationSetting {
        urn: urn(n),
        name: name.to_owned(),
        kind: "Community school".to_owned(),
        phase: "Primary".to_owned(),
        la_code: LaCode::parse("999").unwrap(),
        status: SettingStatus::Open,
    }
}

/// Stores `settings` in one committed unit of work.
async fn store_settings<S: Backend>(store: &S, settings: &[EducationSetting]) {
    let mut tx = store.begin().await.unwrap();
    for s in settings {
        tx.settings().upsert(s).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/gias/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub async fn an_upsert_inserts_a_new_urn_and_overwrites_a_known_one<S: Backend>(store: &S) {
    let first = setting(100_001, "Elm Primary School");
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.settings().upsert(&first).await.unwrap(),
        UpsertOutcome::Inserted
    );
    tx.commit().await.unwrap();

    let changed = EducationSetting {
        name: "Elm Primary Academy".to_owned(),
        kind: "Academy converter".to_owned(),
        phase: "All-through".to_owned(),
        la_code: LaCode::parse("001").unwrap(),
        status: SettingStatus::OpenButProposedToClose,
        ..first.clone()
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.settings().upsert(&changed).await.unwrap(),
        UpsertOutcome::Updated
    );
    // The same fields again, and again in the same unit of work: still an update.
    assert_eq!(
        tx.settings().upsert(&changed).await.unwrap(),
        UpsertOutcome::Updated
    );
    let other = setting(100_002, "Oak School");
    assert_eq!(
        tx.settings().upsert(&other).await.unwrap(),
        UpsertOutcome::Inserted
    );
    assert_eq!(
        tx.settings().upsert(&other).await.unwrap(),
        UpsertOutcome::Updated,
        "a URN inserted earlier in the same unit of work is known"
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.settings().get(first.urn).await.unwrap(), Some(changed));
    assert_eq!(tx.settings().get(other.urn).await.unwrap(), Some(other));
    assert_eq!(tx.settings().get(urn(100_003)).await.unwrap(), None);
    assert_eq!(tx.settings().count().await.unwrap(), 2);
}

pub async fn get_many_gives_the_known_settings_in_urn_order_each_once<S: Backend>(store: &S) {
    let settings: Vec<EducationSetting> = (0..5)
        .map(|i| setting(100_010 + i, &format!("School {i}")))
        .collect();
    store_settings(store, &settings).await;

    let mut tx = store.begin().await.unwrap();
    let found = tx
        .settings()
        .get_many(&[urn(100_013), urn(999_999), urn(100_010), urn(100_013)])
        .await
        .unwrap();
    assert_eq!(found, vec![settings[0].clone(), settings[3].clone()]);
    assert_eq!(tx.settings().get_many(&[]).await.unwrap(), vec![]);
    // More URNs than one statement binds on SQLite.
    let many: Vec<Urn> = (100_000..=101_200).map(urn).collect();
    assert_eq!(tx.settings().get_many(&many).await.unwrap(), settings);
}

pub async fn search_finds_a_urn_first_then_names_containing_the_query_in_any_case<S: Backend>(
    store: &S,
) {
    store_settings(
        store,
        &[
            setting(100_001, "St Mary's Primary School"),
            setting(100_002, "Marylebone Academy"),
            setting(100_003, "Oak Primary"),
            setting(100_004, "ÉCOLE Saint-Étienne"),
            setting(100_005, "100% Learning_Centre"),
            setting(100_006, "Anytown Primary School 100005"),
            setting(100_007, "ST MARY'S CATHOLIC PRIMARY SCHOOL"),
        ],
    )
    .await;
    let mut tx = store.begin().await.unwrap();
    let mut urns_of = async |query: &str, limit: u32| -> Vec<u32> {
        tx.settings()
            .search(query, limit)
            .await
            .unwrap()
            .iter()
            .map(|s| s.urn.get())
            .collect()
    };

    // Name order in the core's search form (lower case), then URN.
    assert_eq!(urns_of("St Mary", 10).await, [100_007, 100_001]);
    // A substring anywhere: "priMARY" too.
    assert_eq!(
        urns_of("MARY", 10).await,
        [100_006, 100_002, 100_003, 100_007, 100_001]
    );
    assert_eq!(
        urns_of("  PRIMARY ", 10).await,
        [100_006, 100_003, 100_007, 100_001]
    );
    assert_eq!(urns_of("primary", 2).await, [100_006, 100_003]);
    // The exact URN comes first, then names that contain the digits.
    assert_eq!(urns_of("100005", 10).await, [100_005, 100_006]);
    assert_eq!(urns_of("100005", 1).await, [100_005]);
    assert_eq!(urns_of("100003", 10).await, [100_003]);
    // Letters beyond ASCII ignore case too; LIKE's wildcards are plain characters.
    assert_eq!(urns_of("école saint-é", 10).await, [100_004]);
    assert_eq!(urns_of("0% learning_", 10).await, [100_005]);
    assert_eq!(urns_of("_", 10).await, [100_005]);
    assert_eq!(urns_of("%", 10).await, [100_005]);
    // Nothing for a blank query, an unknown name or a limit of 0.
    assert!(urns_of("   ", 10).await.is_empty());
    assert!(urns_of("Grammar", 10).await.is_empty());
    assert!(urns_of("mary", 0).await.is_empty());
    assert!(urns_of("999999", 10).await.is_empty());
}

pub async fn count_counts_every_setting_whatever_its_status<S: Backend>(store: &S) {
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.settings().count().await.unwrap(), 0);
    drop(tx);
    let settings: Vec<EducationSetting> = SettingStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| EducationSetting {
            status: *status,
            ..setting(100_100 + i as u32, &format!("School {i}"))
        })
        .collect();
    store_settings(store, &settings).await;
    store_settings(store, &settings[..2]).await;

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.settings().count().await.unwrap(), 4);
    for s in &settings {
        assert_eq!(tx.settings().get(s.urn).await.unwrap().as_ref(), Some(s));
    }
}

pub async fn an_uncommitted_unit_of_work_leaves_the_settings_as_they_were<S: Backend>(store: &S) {
    let kept = setting(100_001, "Elm School");
    store_settings(store, std::slice::from_ref(&kept)).await;
    {
        let mut tx = store.begin().await.unwrap();
        tx.settings()
            .upsert(&setting(100_001, "Renamed"))
            .await
            .unwrap();
        tx.settings()
            .upsert(&setting(100_002, "New School"))
            .await
            .unwrap();
        assert_eq!(tx.settings().count().await.unwrap(), 2, "visible inside");
        // Dropped without commit.
    }
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.settings().count().await.unwrap(), 1);
    assert_eq!(tx.settings().get(kept.urn).await.unwrap(), Some(kept));
    assert!(tx.settings().search("new", 10).await.unwrap().is_empty());
}

pub async fn a_gias_import_is_all_or_nothing<S: Backend>(store: &S) {
    let import = SettingImport::new(store.clone());
    let report = import
        .import(&fixture("settings.csv")[..], &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            inserted: 12,
            updated: 0
        }
    );
    let all: Vec<Urn> = (100_001..=100_099).map(urn).collect();
    let snapshot = async || {
        let mut tx = store.begin().await.unwrap();
        tx.settings().get_many(&all).await.unwrap()
    };
    let before = snapshot().await;
    assert_eq!(before.len(), 12);
    assert_eq!(before[11].name, "Elmwood School, Upper Site");

    for bad in [
        "bad-urn.csv",
        "not-utf8.csv",
        "wrong-columns.csv",
        "header-only.csv",
    ] {
        let err = import
            .import(&fixture(bad)[..], &mut |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(
                (bad, &err),
                ("bad-urn.csv" | "not-utf8.csv", ImportError::Rows(_))
                    | ("wrong-columns.csv", ImportError::Header(_))
                    | ("header-only.csv", ImportError::Empty)
            ),
            "{bad}: {err:?}"
        );
        assert_eq!(snapshot().await, before, "{bad} changed nothing");
    }

    let report = import
        .import(&fixture("updated.csv")[..], &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            inserted: 1,
            updated: 12
        }
    );
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.settings().count().await.unwrap(), 13);
    let renamed = tx.settings().get(urn(100_002)).await.unwrap().unwrap();
    assert_eq!(renamed.name, "Anytown Church of England Primary Academy");
    let found = tx.settings().search("church of england", 5).await.unwrap();
    assert_eq!(found, vec![renamed]);
}
