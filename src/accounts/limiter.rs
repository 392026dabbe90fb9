//! The accounts' abuse limits, over the shared database limiter (`crate::rate_limit`), so they hold
//! across instances and restarts.
//!
//! **Password attempts** (login, and the old password of a password change). Only failures spend:
//! an attempt reserves its units before the password is verified (atomically, so a burst of parallel
//! guesses cannot all pass a check made before any of them failed) and gives them back when the
//! password was right. Three buckets, all over `LOGIN_RATE_WINDOW_SECONDS`:
//!
//! - per client address and e-mail, `LOGIN_RATE_LIMIT` failures (default 10 per 15 min): one
//!   client guessing one account. 429 when spent.
//! - per client address, `LOGIN_ADDRESS_RATE_LIMIT` failures across all e-mails (default 100): one
//!   client spraying many accounts. 429 when spent.
//! - per e-mail from all addresses together: never refused, because a refusal here would let anyone
//!   lock the owner out by failing on purpose. Past `LOGIN_RATE_LIMIT` failures each further attempt
//!   for that e-mail waits, 250 ms doubling up to `LOGIN_SLOWDOWN_MAX_MS` (default 3 s), before its
//!   password is checked.
//!
//! So an attacker gets `LOGIN_RATE_LIMIT` guesses per address and e-mail per window and pays
//! seconds for each once the account is under attack, while the owner, from an address that has not
//! failed, always gets in (at worst a few seconds late). IPv6 clients are counted per /64, the block
//! one subscriber usually holds. `LOGIN_RATE_LIMIT=0` switches all three off.
//!
//! **Registration, activation resend, password-reset request**: every request counts, per client
//! address (`ACCOUNT_ADDRESS_RATE_LIMIT`, default 300 per 15 min: generous for shared addresses and
//! test suites) and per e-mail (`ACCOUNT_EMAIL_RATE_LIMIT`, default 5: the mailbox owner is not
//! flooded). The e-mail limit applies whether or not an account exists, so the answer reveals nothing.

use std::{net::IpAddr, time::Duration};

use sea_orm::{ConnectionTrait, DbErr};

use crate::{
    config::Config,
    rate_limit::{self, Decision, Key, Quota},
};

/// The first delay once an e-mail is past its free failures; it doubles per further failure.
const SLOWDOWN_BASE: Duration = Duration::from_millis(250);

/// A limited account request other than a password attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Register,
    ResendActivation,
    PasswordReset,
}

impl Request {
    fn bucket(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::ResendActivation => "activation-resend",
            Self::PasswordReset => "password-reset",
        }
    }
}

/// The limits a refused request was over, or the database failing to say.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("over the limit; retry after {0:?}")]
    Limited(Duration),
    #[error(transparent)]
    Database(#[from] DbErr),
}

#[derive(Debug, Clone)]
struct LoginQuotas {
    address_email: Quota,
    address: Option<Quota>,
    /// Same rate as `address_email`, twice the memory: it measures how far past its free failures
    /// an e-mail is.
    email: Quota,
    free_failures: u32,
    slowdown_max: Duration,
}

#[derive(Debug, Clone, Copy)]
struct RequestQuotas {
    per_email: Option<Quota>,
    per_address: Option<Quota>,
}

/// The accounts' limits, configured once (see the module doc).
#[derive(Debug, Clone)]
pub struct AccountLimits {
    login: Option<LoginQuotas>,
    requests: RequestQuotas,
}

impl AccountLimits {
    pub fn from_config(config: &Config) -> Self {
        let window = config.login_rate_window;
        let login = Quota::new(config.login_rate_limit, window).map(|address_email| LoginQuotas {
            address_email,
            address: Quota::new(config.login_address_rate_limit, window),
            email: address_email.scaled(2),
            free_failures: config.login_rate_limit,
            slowdown_max: config.login_slowdown_max,
        });
        let requests = RequestQuotas {
            per_email: Quota::new(config.account_email_rate_limit, config.account_rate_window),
            per_address: Quota::new(
                config.account_address_rate_limit,
                config.account_rate_window,
            ),
        };
        Self { login, requests }
    }

