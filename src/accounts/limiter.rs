//! Password attempts (login, password change) limited per e-mail and per client address (`LOGIN_RATE_LIMIT` attempts per
//! `LOGIN_RATE_WINDOW_SECONDS`; 0 disables it, e.g. for load tests). The per-address limit stops one
//! client trying many accounts; the per-e-mail limit stops many clients guessing one password.
//!
//! governor's keyed GCRA limiter: up to `limit` attempts at once, then one more every
//! `window / limit`. State is in memory, per process.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use crate::error::Error;

#[derive(Debug)]
pub struct LoginLimiter {
    limits: Option<Limits>,
}

#[derive(Debug)]
struct Limits {
    by_email: DefaultKeyedRateLimiter<String>,
    by_client: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `limit` attempts per `window`; a zero limit or window disables limiting.
    pub fn new(limit: u32, window: Duration) -> Self {
        let quota = NonZeroU32::new(limit).and_then(|burst| {
            Quota::with_period(window / burst.get()).map(|q| q.allow_burst(burst))
        });
        Self {
            limits: quota.map(|quota| Limits {
                by_email: RateLimiter::keyed(quota),
                by_client: RateLimiter::keyed(quota),
            }),
        }
    }

    /// Counts one attempt at the password of `account` (an e-mail) from `client`; a 429 (with the
    /// wait) when either is over its limit.
    pub fn check(&self, account: &str, client: Option<IpAddr>) -> Result<(), Error> {
        let Some(limits) = &self.limits else {
            return Ok(());
        };
        let now = limits.by_email.clock().now();
        let mut wait = Duration::ZERO;
        if let Err(not_until) = limits.by_email.check_key(&account.to_owned()) {
            wait = wait.max(not_until.wait_time_from(now));
        }
        if let Some(ip) = client
            && let Err(not_until) = limits.by_client.check_key(&ip)
        {
            wait = wait.max(not_until.wait_time_from(now));
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(Error::TooManyRequests {
                retry_after_secs: wait.as_secs_f64().ceil() as u64,
            })
        }
    }

    /// Forgets keys whose limit has fully recovered (run periodically, so memory stays bounded).
    pub fn forget_idle(&self) {
        if let Some(limits) = &self.limits {
            limits.by_email.retain_recent();
            limits.by_email.shrink_to_fit();
            limits.by_client.retain_recent();
            limits.by_client.shrink_to_fit();
        }
    }
}

/// The address of the connection's peer, when the server was started with connect info (it always is
/// by `Application`; a proxy in front hides the real client, so limit there too).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(r: Result<(), Error>) -> Option<u64> {
        match r {
            Ok(()) => None,
            Err(Error::TooManyRequests { retry_after_secs }) => Some(retry_after_secs),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn limits_per_email_and_per_client() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(retry_after(limiter.check("a@b.io", Some(ip))), None);
        assert_eq!(retry_after(limiter.check("a@b.io", Some(other))), None);
        // The e-mail is used up, whatever the address.
        let wait = retry_after(limiter.check("a@b.io", Some(ip))).unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        // The second address has one attempt left for another e-mail, then none.
        assert_eq!(retry_after(limiter.check("c@d.io", Some(other))), None);
        assert!(retry_after(limiter.check("e@f.io", Some(other))).is_some());
    }

    #[test]
    fn zero_disables() {
        let limiter = LoginLimiter::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            assert_eq!(retry_after(limiter.check("a@b.io", None)), None);
        }
    }
}
