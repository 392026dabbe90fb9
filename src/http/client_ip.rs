//! The client's address: the one way the service learns it (rate limits, logs, later the audit log).
//!
//! It is the TCP peer, unless the peer is one of `TRUSTED_PROXIES` (CIDRs; default none). Then it is
//! the right-most address of `X-Forwarded-For` (or, when that header is absent, of `Forwarded:
//! for=`) that is not itself a trusted proxy: each proxy appends the address it received the request
//! from, so everything right of the first untrusted entry was written by proxies we trust, and
//! everything left of it may be whatever the client chose to send. A malformed entry ends the walk
//! (nothing left of it can be trusted), and the last trusted hop stands in for the client.
//!
//! `X-Forwarded-For` wins when both headers are present because it is what common proxies (nginx,
//! HAProxy, cloud load balancers) append; the proxy must append to (or overwrite) the header this
//! service reads, never pass a client's copy through alone.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

/// `TRUSTED_PROXIES`: the networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`, `::1`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("{item:?} is not a CIDR (e.g. 10.0.0.0/8) or an address")
                })?,
            };
            nets.push(net.trunc());
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut chain = forwarded_chain(headers);
        let mut client = peer;
        // Right to left: the nearest hop first.
        while let Some(hop) = chain.pop() {
            match hop {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => return ip,
                None => break,
            }
        }
        client
    }
}

/// Every hop the forwarding header lists, left (farthest) to right (nearest); `None` for an entry
/// that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<_> = headers.get_all("x-forwarded-for").iter().collect();
    if !xff.is_empty() {
        return xff
            .into_iter()
            .flat_map(|v| match v.to_str() {
                Ok(s) => s.split(',').map(parse_hop).collect::<Vec<_>>(),
                Err(_) => vec![None],
            })
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(s) => s
                .split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, value)| parse_hop(value.trim().trim_matches('"')))
                })
                .collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]:8080` → the address.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .or_else(|_| text.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or(())
                .and_then(|t| t.parse::<IpAddr>().map_err(|_| ()))
        })
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client's address (see the module doc); `None` only when the server runs without connect info
/// (in-process router tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn from_parts(parts: &Parts, trusted: &TrustedProxies) -> Self {
        Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| trusted.client(addr.ip(), &parts.headers)),
        )
    }
}

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    Arc<TrustedProxies>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(
            parts,
            &Arc::<TrustedProxies>::from_ref(state),
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn parses_cidrs_and_addresses() {
        let t = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,::1, fd00::/8,").unwrap();
        assert!(t.contains(ip("10.1.2.3")) && t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("::1")) && t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("127.0.0.2")) && !t.contains(ip("11.0.0.1")));
        // An IPv4 peer seen through a dual-stack socket is still IPv4.
        assert!(t.contains(ip("::ffff:10.0.0.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

    #[test]
    fn untrusted_peers_cannot_spoof() {
        let none = TrustedProxies::default();
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=1.2.3.4")]);
        assert_eq!(none.client(ip("203.0.113.9"), &spoofed), ip("203.0.113.9"));
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(t.client(ip("203.0.113.9"), &spoofed), ip("203.0.113.9"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.1");
        // The client claims to be 6.6.6.6; the first proxy saw 198.51.100.7, a second one 10.0.0.2.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(t.client(peer, &h), ip("198.51.100.7"));
        // Several header lines form one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7:4711,10.0.0.2"),
        ]);
        assert_eq!(t.client(peer, &h), ip("198.51.100.7"));
        // Only proxies: the farthest one.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.2")]);
        assert_eq!(t.client(peer, &h), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(t.client(peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn ipv6_and_the_forwarded_header() {
        let t = TrustedProxies::parse("2001:db8:ffff::/48").unwrap();
        let peer = ip("2001:db8:ffff::1");
        let h = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=http, For="[2001:db8:cafe::17]:4711";by=x, for=2001:db8:ffff::2"#,
        )]);
        assert_eq!(t.client(peer, &h), ip("2001:db8:cafe::17"));
        let h = headers(&[
            ("x-forwarded-for", "2001:db8:cafe::17"),
            ("forwarded", "for=1.1.1.1"),
        ]);
        assert_eq!(
            t.client(peer, &h),
            ip("2001:db8:cafe::17"),
            "X-Forwarded-For wins"
        );
    }

    #[test]
    fn malformed_entries_end_the_walk() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.1");
        for value in [
            "garbage",
            "6.6.6.6, not-an-ip",
            "",
            " , ",
            "unknown",
            "999.1.1.1",
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(t.client(peer, &h), peer, "{value:?}");
        }
        let h = headers(&[("x-forwarded-for", "6.6.6.6, junk, 10.0.0.3")]);
        assert_eq!(t.client(peer, &h), ip("10.0.0.3"));
        let h = headers(&[("forwarded", "for=_hidden, for=unknown")]);
        assert_eq!(t.client(peer, &h), peer);
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(t.client(peer, &h), peer);
    }
}
