//! Password hashing: argon2id with the argon2 crate's defaults, which are OWASP's recommended
//! parameters (m = 19 MiB, t = 2, p = 1). Hashing takes tens of milliseconds of CPU on purpose, so it
//! runs on the blocking pool, never on the async executor.

use anyhow::Context;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

/// A hash of a random password with the same parameters as real ones. Login verifies against it when
/// the e-mail is unknown, so an unknown account costs as much time as a known one and response times
/// do not reveal which addresses are registered.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$J5KuBg6Ar1Gmqk+Vq2n7gw$Hg1Sh6E31x4o8cWHBiq8GDq4nOqG+zWZY0L4PM8bVmg";

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// True when `password` matches `stored`. `None` (no such account) verifies against [`DUMMY_HASH`]
/// and is always false. A stored value that is not a PHC string never matches.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
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
    .context("password verification task")
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
