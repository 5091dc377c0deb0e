//! The client's address, for rate limits and the audit log (docs/SECURITY.md): the connection's
//! peer address, or — only when that peer is a configured trusted proxy — the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Request;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

use crate::AppState;

/// Finds the client's address given the trusted proxies.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress {
    trusted_proxies: Arc<Vec<IpAddr>>,
}

impl ClientAddress {
    /// Trusts `X-Forwarded-For` only from these peers.
    pub fn new(trusted_proxies: Vec<IpAddr>) -> Self {
        Self {
            trusted_proxies: Arc::new(trusted_proxies),
        }
    }

    /// The client's address, or `None` when the server was not given connection information.
    pub fn of<B>(&self, req: &Request<B>) -> Option<IpAddr> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())?;
        Some(self.resolve(peer, req.headers()))
    }

    fn resolve(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .rev()
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        self.of(req).ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The client's address as a handler argument (`None` without connection information).
#[derive(Debug, Clone, Copy)]
pub struct Origin(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Origin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(peer.map(|p| {
            state.inner.client_address.resolve(p, &parts.headers)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> Request<()> {
        let mut builder = Request::builder();
        if let Some(f) = forwarded {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut req = builder.body(()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        req
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let trusting = ClientAddress::new(vec![proxy]);
        let trusting_none = ClientAddress::default();
        let via_proxy = request("127.0.0.1:4000", Some("203.0.113.9, 198.51.100.7"));
        assert_eq!(
            trusting.of(&via_proxy),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(trusting_none.of(&via_proxy), Some(proxy));
        let direct = request("192.0.2.1:4000", Some("203.0.113.9"));
        assert_eq!(trusting.of(&direct), Some("192.0.2.1".parse().unwrap()));
        let spoofed_only = request("127.0.0.1:4000", Some("not an address"));
        assert_eq!(trusting.of(&spoofed_only), Some(proxy));
    }
}
