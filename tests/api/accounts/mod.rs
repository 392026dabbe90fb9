//! `/api/v1/accounts/`: every row of the contract's accounts table, the e-mails, outbox and CLI.

mod activate;
mod login;
mod openapi;
mod outbox;
mod password_change;
mod password_reset;
mod refresh_logout;
mod register;
mod resend_and_reset_request;
mod token_cleanup;
pub(crate) mod users_cli;

use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json, mail::spawn_mail_app};

/// The `detail` text of an error body.
fn detail(body: &Value) -> &str {
    body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {body}"))
}

/// The `msg` of every 422 entry.
fn messages(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("not a 422 body: {body}"))
        .iter()
        .map(|e| e["msg"].as_str().expect("msg").to_owned())
        .collect()
}

/// Asserts a 500 answer whose `detail` is `text`.
fn assert_500((status, body): &(u16, Value), text: &str) {
    assert_eq!((*status, detail(body)), (500, text));
}

/// A mail app whose database is closed already: every request that needs it fails.
async fn spawn_app_with_a_closed_db(backend: Backend) -> TestApp {
    let app = spawn_mail_app(backend).await;
    app.db.clone().close().await.expect("close pool");
    app
}

/// Moves every token of `E` a minute into the past.
async fn expire<E: EntityTrait>(app: &TestApp, column: E::Column)
where
    E::Column: ColumnTrait,
{
    E::update_many()
        .col_expr(column, Expr::value(Utc::now() - TimeDelta::minutes(1)))
        .exec(&app.db)
        .await
        .expect("expire tokens");
}

/// How many rows `E`'s table holds.
async fn count<E: EntityTrait>(app: &TestApp) -> u64
where
    E::Model: Sync,
{
    E::find().count(&app.db).await.expect("count rows")
}

impl TestApp {
    /// POSTs `{"refresh_token": token}` to `path` (the refresh or the logout): status and body.
    async fn post_refresh_token(&self, path: &str, token: &str) -> (u16, Value) {
        json(self.post_json(path, &json!({"refresh_token": token})).await).await
    }
}
