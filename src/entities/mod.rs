//! SeaORM entities: one file per table of the contract's schema (see `crate::migration`).
//! Shared by the domain modules; business rules live in the domains, not here.

pub mod activation_token;
pub mod actor;
pub mod actor_movie;
pub mod country;
pub mod email_outbox;
pub mod genre;
pub mod language;
pub mod movie;
pub mod movie_genre;
pub mod movie_language;
pub mod password_reset_token;
pub mod refresh_token;
pub mod user;
pub mod user_group;
pub mod user_profile;
