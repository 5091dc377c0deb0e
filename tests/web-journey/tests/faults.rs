//! The database goes away under a running hub: pages answer the plain "service unavailable"
//! page (503) and `/readyz` says so; when it comes back the same hub works again.

use ehc_core::ports::Store;
use ehc_store_contract::{Fixture, PgFixture, Proxy};
use ehc_store_postgres::{PgStore, PgStoreOptions};
use reqwest::StatusCode;
use std::time::Duration;

use crate::support::{Browser, Hub, JO, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_unreachable_pages_say_the_service_is_unavailable_and_it_recovers() {
    let fixture = PgFixture::new().await;
    let upstream = format!(
        "{}:{}",
        fixture.connect.get_host(),
        fixture.connect.get_port()
    );
    let proxy = Proxy::start(upstream).await;
    let through_proxy = fixture
        .connect
        .clone()
        .host("127.0.0.1")
        .port(proxy.addr.port());
    let options = PgStoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(1),
        statement_timeout: Duration::from_secs(1),
    };
    let store = PgStore::connect_with(through_proxy, options).await.unwrap();
    let hub = Hub::start(store).await;
    let browser = hub.registered(JO).await;
    assert_eq!(browser.get("/readyz").await.status, StatusCode::OK);

    proxy.cut();
    let response = browser
        .client
        .get(format!("{}/sign-in", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Sorry, the service is unavailable")
    );
    let ready = browser
        .client
        .get(format!("{}/readyz", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    assert_eq!(browser.get("/readyz").await.status, StatusCode::OK);
    let page = browser.password(JO, PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/method"));
    fixture.finish().await;
}

/// Several clients at once while PostgreSQL is unreachable: every answer is the 503 page, well
/// before the clients' 20-second timeout, never a 500; a registration posted during the outage
/// writes nothing (the link still works after); when the database returns, the same hub serves
/// everyone again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_an_outage_answers_503_writes_nothing_half_done_and_the_hub_recovers() {
    let fixture = PgFixture::new().await;
    let upstream = format!(
        "{}:{}",
        fixture.connect.get_host(),
        fixture.connect.get_port()
    );
    let proxy = Proxy::start(upstream).await;
    let through_proxy = fixture
        .connect
        .clone()
        .host("127.0.0.1")
        .port(proxy.addr.port());
    let options = PgStoreOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(1),
        statement_timeout: Duration::from_secs(1),
    };
    let store = PgStore::connect_with(through_proxy, options).await.unwrap();
    let hub = Hub::start(store).await;
    let sam = "sam.jones@example.gov.uk";
    let link = hub.invite(sam).await.unwrap();
    let registering = hub.browser();
    let form = registering.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    let clients: Vec<_> = (0..4).map(|_| hub.browser()).collect();
    for client in &clients {
        assert_eq!(client.get("/sign-in").await.status, StatusCode::OK);
    }

    proxy.cut();
    let registered = registering
        .client
        .post(&link)
        .form(&[
            ("csrf_token", form.csrf().as_str()),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::SERVICE_UNAVAILABLE);
    let during = load(&hub.base, &clients).await;
    assert!(
        during.iter().all(|s| *s == StatusCode::SERVICE_UNAVAILABLE),
        "every answer during the outage is the 503 page: {during:?}"
    );

    proxy.restore();
    assert_eq!(registering.get("/readyz").await.status, StatusCode::OK);
    let mut tx = hub.store.begin().await.unwrap();
    let account = tx
        .accounts()
        .find_by_email(&ehc_core::account::EmailAddress::parse(sam).unwrap())
        .await
        .unwrap();
    drop(tx);
    assert!(
        account.is_none(),
        "the registration during the outage wrote nothing"
    );
    let done = registering.register(&link, PASSWORD, PASSWORD).await;
    assert!(done.has("Your registration is complete"), "{}", done.body);
    let after = load(&hub.base, &clients).await;
    assert!(
        after.iter().all(|s| !s.is_server_error()),
        "the same hub serves again: {after:?}"
    );
    fixture.finish().await;
}

/// Each client loads the sign-in page and posts a sign-in (without its CSRF token), three
/// times, all clients at once: every status, each answered before the client's 20-second
/// timeout. A 503 must be the "service unavailable" page.
async fn load(base: &str, clients: &[Browser]) -> Vec<StatusCode> {
    let runs: Vec<_> = clients
        .iter()
        .map(|c| {
            let (client, base) = (c.client.clone(), base.to_owned());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..3 {
                    for request in [
                        client.get(format!("{base}/sign-in")),
                        client
                            .post(format!("{base}/sign-in"))
                            .form(&[("email", JO), ("password", PASSWORD)]),
                    ] {
                        let response = request
                            .timeout(Duration::from_secs(20))
                            .send()
                            .await
                            .expect("an answer before the client's timeout");
                        let status = response.status();
                        let body = response.text().await.unwrap();
                        if status == StatusCode::SERVICE_UNAVAILABLE {
                            assert!(body.contains("Sorry, the service is unavailable"), "{body}");
                        }
                        statuses.push(status);
                    }
                }
                statuses
            })
        })
        .collect();
    let mut all = Vec::new();
    for run in runs {
        all.extend(run.await.unwrap());
    }
    all
}
