//! The database goes away under a running hub: pages answer the plain "service unavailable"
//! page (503) and `/readyz` says so; when it comes back the same hub works again.

use ehc_store_contract::{Fixture, PgFixture, Proxy};
use ehc_store_postgres::{PgStore, PgStoreOptions};
use reqwest::StatusCode;
use std::time::Duration;

use crate::support::{Hub, JO, PASSWORD};

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
