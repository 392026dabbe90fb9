//! SeaORM entities of the accounts, profiles and outbox tables (see `crate::migration`), shared by
//! the domain modules; business rules live in the domains, not here. The catalog's tables have no
//! entities: `movies::store` reads and writes them with benchmarked SQL of its own.

pub mod activation_token;
pub mod email_outbox;
pub mod password_reset_token;
pub mod refresh_token;
pub mod user;
pub mod user_group;
pub mod user_profile;
