//! `/api/v1/theater/movies/`: the contract's movie rows, filters, `CATALOG_WRITES`, the cache.

mod cache;
mod catalog_writes;
mod create;
mod create_validation;
mod delete;
mod detail;
mod filters;
mod list;
mod openapi;
mod search;
mod trailing_slash;
mod update;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json, spawn_app_with};

/// Most tests here check the original's contract, whose catalog anyone may write: they run with
/// `CATALOG_WRITES=open`, as the original's clients and test suite would. `staff_mode_guards_writes`
/// checks the default.
pub(crate) async fn spawn_open_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, open_catalog).await
}

fn open_catalog(env: &mut std::collections::HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
}

pub(crate) const MOVIES: &str = "/api/v1/theater/movies/";

pub(crate) fn movie_url(id: impl std::fmt::Display) -> String {
    format!("{MOVIES}{id}/")
}

/// A valid create body; tests change what they exercise.
pub(crate) fn movie(name: &str, date: &str) -> Value {
    json!({
        "name": name,
        "date": date,
        "score": 73.0,
        "overview": format!("Overview of {name}."),
        "status": "Released",
        "budget": 75000000.0,
        "revenue": 271616668.0,
        "country": "us",
        "genres": ["drama", "action"],
        "actors": ["michael b. jordan", "tessa thompson"],
        "languages": ["english"],
    })
}

impl TestApp {
    async fn create_movie(&self, body: &Value) -> (u16, Value) {
        json(self.post_json(MOVIES, body).await).await
    }

    /// Creates a movie that must succeed and returns its id.
    pub(crate) async fn created(&self, body: &Value) -> i64 {
        let (status, created) = self.create_movie(body).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_i64().unwrap()
    }

    async fn count(&self, table: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        json(request.send().await.unwrap()).await
    }
}

/// The ids of the movies of a list body (`{"movies": [...]}`), in order.
pub(crate) fn movie_ids(page: &Value) -> Vec<i64> {
    each_movie(page, |m| m["id"].as_i64().expect("an id"))
}

/// The names of the movies of a list body, in order.
pub(crate) fn movie_names(page: &Value) -> Vec<String> {
    each_movie(page, |m| m["name"].as_str().expect("a name").to_owned())
}

fn each_movie<T>(page: &Value, f: impl Fn(&Value) -> T) -> Vec<T> {
    page["movies"]
        .as_array()
        .expect("a movie list")
        .iter()
        .map(f)
        .collect()
}

impl TestApp {
    /// The catalog's page for `?search={search}` (URL-encoded by the caller), `None` for its 404.
    pub(crate) async fn search_page(&self, search: &str) -> Option<Value> {
        let (status, page) = json(self.get(&format!("{MOVIES}?search={search}")).await).await;
        if status == 404 {
            assert_eq!(page, json!({"detail": "No movies found."}));
            return None;
        }
        assert_eq!(status, 200, "{search}: {page}");
        Some(page)
    }
}

fn one_error(body: &Value) -> &Value {
    let errors = body["detail"].as_array().expect("a validation error list");
    assert_eq!(errors.len(), 1, "{body}");
    &errors[0]
}

/// pydantic's 422 entry for `input` at `loc` breaking `rule` (the entry's `type`, `msg`, any `ctx`).
fn field_error(loc: Value, input: Value, rule: Value) -> Value {
    let mut error = rule;
    error["loc"] = loc;
    error["input"] = input;
    error
}

/// A rule without a `ctx`: its `type` and `msg`.
fn rule(kind: &str, msg: &str) -> Value {
    json!({"type": kind, "msg": msg})
}

/// The rule of a number no greater than `limit`.
fn at_most(limit: i64) -> Value {
    let msg = format!("Input should be less than or equal to {limit}");
    json!({"type": "less_than_equal", "msg": msg, "ctx": {"le": limit}})
}

/// The rule of a number no less than `limit`.
fn at_least(limit: i64) -> Value {
    let msg = format!("Input should be greater than or equal to {limit}");
    json!({"type": "greater_than_equal", "msg": msg, "ctx": {"ge": limit}})
}

/// The rule of a string of at most `max` characters.
fn at_most_chars(max: usize) -> Value {
    let msg = format!("String should have at most {max} characters");
    json!({"type": "string_too_long", "msg": msg, "ctx": {"max_length": max}})
}

/// The rule of a value among `expected` (pydantic's `'a', 'b' or 'c'`), as an error of `kind`.
fn one_of(kind: &str, expected: &str) -> Value {
    let msg = format!("Input should be {expected}");
    json!({"type": kind, "msg": msg, "ctx": {"expected": expected}})
}

/// The rule of an integer.
fn an_integer() -> Value {
    rule(
        "int_parsing",
        "Input should be a valid integer, unable to parse string as an integer",
    )
}
