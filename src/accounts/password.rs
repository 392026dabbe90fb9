//! Password hashing: argon2id with the argon2 crate's defaults, which are OWASP's recommended
//! parameters (m = 19 MiB, t = 2, p = 1). Hashing takes tens of milliseconds of CPU on purpose, so it
//! runs on the blocking pool, never on the async executor.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

/// A hash of a random password with the same parameters as real ones. Login verifies against it when
/// the e-mail is unknown, so an unknown account costs as much time as a known one and response times
/// do not reveal which addresses are registered.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$J5KuBg6Ar1Gmqk+Vq2n7gw$Hg1Sh6E31x4o8cWHBiq8GDq4nOqG+zWZY0L4PM8bVmg";

/// Runs a hash computation on the blocking pool, at most one per core at a time. Each argon2 run
/// takes 19 MiB: without the bound, a burst of logins started hundreds at once (the blocking pool
/// grows to 512 threads) and the process took gigabytes; with it, memory stays flat and requests
/// queue for a core they would have had to share anyway.
async fn run_limited<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    });
    let _permit = permits
        .acquire()
        .await
        .context("password hashing limiter closed")?;
    tokio::task::spawn_blocking(work)
        .await
        .context("password hashing task")
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    run_limited(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// True when `password` matches `stored`. `None` (no such account) verifies against [`DUMMY_HASH`]
/// and is always false. A stored value that is not a PHC string never matches.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    run_limited(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            tracing::warn!("a stored password hash is not a PHC string; it never matches");
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_owasp_argon2id_and_verify() {
        let hashed = hash("Secret#123").await.unwrap();
        assert!(hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("Secret#123", Some(hashed.clone())).await.unwrap());
        assert!(!verify("Secret#124", Some(hashed)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
        assert!(!verify("anything", Some("not-a-hash".into())).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        use std::sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        };
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(run_limited(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let cores = std::thread::available_parallelism().unwrap().get();
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= cores, "peak {peak} with {cores} cores");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&parsed).unwrap();
        let defaults = argon2::Params::default();
        assert_eq!(parsed.algorithm, argon2::Algorithm::Argon2id.ident());
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (defaults.m_cost(), defaults.t_cost(), defaults.p_cost())
        );
    }
}
