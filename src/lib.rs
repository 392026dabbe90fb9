//! Theater: a movie catalog and accounts API, wire-compatible with the FastAPI "Movie Theater API".
//!
//! Layout: one module per domain (`accounts`, `movies`, `discovery`, `community`, `reviews`,
//! `notifications`, `lists`, `profiles`, `admin`), each holding its HTTP handlers, request/response
//! types, business rules and data access; shared infrastructure beside them.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod background;
pub mod catalog_cache;
pub mod cli;
pub mod community;
pub mod config;
pub mod db;
pub mod discovery;
pub mod entities;
pub mod error;
pub mod files;
pub mod http;
pub mod lists;
pub mod mail;
pub mod migration;
pub mod movies;
pub mod notifications;
pub mod object_cleanup;
pub mod profiles;
pub mod random;
pub mod rate_limit;
pub mod reviews;
pub mod revocation;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod validation;
