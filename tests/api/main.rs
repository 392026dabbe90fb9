//! HTTP-level tests: each test gets its own server and database (SQLite always; PostgreSQL too when
//! `TEST_DATABASE_URL` is set) and talks to it over real HTTP.

// Not every test file uses every helper.
#[allow(dead_code)]
mod helpers;

mod accounts;
mod admin;
mod cli;
mod community;
mod connections;
mod discovery;
mod e2e_mail;
mod e2e_s3;
mod health;
mod importer;
mod limits;
mod lists;
mod movies;
mod notifications;
mod pages;
mod profiles;
mod reviews;
mod robustness;
mod service;
