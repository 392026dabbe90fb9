//! `/api/v1/profiles/users/{user_id}/profile/`: the contract's outcomes in order, GET and PATCH.

mod create;
mod media;
mod openapi;
mod read;
mod update;
mod upload_failures;
mod upload_limits;
mod validation;

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore};
use reqwest::multipart::{Form, Part};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use serde_json::{Value, json};
use theater::{auth::Group, entities::user_profile};

use crate::helpers::{Backend, TestApp, images::png, json, spawn_app_with_state, store::TestStore};

const UPLOAD_FAILED: &str = "Failed to upload avatar. Please try again later.";
const FORBIDDEN: &str = "You don't have permission to edit this profile.";
const USER_NOT_ACTIVE: &str = "User not found or not active.";
const ALREADY_EXISTS: &str = "User already has a profile.";
const NOT_FOUND: &str = "Profile not found.";
const FIELDS: [&str; 6] = [
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "info",
    "avatar",
];

/// A minimal GIF: a real image, of a format the contract refuses.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// The text fields of a valid form, with some replaced or removed.
fn fields_with(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("first_name", "John"),
        ("last_name", "Doe"),
        ("gender", "man"),
        ("date_of_birth", "1990-01-01"),
        ("info", "This is a test profile."),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        if let Some(v) = value {
            fields.push(((*name).to_owned(), (*v).to_owned()));
        }
    }
    fields
}

fn form(fields: Vec<(String, String)>, avatar: Option<(Vec<u8>, &str)>) -> Form {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k, v);
    }
    if let Some((bytes, name)) = avatar {
        form = form.part(
            "avatar",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    form
}

/// A valid form whose avatar is `bytes` named `name`.
fn valid_form(bytes: Vec<u8>, name: &str) -> Form {
    form(fields_with(&[]), Some((bytes, name)))
}

fn profile_path(user_id: i32) -> String {
    format!("/api/v1/profiles/users/{user_id}/profile/")
}

/// A valid form whose avatar is a black PNG, with `changes` to its text fields.
fn form_with(changes: &[(&str, Option<&str>)]) -> Form {
    form(fields_with(changes), Some((png([0; 3]), "a.png")))
}

/// A valid form whose avatar is a black PNG.
fn valid_png_form() -> Form {
    form_with(&[])
}

/// An app whose avatars go to a [`TestStore`], served at `/media/`.
async fn memory_app(backend: Backend) -> (TestApp, Arc<TestStore>) {
    let store = Arc::new(TestStore::default());
    let app = spawn_app_with_state(
        backend,
        |_| {},
        |state| state.storage = store.storage_for(state),
    )
    .await;
    (app, store)
}

/// A [`memory_app`] with one active user of the `User` group: the app, the user's id and their
/// `Authorization` header.
async fn memory_app_with_user(backend: Backend, email: &str) -> (TestApp, i32, String) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user(email, Group::User).await;
    (app, id, auth)
}

impl TestApp {
    async fn post_profile(
        &self,
        user_id: i32,
        auth: Option<&str>,
        form: Form,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(&profile_path(user_id)))
            .multipart(form);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().await.expect("request")
    }

    /// [`Self::post_profile`] with `auth`: status and body.
    async fn create_profile(&self, user_id: i32, auth: &str, form: Form) -> (u16, Value) {
        json(self.post_profile(user_id, Some(auth), form).await).await
    }

    async fn patch_profile(&self, user_id: i32, auth: &str, form: Form) -> reqwest::Response {
        self.client
            .patch(self.url(&profile_path(user_id)))
            .header("Authorization", auth)
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// PATCHes only `info`: status and body.
    async fn patch_info(&self, user_id: i32, auth: &str, info: &str) -> (u16, Value) {
        let form = Form::new().text("info", info.to_owned());
        json(self.patch_profile(user_id, auth, form).await).await
    }

    async fn get_profile(&self, user_id: i32, auth: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(&profile_path(user_id)));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().await.expect("request")
    }

    /// An active user and their `Authorization` header.
    async fn user(&self, email: &str, group: Group) -> (i32, String) {
        let id = self.insert_user(email, group, true).await;
        (id, self.bearer(id))
    }

    async fn profile_rows(&self) -> Vec<user_profile::Model> {
        user_profile::Entity::find().all(&self.db).await.unwrap()
    }

    /// Every object in the app's store, as (key, bytes).
    async fn objects(&self) -> Vec<(String, Bytes)> {
        let store = self.state.storage.object_store().clone();
        let metas: Vec<ObjectMeta> = store.list(None).try_collect().await.unwrap();
        let mut out = Vec::new();
        for meta in metas {
            let bytes = store
                .get(&meta.location)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            out.push((meta.location.to_string(), bytes));
        }
        out.sort();
        out
    }

    /// Makes every insert (and update) into `user_profiles` fail, as a broken database would.
    async fn break_profile_writes(&self, operation: &str) {
        let db = &self.db;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER fail_profile_{operation} BEFORE {operation} ON user_profiles \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                ))
                .await
                .unwrap();
            }
            _ => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION fail_profile_write() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
                )
                .await
                .unwrap();
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER fail_profile_{operation} BEFORE {operation} ON user_profiles \
                     FOR EACH ROW EXECUTE FUNCTION fail_profile_write()"
                ))
                .await
                .unwrap();
            }
        }
    }
}

/// The `detail` list of a 422 whose failures are exactly on `fields`, in that order.
fn assert_fields(body: &Value, fields: &[&str]) -> Vec<Value> {
    let errors = body["detail"]
        .as_array()
        .expect("a validation error list")
        .clone();
    let locs: Vec<Value> = errors.iter().map(|e| e["loc"].clone()).collect();
    let expected: Vec<Value> = fields.iter().map(|f| json!(["body", f])).collect();
    assert_eq!(locs, expected, "{body}");
    errors
}

fn assert_msg_contains(error: &Value, text: &str) {
    let msg = error["msg"].as_str().expect("msg");
    assert!(msg.contains(text), "{msg:?} should contain {text:?}");
}
