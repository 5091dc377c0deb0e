//! Web sessions: tower-sessions' `SessionStore` on the `sessions` table.

use ehc_store_contract::Backend;
use serde_json::json;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{ExpiredDeletion, SessionStore};

/// Now, to the microsecond both databases keep (sessions expire against the real clock).
#[allow(clippy::disallowed_methods)]
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap()
}

fn record(id: i128, expiry_date: OffsetDateTime) -> Record {
    Record {
        id: Id(id),
        data: HashMap::from([
            ("csrf".to_owned(), json!("7c1e…")),
            (
                "sign-in".to_owned(),
                json!({"state": "app-challenge", "attempt": 2}),
            ),
        ]),
        expiry_date,
    }
}

pub async fn a_session_round_trips_until_it_expires_and_expired_ones_are_deleted<S: Backend>(
    store: &S,
) {
    let sessions = store.sessions();
    let mut live = record(1, now() + Duration::minutes(30));
    sessions.create(&mut live).await.unwrap();
    assert_eq!(live.id, Id(1));
    assert_eq!(sessions.load(&live.id).await.unwrap(), Some(live.clone()));

    // Saving replaces the data and the expiry.
    live.data.insert("signed-in".to_owned(), json!(true));
    live.expiry_date += Duration::minutes(5);
    sessions.save(&live).await.unwrap();
    assert_eq!(sessions.load(&live.id).await.unwrap(), Some(live.clone()));

    // A new session whose id is taken gets a fresh id rather than overwriting.
    let mut clash = record(1, now() + Duration::minutes(30));
    clash.data.clear();
    sessions.create(&mut clash).await.unwrap();
    assert_ne!(clash.id, live.id);
    assert_eq!(sessions.load(&live.id).await.unwrap(), Some(live.clone()));
    assert_eq!(sessions.load(&clash.id).await.unwrap(), Some(clash.clone()));

    // An expired session is never loaded, and deleting expired sessions removes only it.
    let mut expired = record(3, now() - Duration::minutes(1));
    sessions.create(&mut expired).await.unwrap();
    assert_eq!(sessions.load(&expired.id).await.unwrap(), None);
    assert_eq!(store.raw_session_count().await, 3);
    sessions.delete_expired().await.unwrap();
    assert_eq!(store.raw_session_count().await, 2);

    // Signing out deletes the session on the server.
    sessions.delete(&live.id).await.unwrap();
    assert_eq!(sessions.load(&live.id).await.unwrap(), None);
    assert_eq!(sessions.load(&Id(99)).await.unwrap(), None);
}

/// A request that loaded a session before it was deleted (sign-out in another tab) cannot bring
/// it back by saving: `save` only updates, `create` alone inserts.
pub async fn a_deleted_session_is_not_brought_back_by_a_later_save<S: Backend>(store: &S) {
    let sessions = store.sessions();
    let mut live = record(7, now() + Duration::minutes(30));
    sessions.create(&mut live).await.unwrap();
    let loaded_by_another_request = sessions.load(&live.id).await.unwrap().unwrap();
    sessions.delete(&live.id).await.unwrap();
    sessions.save(&loaded_by_another_request).await.unwrap();
    assert_eq!(sessions.load(&live.id).await.unwrap(), None);
}
