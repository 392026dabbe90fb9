//! Accounts through the API: the test passwords, the endpoints' paths, registering and logging in.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use theater::entities::user;

use super::{
    TestApp, json,
    mail::{between, unescape},
};

pub const PASSWORD: &str = "Secret#123";
pub const NEW_PASSWORD: &str = "Another$456";

pub const REGISTER: &str = "/api/v1/accounts/register/";
pub const ACTIVATE: &str = "/api/v1/accounts/activate/";
pub const RESEND: &str = "/api/v1/accounts/activation/resend/";
pub const RESET_REQUEST: &str = "/api/v1/accounts/password-reset/request/";
pub const RESET_COMPLETE: &str = "/api/v1/accounts/reset-password/complete/";
pub const LOGIN: &str = "/api/v1/accounts/login/";
pub const REFRESH: &str = "/api/v1/accounts/refresh/";
pub const LOGOUT: &str = "/api/v1/accounts/logout/";
pub const PASSWORD_CHANGE: &str = "/api/v1/accounts/password-change/";

/// A form on a page: its action and its fields' current values.
pub fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let form_start = html.find("<form").expect("a form");
    let action = unescape(&between(&html[form_start..], r#"action=""#, "\""));
    let mut fields = Vec::new();
    for tag in html[form_start..].split("<input").skip(1) {
        let tag = &tag[..tag.find('>').expect("the end of the tag")];
        let attr = |name: &str| {
            let marker = format!(r#"{name}=""#);
            tag.find(&marker)
                .map(|_| unescape(&between(tag, &marker, "\"")))
        };
        if let Some(name) = attr("name") {
            fields.push((name, attr("value").unwrap_or_default()));
        }
    }
    (action, fields)
}

impl TestApp {
    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(REGISTER, &json!({"email": email, "password": password}))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(LOGIN, &json!({"email": email, "password": password}))
            .await
    }

    /// Registers and activates `email` with [`PASSWORD`] through the API; returns the user's id.
    pub async fn active_user(&self, email: &str) -> i32 {
        let (status, body) = json(self.register(email, PASSWORD).await).await;
        assert_eq!(status, 201, "{body}");
        let token = self
            .mail(email, "Account Activation")
            .await
            .link_param("token");
        let (status, body) = json(
            self.post_json(ACTIVATE, &json!({"email": email, "token": token}))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        self.user_row(email).await.expect("the user").id
    }

    /// Logs in with [`PASSWORD`]; returns (access, refresh).
    pub async fn tokens(&self, email: &str, password: &str) -> (String, String) {
        let (status, body) = json(self.login(email, password).await).await;
        assert_eq!(status, 201, "{body}");
        (
            body["access_token"].as_str().expect("access").to_owned(),
            body["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }

    pub async fn user_row(&self, email: &str) -> Option<user::Model> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&self.db)
            .await
            .expect("query users")
    }

    /// Submits the form of `page` with `overrides` replacing field values.
    pub async fn submit(&self, page: &str, overrides: &[(&str, &str)]) -> reqwest::Response {
        let (action, mut fields) = form_of(page);
        for (name, value) in overrides {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        self.client
            .post(self.url(&action))
            .form(&fields)
            .send()
            .await
            .expect("form request")
    }
}
