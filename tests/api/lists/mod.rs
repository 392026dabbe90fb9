//! `/api/v1/users/me/lists/…` and `/api/v1/lists/…`: users' lists, their movies through the
//! catalog's parameters, public and private lists, and the community summary's `favorite` /
//! `watchlist`.

mod manage;
mod movies;
mod openapi;

use std::collections::HashMap;

use serde_json::Value;
use theater::auth::Group;

use crate::helpers::{Backend, TestApp, json, spawn_app_with};

pub(crate) const MINE: &str = "/api/v1/users/me/lists/";

/// `/users/me/lists/{list}/`.
pub(crate) fn mine(list: impl std::fmt::Display) -> String {
    format!("{MINE}{list}/")
}

/// `/users/me/lists/{list}/movies/`.
pub(crate) fn mine_movies(list: impl std::fmt::Display) -> String {
    format!("{MINE}{list}/movies/")
}

/// `/users/me/lists/{list}/movies/{movie_id}/`.
pub(crate) fn mine_movie(list: impl std::fmt::Display, movie_id: i64) -> String {
    format!("{MINE}{list}/movies/{movie_id}/")
}

/// `/lists/{list_id}/`.
pub(crate) fn public(list_id: impl std::fmt::Display) -> String {
    format!("/api/v1/lists/{list_id}/")
}

/// `/lists/{list_id}/movies/`.
pub(crate) fn public_movies(list_id: impl std::fmt::Display) -> String {
    format!("/api/v1/lists/{list_id}/movies/")
}

/// Open catalog writes (the tests create movies) and no write limit unless a test sets one.
pub(crate) fn open(env: &mut HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
    env.insert("COMMUNITY_RATE_LIMIT".into(), "0".into());
}

pub(crate) async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(backend, open).await
}

impl TestApp {
    /// `method path` with an optional `Authorization` and JSON body: status and JSON body.
    pub(crate) async fn on_lists(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request.send().await.expect("request")).await
    }

    /// A GET that must answer 200.
    pub(crate) async fn list_read(&self, path: &str, auth: Option<&str>) -> Value {
        let (status, body) = self.on_lists(reqwest::Method::GET, path, auth, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A new active user's `Authorization` value.
    pub(crate) async fn list_member(&self, email: &str) -> String {
        let id = self.insert_user(email, Group::User, true).await;
        self.bearer(id)
    }

    /// Creates a list that must succeed; its id.
    pub(crate) async fn new_list(&self, auth: &str, name: &str, public: bool) -> i64 {
        let body = serde_json::json!({"name": name, "public": public});
        let (status, list) = self
            .on_lists(reqwest::Method::POST, MINE, Some(auth), Some(body))
            .await;
        assert_eq!(status, 201, "{list}");
        list["id"].as_i64().expect("an id")
    }

    /// Adds a movie to a list; must answer 204.
    pub(crate) async fn put_movie(&self, auth: &str, list: impl std::fmt::Display, movie_id: i64) {
        let path = mine_movie(list, movie_id);
        let (status, body) = self
            .on_lists(reqwest::Method::PUT, &path, Some(auth), None)
            .await;
        assert_eq!(status, 204, "PUT {path}: {body}");
    }
}
