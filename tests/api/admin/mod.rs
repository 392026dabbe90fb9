//! `/api/v1/admin/…` and `/api/v1/users/me/`: the users API with the last-admin guard and
//! revocation, the moderation queue, the audit log, and the operator's `theater users|audit`.

mod audit;
mod cli;
mod deletion;
mod me;
mod moderation;
mod openapi;
mod users;

use reqwest::Method;
use serde_json::Value;
use theater::{
    accounts::{Email, Password},
    auth::Group,
};

use crate::helpers::{
    TestApp,
    accounts::{LOGIN, PASSWORD},
    json,
};

pub(crate) const ADMIN_USERS: &str = "/api/v1/admin/users/";
pub(crate) const ADMIN_REVIEWS: &str = "/api/v1/admin/reviews/";
pub(crate) const ADMIN_AUDIT: &str = "/api/v1/admin/audit/";
pub(crate) const ME: &str = "/api/v1/users/me/";

pub(crate) fn admin_user_url(id: impl std::fmt::Display) -> String {
    format!("{ADMIN_USERS}{id}/")
}

pub(crate) fn revoke_url(id: impl std::fmt::Display) -> String {
    format!("{ADMIN_USERS}{id}/sessions/revoke/")
}

/// An admin, a moderator and a plain user, each with a token.
pub(crate) struct Crew {
    pub admin: (i32, String),
    pub moderator: (i32, String),
    pub user: (i32, String),
}

impl TestApp {
    pub(crate) async fn crew(&self) -> Crew {
        Crew {
            admin: self.member("admin@example.com", Group::Admin).await,
            moderator: self.member("moderator@example.com", Group::Moderator).await,
            user: self.member("user@example.com", Group::User).await,
        }
    }

    /// An active user of `group` (no password) with a token.
    pub(crate) async fn member(&self, email: &str, group: Group) -> (i32, String) {
        let id = self.insert_user(email, group, true).await;
        (id, self.bearer(id))
    }

    /// A user with [`PASSWORD`], active, in `group`, created as the CLI does: one who can log in.
    pub(crate) async fn account_with_password(&self, email: &str, group: Group) -> i32 {
        let email = Email::parse(email).expect("e-mail");
        let password = Password::parse(PASSWORD.to_owned()).expect("password");
        theater::accounts::service::create_user(
            &self.db,
            &self.state.mail,
            &email,
            &password,
            group,
            true,
        )
        .await
        .expect("create user")
        .id
    }

    /// Logs in: (access, refresh).
    pub(crate) async fn session_of(&self, email: &str) -> (String, String) {
        let body = serde_json::json!({"email": email, "password": PASSWORD});
        let (status, body) = json(self.post_json(LOGIN, &body).await).await;
        assert_eq!(status, 201, "{body}");
        let token = |k: &str| body[k].as_str().expect("a token").to_owned();
        (token("access_token"), token("refresh_token"))
    }

    /// `GET path` with `auth`, which must answer 200: the body.
    pub(crate) async fn admin_read(&self, auth: &str, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, Some(auth), None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// `PATCH /admin/users/{id}/` with `body`.
    pub(crate) async fn patch_user(&self, auth: &str, id: i32, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, &admin_user_url(id), Some(auth), Some(body))
            .await
    }

    /// The audit entries matching `query` (e.g. `action=user.update`), newest first.
    pub(crate) async fn audit_entries(&self, admin: &str, query: &str) -> Vec<Value> {
        let path = format!("{ADMIN_AUDIT}?per_page=20&{query}");
        self.admin_read(admin, &path).await["entries"]
            .as_array()
            .expect("entries")
            .clone()
    }

    /// A movie created through the API with a staff token: its id.
    pub(crate) async fn catalog_movie(&self, staff: &str, name: &str) -> i64 {
        let body = crate::movies::movie(name, "2020-01-01");
        let (status, body) = self
            .call(Method::POST, crate::movies::MOVIES, Some(staff), Some(body))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// What `GET /users/me/` answers for an `Authorization` value.
    pub(crate) async fn me_with(&self, auth: &str) -> (u16, Value) {
        self.call(Method::GET, ME, Some(auth), None).await
    }
}