    /// Counts one `request` for `email` from `client`; refused when either is over its limit.
    pub async fn check_request(
        &self,
        db: &impl ConnectionTrait,
        request: Request,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<(), LimitError> {
        let bucket = request.bucket();
        let mut keys = Vec::with_capacity(2);
        if let (Some(quota), Some(ip)) = (self.requests.per_address, client) {
            keys.push((
                Key::new(&format!("{bucket}.address"), address_key(ip)),
                quota,
            ));
        }
        if let Some(quota) = self.requests.per_email {
            keys.push((Key::new(&format!("{bucket}.email"), email), quota));
        }
        acquire_all(db, &keys, rate_limit::now_ms()).await?;
        Ok(())
    }

    /// Starts a password attempt for `email` from `client`: refused (429) when the address is over
    /// its limits; otherwise counted as a failure until [`PasswordAttempt::succeeded`], and delayed
    /// when the e-mail is under attack.
    pub async fn begin_password_attempt(
        &self,
        db: &impl ConnectionTrait,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<PasswordAttempt, LimitError> {
        let Some(login) = &self.login else {
            return Ok(PasswordAttempt { taken: Vec::new() });
        };
        let now = rate_limit::now_ms();
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = client {
            let address = address_key(ip);
            keys.push((
                Key::new("login.address-email", format!("{address}|{email}")),
                login.address_email,
            ));
            if let Some(quota) = login.address {
                keys.push((Key::new("login.address", address), quota));
            }
        }
        let mut taken = acquire_all(db, &keys, now).await?;
        let email_key = Key::new("login.email", email);
        let delay = match rate_limit::acquire(db, &email_key, login.email, now).await {
            Ok(Decision::Allowed { backlog }) => {
                taken.push((email_key, login.email));
                slowdown(backlog, login.free_failures, login.slowdown_max)
            }
            // Far past the free failures: the longest delay, and nothing more to count.
            Ok(Decision::Limited { .. }) => login.slowdown_max,
            Err(e) => {
                release_all(db, &taken, now).await;
                return Err(e.into());
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(PasswordAttempt { taken })
    }
}

/// A password attempt in progress: its units stay spent (a failure) unless it [`succeeded`].
///
/// [`succeeded`]: PasswordAttempt::succeeded
#[must_use = "call `succeeded` when the password was right"]
#[derive(Debug)]
pub struct PasswordAttempt {
    taken: Vec<(Key, Quota)>,
}

impl PasswordAttempt {
    /// The password was right: successful sign-ins cost nothing.
    pub async fn succeeded(self, db: &impl ConnectionTrait) {
        release_all(db, &self.taken, rate_limit::now_ms()).await;
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(self) {}
}

/// The delay for an attempt that brings an e-mail's failures to `backlog`.
fn slowdown(backlog: u32, free: u32, max: Duration) -> Duration {
    match backlog.checked_sub(free) {
        None | Some(0) => Duration::ZERO,
        Some(excess) => SLOWDOWN_BASE
            .checked_mul(1 << (excess - 1).min(16))
            .map_or(max, |d| d.min(max)),
    }
}

/// Acquires every key or none: when one refuses, those already taken are given back.
async fn acquire_all(
    db: &impl ConnectionTrait,
    keys: &[(Key, Quota)],
    now: i64,
) -> Result<Vec<(Key, Quota)>, LimitError> {
    let mut taken = Vec::with_capacity(keys.len());
    for (key, quota) in keys {
        match rate_limit::acquire(db, key, *quota, now).await {
            Ok(Decision::Allowed { .. }) => taken.push((key.clone(), *quota)),
            Ok(Decision::Limited { retry_after }) => {
                release_all(db, &taken, now).await;
                return Err(LimitError::Limited(retry_after));
            }
            Err(e) => {
                release_all(db, &taken, now).await;
                return Err(e.into());
            }
        }
    }
    Ok(taken)
}

/// Gives units back; a failure only costs the caller some budget, so it is logged, not returned.
async fn release_all(db: &impl ConnectionTrait, taken: &[(Key, Quota)], now: i64) {
    for (key, quota) in taken {
        if let Err(e) = rate_limit::release(db, key, *quota, now).await {
            tracing::warn!(key = ?key, "giving back a rate-limit unit: {e}");
        }
    }
}

/// What a client address is counted as: IPv4 addresses one by one, IPv6 by /64.
fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(vars: &[(&str, &str)]) -> AccountLimits {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AccountLimits::from_config(&Config::from_lookup(|k| map.get(k).cloned()).unwrap())
    }

    use crate::db::memory as db;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn slowdown_doubles_past_the_free_failures_up_to_the_cap() {
        let max = Duration::from_secs(3);
        let ms = |b| slowdown(b, 10, max).as_millis();
        assert_eq!(
            [ms(1), ms(10), ms(11), ms(12), ms(13)],
            [0, 0, 250, 500, 1000]
        );
        assert_eq!(
            [ms(14), ms(15), ms(40), ms(u32::MAX)],
            [2000, 3000, 3000, 3000]
        );
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            address_key("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }

    #[tokio::test]
    async fn only_failures_spend_and_other_addresses_keep_their_budget() {
        let db = db().await;
        let limits = limits(&[("LOGIN_RATE_LIMIT", "2"), ("LOGIN_SLOWDOWN_MAX_MS", "1")]);
        for _ in 0..20 {
            let attempt = limits
                .begin_password_attempt(&db, "a@b.io", ip("10.0.0.1"))
                .await
                .unwrap();
            attempt.succeeded(&db).await;
        }
        for _ in 0..2 {
            limits
                .begin_password_attempt(&db, "a@b.io", ip("10.0.0.1"))
                .await
                .unwrap()
                .failed();
        }
        assert!(matches!(
            limits
                .begin_password_attempt(&db, "a@b.io", ip("10.0.0.1"))
                .await,
            Err(LimitError::Limited(_))
        ));
        // Another address still gets in, however far past its free failures the e-mail is.
        for n in 2..7 {
            limits
                .begin_password_attempt(&db, "a@b.io", ip(&format!("10.0.0.{n}")))
                .await
                .unwrap()
                .failed();
        }
        limits
            .begin_password_attempt(&db, "a@b.io", ip("10.0.0.9"))
            .await
            .unwrap()
            .succeeded(&db)
            .await;
    }

    #[tokio::test]
    async fn the_address_limit_spans_e_mails_and_zero_disables() {
        let db = db().await;
        let limits = limits(&[("LOGIN_RATE_LIMIT", "5"), ("LOGIN_ADDRESS_RATE_LIMIT", "2")]);
        for email in ["a@b.io", "c@d.io"] {
            limits
                .begin_password_attempt(&db, email, ip("10.0.0.1"))
                .await
                .unwrap()
                .failed();
        }
        assert!(
            limits
                .begin_password_attempt(&db, "e@f.io", ip("10.0.0.1"))
                .await
                .is_err()
        );
        let off = limits_off();
        for _ in 0..50 {
            off.begin_password_attempt(&db, "a@b.io", ip("10.0.0.1"))
                .await
                .unwrap()
                .failed();
        }
    }

    fn limits_off() -> AccountLimits {
        limits(&[
            ("LOGIN_RATE_LIMIT", "0"),
            ("ACCOUNT_EMAIL_RATE_LIMIT", "0"),
            ("ACCOUNT_ADDRESS_RATE_LIMIT", "0"),
        ])
    }

    #[tokio::test]
    async fn requests_are_limited_per_e_mail_and_per_address() {
        let db = db().await;
        let limits = limits(&[
            ("ACCOUNT_EMAIL_RATE_LIMIT", "2"),
            ("ACCOUNT_ADDRESS_RATE_LIMIT", "3"),
        ]);
        let check = |email: &'static str, from: &'static str| {
            let (db, limits) = (&db, &limits);
            async move {
                limits
                    .check_request(db, Request::PasswordReset, email, ip(from))
                    .await
                    .is_ok()
            }
        };
        assert!(check("a@b.io", "10.0.0.1").await && check("a@b.io", "10.0.0.2").await);
        assert!(!check("a@b.io", "10.0.0.3").await, "the e-mail is spent");
        assert!(check("c@d.io", "10.0.0.1").await);
        assert!(check("e@f.io", "10.0.0.1").await);
        assert!(!check("g@h.io", "10.0.0.1").await, "the address is spent");
        // Each endpoint has its own budget.
        assert!(
            limits
                .check_request(&db, Request::Register, "a@b.io", ip("10.0.0.9"))
                .await
                .is_ok()
        );
        for _ in 0..10 {
            assert!(
                limits_off()
                    .check_request(&db, Request::PasswordReset, "a@b.io", ip("10.0.0.1"))
                    .await
                    .is_ok()
            );
        }
    }
}
