//! `/api/v1/accounts/`: every row of the contract's accounts table, the four e-mails (delivered through
//! the outbox to lettre's stub transport, the worker driven by the test), the endpoints beyond the
//! original, the outbox itself, and `theater users`.

use std::{collections::HashMap, sync::Arc};

use chrono::{TimeDelta, Utc};
use lettre::transport::stub::AsyncStubTransport;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use theater::{
    entities::{
        activation_token, email_outbox, password_reset_token, refresh_token, user, user_group,
    },
    mail::{ExecutionOutcome, Mail, Transport, try_execute_task},
};

use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app_with_state},
};

pub const PASSWORD: &str = "Secret#123";
pub const NEW_PASSWORD: &str = "Another$456";

const REGISTER: &str = "/api/v1/accounts/register/";
const ACTIVATE: &str = "/api/v1/accounts/activate/";
const RESEND: &str = "/api/v1/accounts/activation/resend/";
const RESET_REQUEST: &str = "/api/v1/accounts/password-reset/request/";
const RESET_COMPLETE: &str = "/api/v1/accounts/reset-password/complete/";
const LOGIN: &str = "/api/v1/accounts/login/";
const REFRESH: &str = "/api/v1/accounts/refresh/";
const LOGOUT: &str = "/api/v1/accounts/logout/";
const PASSWORD_CHANGE: &str = "/api/v1/accounts/password-change/";

const RESET_REQUESTED: &str = "If you are registered, you will receive an email with instructions.";

/// An app whose mail goes to lettre's stub transport, with no background jobs: the test drives the
/// outbox worker itself.
pub async fn spawn_mail_app(backend: Backend) -> TestApp {
    spawn_mail_app_with(backend, |_| {}).await
}

pub async fn spawn_mail_app_with(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
) -> TestApp {
    spawn_mail_app_with_transport(backend, customize, AsyncStubTransport::new_ok()).await
}

pub async fn spawn_mail_app_with_transport(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
    stub: AsyncStubTransport,
) -> TestApp {
    spawn_app_with_state(
        backend,
        |env| {
            env.insert("BACKGROUND_JOBS".into(), "false".into());
            customize(env);
        },
        |state| {
            let mail = Mail::from_config(&state.config)
                .expect("mail")
                .with_transport(Transport::Stub(stub));
            state.mail = Arc::new(mail);
        },
    )
    .await
}

/// A delivered e-mail, parsed from what the transport received.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub html: String,
}

impl SentMail {
    pub fn parse(raw: &str) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .expect("an RFC 5322 message");
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .expect("an address")
                .to_owned()
        };
        Self {
            to: address(message.to()),
            from: address(message.from()),
            subject: message.subject().expect("a subject").to_owned(),
            html: message.body_html(0).expect("an HTML body").into_owned(),
        }
    }

    /// The text of `<strong id="email">`.
    pub fn email_element(&self) -> String {
        between(&self.html, r#"<strong id="email">"#, "</strong>")
    }

    /// The `href` of `<a id="link">`, unescaped.
    pub fn link(&self) -> String {
        let start = self
            .html
            .find(r#"<a id="link""#)
            .expect("an <a id=\"link\">");
        unescape(&between(&self.html[start..], r#"href=""#, "\""))
    }

    /// A query parameter of the link.
    pub fn link_param(&self, name: &str) -> String {
        let link = url::Url::parse(&self.link()).expect("an absolute link");
        link.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {link}"))
    }

    /// The link's path and query, to follow it against the test server.
    pub fn link_path(&self) -> String {
        let link = url::Url::parse(&self.link()).expect("an absolute link");
        match link.query() {
            Some(q) => format!("{}?{q}", link.path()),
            None => link.path().to_owned(),
        }
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found in {text}"))
        + start.len();
    let len = text[from..].find(end).expect("the closing text");
    text[from..from + len].to_owned()
}

/// The entities our templates escape.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

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
    pub fn stub(&self) -> AsyncStubTransport {
        match self.state.mail.transport() {
            Transport::Stub(stub) => stub.clone(),
            other => panic!("not a stub transport: {other:?}"),
        }
    }

    /// Runs the outbox worker until nothing is due; returns every e-mail sent so far.
    pub async fn deliver_mail(&self) -> Vec<SentMail> {
        while try_execute_task(&self.db, &self.state.mail)
            .await
            .expect("outbox")
            == ExecutionOutcome::TaskCompleted
        {}
        self.stub()
            .messages()
            .await
            .iter()
            .map(|(_, raw)| SentMail::parse(raw))
            .collect()
    }

    /// The single e-mail sent to `to` with `subject`.
    pub async fn mail(&self, to: &str, subject: &str) -> SentMail {
        let matching: Vec<SentMail> = self
            .deliver_mail()
            .await
            .into_iter()
            .filter(|m| m.to == to && m.subject == subject)
            .collect();
        assert_eq!(matching.len(), 1, "e-mails to {to} with {subject:?}");
        matching.into_iter().next().expect("one e-mail")
    }

    pub async fn count_mail(&self, to: &str, subject: &str) -> usize {
        self.deliver_mail()
            .await
            .iter()
            .filter(|m| m.to == to && m.subject == subject)
            .count()
    }

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

// ---------------------------------------------------------------- register

async fn register_creates_an_inactive_user_and_sends_the_activation_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let (status, body) = json(app.register("New.User@Example.COM", PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    let user = app
        .user_row("new.user@example.com")
        .await
        .expect("stored lower-cased");
    assert_eq!(
        body,
        json!({"id": user.id, "email": "new.user@example.com"})
    );
    assert!(!user.is_active);
    assert!(user.hashed_password.starts_with("$argon2id$"));
    let group = user_group::Entity::find_by_id(user.group_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.name, "user");

    let token = activation_token::Entity::find()
        .filter(activation_token::Column::UserId.eq(user.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("an activation token");
    let lifetime = token.expires_at - Utc::now();
    assert!(lifetime > TimeDelta::hours(23) && lifetime <= TimeDelta::hours(24));
    assert!(token.token.len() <= 64);

    // The response did not wait for the mail: it is in the outbox, unsent.
    let pending = email_outbox::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].sent_at.is_none());

    let mail = app.mail("new.user@example.com", "Account Activation").await;
    assert_eq!(mail.email_element(), "new.user@example.com");
    assert_eq!(mail.from, "theater@localhost");
    assert!(
        mail.link()
            .starts_with(&format!("{}/accounts/activate?", app.address))
    );
    assert_eq!(mail.link_param("email"), "new.user@example.com");
    assert_eq!(mail.link_param("token"), token.token);
    let sent = email_outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(sent[0].sent_at.is_some() && sent[0].attempts == 1);
}

async fn register_conflicts_on_an_existing_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    assert_eq!(
        app.register("taken@example.com", PASSWORD).await.status(),
        201
    );
    // Lower-casing makes these the same address.
    let (status, body) = json(app.register("Taken@Example.com", PASSWORD).await).await;
    assert_eq!(status, 409);
    assert_eq!(
        detail(&body),
        "A user with this email taken@example.com already exists."
    );
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
}

async fn concurrent_registrations_of_one_email_create_one_user(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let responses =
        futures::future::join_all((0..4).map(|_| app.register("race@example.com", PASSWORD))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409]);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(
        app.count_mail("race@example.com", "Account Activation")
            .await,
        1
    );
}

async fn register_validates_email_and_password_rules_in_order(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let rules = [
        ("Ab1#", "Password must contain at least 8 characters."),
        (
            "abcdefg1#",
            "Password must contain at least one uppercase letter.",
        ),
        (
            "ABCDEFG1#",
            "Password must contain at least one lower letter.",
        ),
        ("ABCDefgh#", "Password must contain at least one digit."),
        (
            "ABCDefgh1",
            "Password must contain at least one special character: @, $, !, %, *, ?, #, &.",
        ),
    ];
    for (password, expected) in rules {
        let (status, body) = json(app.register("a@example.com", password).await).await;
        assert_eq!(status, 422, "{password}");
        let entry = &body["detail"][0];
        assert_eq!(entry["loc"], json!(["body", "password"]));
        assert_eq!(entry["type"], "value_error");
        assert!(entry["msg"].as_str().unwrap().contains(expected), "{body}");
    }
    let (status, body) = json(app.register("not-an-email", "x").await).await;
    assert_eq!(status, 422);
    let msgs = messages(&body);
    assert_eq!(msgs.len(), 2, "both fields are reported: {body}");
    assert!(msgs[0].starts_with("value is not a valid email address: "));
    assert_eq!(body["detail"][0]["loc"], json!(["body", "email"]));
    let (status, body) = json(app.post_json(REGISTER, &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(messages(&body), ["Field required", "Field required"]);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn register_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.db.clone().close().await.unwrap();
    let (status, body) = json(app.register("a@example.com", PASSWORD).await).await;
    assert_eq!(
        (status, detail(&body)),
        (500, "An error occurred during user creation.")
    );
}

// ---------------------------------------------------------------- activate

/// Resend and reset request answer the same for every address, and must take the same time too, or
/// their timing tells who is registered. Timing itself is too noisy to assert on a loaded machine, so
/// this checks its cause: the SQL statements each request runs are the same whether or not the
/// address is owed an e-mail (they used to be one lookup for an unknown address and a whole
/// transaction for a known one).
async fn resend_and_reset_request_run_the_same_statements_for_every_address(backend: Backend) {
    use axum::extract::FromRef;
    use std::sync::Mutex;
    use theater::accounts::{Accounts, domain::Email};
    let app = spawn_mail_app(backend).await;
    app.active_user("active@example.com").await;
    app.register("inactive@example.com", PASSWORD).await;
    let statements = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut db = app.db.clone();
    {
        let statements = statements.clone();
        db.set_metric_callback(move |info| {
            statements.lock().unwrap().push(info.statement.sql.clone())
        });
    }
    let accounts = Accounts::from_ref(&theater::state::AppState {
        db,
        ..app.state.clone()
    });
    let record = |address: &str| {
        statements.lock().unwrap().clear();
        Email::parse(address).unwrap()
    };
    let taken = || std::mem::take(&mut *statements.lock().unwrap());

    // Owed: inactive for a resend, active for a reset; then the other state, then no account.
    let addresses = [
        "inactive@example.com",
        "active@example.com",
        "nobody@example.com",
    ];
    let mut resend = Vec::new();
    for address in addresses {
        let email = record(address);
        accounts.resend_activation(&email, None).await.unwrap();
        resend.push(taken());
    }
    let mut reset = Vec::new();
    for address in [
        "active@example.com",
        "inactive@example.com",
        "nobody@example.com",
    ] {
        let email = record(address);
        accounts.request_password_reset(&email, None).await.unwrap();
        reset.push(taken());
    }
    for runs in [&resend, &reset] {
        assert!(runs[0].len() >= 3, "{runs:#?}");
        assert_eq!(runs[0], runs[1], "an address in the other state");
        assert_eq!(runs[0], runs[2], "an unknown address");
    }
    // And only the owed addresses got mail.
    assert_eq!(
        app.count_mail("inactive@example.com", "Account Activation")
            .await,
        2
    );
    assert_eq!(
        app.count_mail("active@example.com", "Account Activation")
            .await,
        1
    );
    assert_eq!(
        app.count_mail("active@example.com", "Password Reset Request")
            .await,
        1
    );
    assert_eq!(
        app.count_mail("inactive@example.com", "Password Reset Request")
            .await,
        0
    );
}

async fn activate_activates_deletes_the_token_and_sends_the_activated_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.register("act@example.com", PASSWORD).await;
    let token = app
        .mail("act@example.com", "Account Activation")
        .await
        .link_param("token");
    let (status, body) = json(
        app.post_json(
            ACTIVATE,
            &json!({"email": "ACT@example.com", "token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"message": "User account activated successfully."})
        )
    );
    assert!(app.user_row("act@example.com").await.unwrap().is_active);
    assert_eq!(
        activation_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    let mail = app
        .mail("act@example.com", "Account Activated Successfully")
        .await;
    assert_eq!(mail.email_element(), "act@example.com");
    assert_eq!(mail.link(), format!("{}/accounts/login", app.address));
    let page = app.get(&mail.link_path()).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"action="/accounts/login""#)
    );
}

async fn activate_rejects_unknown_wrong_and_expired_tokens(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.register("exp@example.com", PASSWORD).await;
    let token = app
        .mail("exp@example.com", "Account Activation")
        .await
        .link_param("token");
    let invalid = json!({"detail": "Invalid or expired activation token."});
    for body in [
        json!({"email": "exp@example.com", "token": "wrong"}),
        json!({"email": "other@example.com", "token": token}),
    ] {
        let (status, answer) = json(app.post_json(ACTIVATE, &body).await).await;
        assert_eq!((status, answer), (400, invalid.clone()));
    }
    // A wrong guess leaves the real token alone...
    assert_eq!(
        activation_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    // ...an expired one is deleted.
    expire::<activation_token::Entity>(&app, activation_token::Column::ExpiresAt).await;
    let (status, answer) = json(
        app.post_json(
            ACTIVATE,
            &json!({"email": "exp@example.com", "token": token}),
        )
        .await,
    )
    .await;
    assert_eq!((status, answer), (400, invalid));
    assert_eq!(
        activation_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert!(!app.user_row("exp@example.com").await.unwrap().is_active);
}

async fn activate_refuses_an_active_account(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.register("on@example.com", PASSWORD).await;
    let token = app
        .mail("on@example.com", "Account Activation")
        .await
        .link_param("token");
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(true))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = json(
        app.post_json(
            ACTIVATE,
            &json!({"email": "on@example.com", "token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, detail(&body)),
        (400, "User account is already active.")
    );
    assert_eq!(
        app.count_mail("on@example.com", "Account Activated Successfully")
            .await,
        0
    );
}

// ---------------------------------------------------------------- password reset

async fn reset_request_answers_the_same_and_mails_only_active_users(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("active@example.com").await;
    app.register("inactive@example.com", PASSWORD).await;
    let expected = json!({"message": RESET_REQUESTED});
    for email in [
        "nobody@example.com",
        "inactive@example.com",
        "ACTIVE@example.com",
    ] {
        let (status, body) =
            json(app.post_json(RESET_REQUEST, &json!({"email": email})).await).await;
        assert_eq!((status, body), (200, expected.clone()), "{email}");
    }
    let tokens = password_reset_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    let lifetime = tokens[0].expires_at - Utc::now();
    assert!(lifetime > TimeDelta::hours(23) && lifetime <= TimeDelta::hours(24));
    let all = app.deliver_mail().await;
    assert!(
        all.iter()
            .all(|m| m.subject != "Password Reset Request" || m.to == "active@example.com")
    );

    let mail = app
        .mail("active@example.com", "Password Reset Request")
        .await;
    assert_eq!(mail.email_element(), "active@example.com");
    assert!(
        mail.link()
            .starts_with(&format!("{}/accounts/reset-password?", app.address))
    );
    assert_eq!(mail.link_param("email"), "active@example.com");
    assert_eq!(mail.link_param("token"), tokens[0].token);

    // A second request replaces the token.
    app.post_json(RESET_REQUEST, &json!({"email": "active@example.com"}))
        .await;
    let again = password_reset_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].token, tokens[0].token);
    assert_eq!(
        app.count_mail("active@example.com", "Password Reset Request")
            .await,
        2
    );
    let (status, _) = json(app.post_json(RESET_REQUEST, &json!({"email": "bad"})).await).await;
    assert_eq!(status, 422);
}

async fn concurrent_requests_for_one_user_all_succeed(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("busy@example.com").await;
    app.register("sleepy@example.com", PASSWORD).await;
    let reset = json!({"email": "busy@example.com"});
    let resend = json!({"email": "sleepy@example.com"});
    let responses = futures::future::join_all(
        (0..4)
            .map(|_| app.post_json(RESET_REQUEST, &reset))
            .chain((0..4).map(|_| app.post_json(RESEND, &resend))),
    )
    .await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(
        password_reset_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        activation_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

async fn reset_complete_changes_the_password_and_signs_out(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("r@example.com").await;
    let (_, refresh) = app.tokens("r@example.com", PASSWORD).await;
    app.post_json(RESET_REQUEST, &json!({"email": "r@example.com"}))
        .await;
    let token = app
        .mail("r@example.com", "Password Reset Request")
        .await
        .link_param("token");
    let request = json!({"email": "r@example.com", "password": NEW_PASSWORD, "token": token});
    let (status, answer) = json(app.post_json(RESET_COMPLETE, &request).await).await;
    assert_eq!(
        (status, answer),
        (200, json!({"message": "Password reset successfully."}))
    );
    assert_eq!(
        password_reset_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    let mail = app
        .mail("r@example.com", "Your Password Has Been Successfully Reset")
        .await;
    assert_eq!(mail.email_element(), "r@example.com");
    assert_eq!(mail.link(), format!("{}/accounts/login", app.address));

    assert_eq!(app.login("r@example.com", PASSWORD).await.status(), 401);
    assert_eq!(app.login("r@example.com", NEW_PASSWORD).await.status(), 201);
    let (status, body) = json(
        app.post_json(REFRESH, &json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    assert_eq!((status, detail(&body)), (401, "Refresh token not found."));
    // The token is used up.
    let (status, _) = json(app.post_json(RESET_COMPLETE, &request).await).await;
    assert_eq!(status, 400);
}

async fn reset_complete_rejects_every_bad_combination(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let invalid = (400, json!({"detail": "Invalid email or token."}));
    let complete = |email: &str, token: &str| json!({"email": email, "password": NEW_PASSWORD, "token": token});
    // Unknown user; inactive user; no token.
    app.register("idle@example.com", PASSWORD).await;
    app.active_user("u@example.com").await;
    for body in [
        complete("ghost@example.com", "t"),
        complete("idle@example.com", "t"),
        complete("u@example.com", "t"),
    ] {
        assert_eq!(
            json(app.post_json(RESET_COMPLETE, &body).await).await,
            invalid
        );
    }
    // A wrong token deletes the stored one: the right one no longer works either.
    app.post_json(RESET_REQUEST, &json!({"email": "u@example.com"}))
        .await;
    let token = password_reset_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .token;
    assert_eq!(
        json(
            app.post_json(RESET_COMPLETE, &complete("u@example.com", "guess"))
                .await
        )
        .await,
        invalid
    );
    assert_eq!(
        password_reset_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        json(
            app.post_json(RESET_COMPLETE, &complete("u@example.com", &token))
                .await
        )
        .await,
        invalid
    );
    // An expired token is deleted.
    app.post_json(RESET_REQUEST, &json!({"email": "u@example.com"}))
        .await;
    let token = password_reset_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .token;
    expire::<password_reset_token::Entity>(&app, password_reset_token::Column::ExpiresAt).await;
    assert_eq!(
        json(
            app.post_json(RESET_COMPLETE, &complete("u@example.com", &token))
                .await
        )
        .await,
        invalid
    );
    assert_eq!(
        password_reset_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.login("u@example.com", PASSWORD).await.status(), 201);
    // The new password obeys the rules.
    let (status, body) = json(
        app.post_json(
            RESET_COMPLETE,
            &json!({"email": "u@example.com", "password": "weak", "token": "t"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(messages(&body)[0].contains("Password must contain at least 8 characters."));
}

async fn reset_complete_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.db.clone().close().await.unwrap();
    let body = json!({"email": "u@example.com", "password": NEW_PASSWORD, "token": "t"});
    let (status, answer) = json(app.post_json(RESET_COMPLETE, &body).await).await;
    assert_eq!(
        (status, detail(&answer)),
        (500, "An error occurred while resetting the password.")
    );
}

// ---------------------------------------------------------------- login, refresh, logout

async fn login_returns_tokens_and_stores_the_refresh_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("in@example.com").await;
    let (status, body) = json(app.login("IN@example.com", PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
    assert_eq!(
        app.state.tokens.decode_refresh(refresh).unwrap().user_id,
        id
    );
    let stored = refresh_token::Entity::find()
        .filter(refresh_token::Column::Token.eq(refresh))
        .one(&app.db)
        .await
        .unwrap()
        .expect("stored refresh token");
    assert_eq!(stored.user_id, id);
    let lifetime = stored.expires_at - Utc::now();
    assert!(lifetime > TimeDelta::days(6) && lifetime <= TimeDelta::days(7));
}

async fn login_rejects_bad_credentials_and_inactive_accounts(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("ok@example.com").await;
    app.register("off@example.com", PASSWORD).await;
    let (status, body) = json(app.login("ghost@example.com", PASSWORD).await).await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = json(app.login("ok@example.com", NEW_PASSWORD).await).await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = json(app.login("off@example.com", PASSWORD).await).await;
    assert_eq!(
        (status, detail(&body)),
        (403, "User account is not activated.")
    );
    // The password rules apply to the login body too.
    let (status, body) = json(app.login("ok@example.com", "nouppercase1#").await).await;
    assert_eq!(status, 422);
    assert!(messages(&body)[0].contains("Password must contain at least one uppercase letter."));
    assert_eq!(
        refresh_token::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

/// The OAuth2 password grant, as Swagger UI's Authorize dialog sends it: a form with `username`.
async fn login_takes_the_oauth2_password_grant_as_a_form(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("form@example.com").await;
    let form = |body: &str| {
        app.client
            .post(app.url(LOGIN))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
    };
    let grant = format!(
        "grant_type=password&username=Form%40example.com&password={}&scope=&client_id=",
        PASSWORD.replace('#', "%23")
    );
    let (status, body) = json(form(&grant).await.unwrap()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
    // The token opens what a pasted one does.
    let me = app
        .client
        .get(app.url(&format!("/api/v1/profiles/users/{id}/profile/")))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_ne!(me.status(), 401);

    // The login's rules and texts, at the form's field names.
    let (status, body) = json(
        form("username=form%40example.com&password=Wr0ng%23Pass")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = json(form("password=x").await.unwrap()).await;
    assert_eq!(status, 422);
    let locs: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"])
        .collect();
    assert!(locs.contains(&&json!(["body", "username"])), "{body}");
    assert!(locs.contains(&&json!(["body", "password"])), "{body}");
    let (status, body) = json(
        form(&grant.replace("grant_type=password", "grant_type=client_credentials"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "grant_type"]),
        "{body}"
    );
    // A password never comes back in a 422, from a form either.
    let (_, body) = json(form("username=nope&password=Secret%231Pass").await.unwrap()).await;
    assert!(!body.to_string().contains("Secret#1Pass"), "{body}");
    // JSON stays the contract's body.
    assert_eq!(app.login("form@example.com", PASSWORD).await.status(), 201);
}

async fn login_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.db.clone().close().await.unwrap();
    let (status, body) = json(app.login("a@example.com", PASSWORD).await).await;
    assert_eq!(
        (status, detail(&body)),
        (500, "An error occurred while processing the request.")
    );
}

async fn login_attempts_are_rate_limited(backend: Backend) {
    let app = spawn_mail_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), "3".into());
        env.insert("LOGIN_ADDRESS_RATE_LIMIT".into(), "3".into());
        env.insert("LOGIN_RATE_WINDOW_SECONDS".into(), "600".into());
    })
    .await;
    let id = app.active_user("x@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.login("x@example.com", NEW_PASSWORD).await.status(), 401);
    }
    let response = app.login("x@example.com", PASSWORD).await;
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=200).contains(&retry), "{retry}");
    let (_, body) = json(response).await;
    assert!(body["detail"].is_string());
    // The same client is limited for other accounts too (the per-address limit)...
    assert_eq!(app.login("y@example.com", PASSWORD).await.status(), 429);
    // ...and for guesses at the old password through a password change.
    let response = app
        .client
        .post(app.url(PASSWORD_CHANGE))
        .header("Authorization", app.bearer(id))
        .json(&json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
}

async fn refresh_issues_an_access_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("f@example.com").await;
    let (_, refresh) = app.tokens("f@example.com", PASSWORD).await;
    let (status, body) = json(
        app.post_json(REFRESH, &json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body.as_object().unwrap().len(), 2);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
}

async fn refresh_rejects_bad_tokens(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("g@example.com").await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            json(
                app.post_json(REFRESH, &json!({"refresh_token": token}))
                    .await,
            )
            .await
        }
    };
    let (status, body) = refresh("garbage".into()).await;
    assert_eq!((status, detail(&body)), (400, "Invalid token."));
    // An access token is not a refresh token.
    let (status, body) = refresh(app.access_token(id)).await;
    assert_eq!((status, detail(&body)), (400, "Invalid token."));
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": Utc::now().timestamp() - 10}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_REFRESH_SECRET.as_bytes()),
    )
    .unwrap();
    let (status, body) = refresh(expired).await;
    assert_eq!((status, detail(&body)), (400, "Token has expired."));
    // Valid, but never stored.
    let unknown = app.state.tokens.issue_refresh(id).unwrap().token;
    let (status, body) = refresh(unknown).await;
    assert_eq!((status, detail(&body)), (401, "Refresh token not found."));
    // Stored, but naming a user that does not exist.
    let orphan = app.state.tokens.issue_refresh(id + 1000).unwrap();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        token: sea_orm::Set(orphan.token.clone()),
        expires_at: sea_orm::Set(orphan.expires_at),
        user_id: sea_orm::Set(id),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
    let (status, body) = refresh(orphan.token).await;
    assert_eq!((status, detail(&body)), (404, "User not found."));
}

async fn logout_revokes_the_refresh_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("o@example.com").await;
    let (_, refresh) = app.tokens("o@example.com", PASSWORD).await;
    let (_, other) = app.tokens("o@example.com", PASSWORD).await;
    let body = json!({"refresh_token": refresh});
    let (status, answer) = json(app.post_json(LOGOUT, &body).await).await;
    assert_eq!(
        (status, answer),
        (200, json!({"message": "Logged out successfully."}))
    );
    let (status, answer) = json(app.post_json(REFRESH, &body).await).await;
    assert_eq!((status, detail(&answer)), (401, "Refresh token not found."));
    let (status, answer) = json(app.post_json(LOGOUT, &body).await).await;
    assert_eq!((status, detail(&answer)), (401, "Refresh token not found."));
    // Only that session ended.
    let (status, _) = json(
        app.post_json(REFRESH, &json!({"refresh_token": other}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = json(app.post_json(LOGOUT, &json!({"refresh_token": "x"})).await).await;
    assert_eq!((status, detail(&answer)), (400, "Invalid token."));
}

// ---------------------------------------------------------------- beyond the original

async fn password_change_needs_the_old_password_and_revokes_sessions(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("pc@example.com").await;
    let (access, refresh) = app.tokens("pc@example.com", PASSWORD).await;
    let change = |auth: Option<String>, body: Value| {
        let app = &app;
        async move {
            let mut request = app.client.post(app.url(PASSWORD_CHANGE)).json(&body);
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            json(request.send().await.unwrap()).await
        }
    };
    let good = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD});
    let (status, body) = change(None, good.clone()).await;
    assert_eq!(
        (status, detail(&body)),
        (401, "Authorization header is missing")
    );
    let bearer = Some(format!("Bearer {access}"));
    let (status, body) = change(
        bearer.clone(),
        json!({"old_password": "Wrong#123", "new_password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(
        (status, detail(&body)),
        (400, "The old password is incorrect.")
    );
    let (status, body) = change(
        bearer.clone(),
        json!({"old_password": PASSWORD, "new_password": "short"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "new_password"]));
    let (status, body) = change(bearer.clone(), good.clone()).await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "Password changed successfully."}))
    );

    let (status, _) = json(
        app.post_json(REFRESH, &json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(app.login("pc@example.com", PASSWORD).await.status(), 401);
    // The access token used for the change is revoked with the sessions.
    let (status, body) = change(
        bearer,
        json!({"old_password": NEW_PASSWORD, "new_password": PASSWORD}),
    )
    .await;
    assert_eq!((status, detail(&body)), (401, "Token has been revoked."));
    let (access, _) = app.tokens("pc@example.com", NEW_PASSWORD).await;
    let bearer = Some(format!("Bearer {access}"));
    let mail = app
        .mail(
            "pc@example.com",
            "Your Password Has Been Successfully Reset",
        )
        .await;
    assert_eq!(mail.email_element(), "pc@example.com");
    // An inactive account cannot change its password with a leftover token.
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(false))
        .filter(user::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = change(
        bearer,
        json!({"old_password": NEW_PASSWORD, "new_password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (status, detail(&body)),
        (401, "User not found or not active.")
    );
}

async fn activation_resend_only_mails_inactive_users(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("done@example.com").await;
    app.register("wait@example.com", PASSWORD).await;
    let first = app
        .mail("wait@example.com", "Account Activation")
        .await
        .link_param("token");
    let mut answers = Vec::new();
    for email in ["ghost@example.com", "done@example.com", "Wait@example.com"] {
        answers.push(json(app.post_json(RESEND, &json!({"email": email})).await).await);
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200);
    assert_eq!(
        app.count_mail("done@example.com", "Account Activation")
            .await,
        1
    );
    assert_eq!(
        app.count_mail("wait@example.com", "Account Activation")
            .await,
        2
    );
    let last = app
        .deliver_mail()
        .await
        .into_iter()
        .rfind(|m| m.to == "wait@example.com")
        .unwrap()
        .link_param("token");
    assert_ne!(first, last);
    let old = json!({"email": "wait@example.com", "token": first});
    assert_eq!(json(app.post_json(ACTIVATE, &old).await).await.0, 400);
    let new = json!({"email": "wait@example.com", "token": last});
    assert_eq!(json(app.post_json(ACTIVATE, &new).await).await.0, 200);
}

async fn openapi_lists_every_account_endpoint(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    for path in [
        REGISTER,
        ACTIVATE,
        RESEND,
        RESET_REQUEST,
        RESET_COMPLETE,
        LOGIN,
        REFRESH,
        LOGOUT,
        PASSWORD_CHANGE,
    ] {
        let post = &doc["paths"][path]["post"];
        assert!(post.is_object(), "{path} is not documented");
        assert!(post["responses"]["422"].is_object(), "{path} lacks its 422");
    }
    assert!(doc["paths"][LOGIN]["post"]["responses"]["429"].is_object());
    assert!(doc["paths"][PASSWORD_CHANGE]["post"]["security"].is_array());

    // In the order a person uses them (Swagger UI keeps the document's order).
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let at = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert!(at(REGISTER) < at(ACTIVATE), "{paths:?}");
    assert!(at(ACTIVATE) < at(LOGIN), "{paths:?}");
    assert!(at(LOGIN) < at(REFRESH), "{paths:?}");
    assert!(at(LOGIN) < at(PASSWORD_CHANGE), "{paths:?}");
    assert!(at(PASSWORD_CHANGE) < at(RESET_REQUEST), "{paths:?}");
    assert!(at(RESET_REQUEST) < at(RESET_COMPLETE), "{paths:?}");
    assert!(
        at(RESET_COMPLETE) < at("/api/v1/theater/movies/"),
        "{paths:?}"
    );
    assert_eq!(paths[0], REGISTER, "{paths:?}");

    // Authorize signs in with the password flow at the login, which takes that form.
    let flow = &doc["components"]["securitySchemes"]["password"];
    assert_eq!(flow["type"], "oauth2", "{flow}");
    assert_eq!(flow["flows"]["password"]["tokenUrl"], LOGIN, "{flow}");
    assert!(
        doc["paths"][LOGIN]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
            .is_object()
    );
    let security = doc["paths"][PASSWORD_CHANGE]["post"]["security"]
        .as_array()
        .unwrap();
    assert!(security.contains(&json!({"password": []})), "{security:?}");
    assert!(security.contains(&json!({"bearer": []})), "{security:?}");
}

// ---------------------------------------------------------------- the outbox

async fn failed_deliveries_are_retried_with_backoff_and_survive_a_restart(backend: Backend) {
    let app = spawn_mail_app_with_transport(backend, |_| {}, AsyncStubTransport::new_error()).await;
    assert_eq!(
        app.register("later@example.com", PASSWORD).await.status(),
        201
    );
    let outcome = try_execute_task(&app.db, &app.state.mail).await.unwrap();
    assert_eq!(outcome, ExecutionOutcome::TaskCompleted);
    let row = email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_none());
    assert!(row.last_error.as_deref().unwrap().contains("stub error"));
    let wait = row.next_attempt_at - Utc::now();
    assert!(
        wait > TimeDelta::seconds(20) && wait <= TimeDelta::seconds(30),
        "{wait}"
    );
    // Not due yet.
    assert_eq!(
        try_execute_task(&app.db, &app.state.mail).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );

    // Time passes; a new process (a fresh `Mail` with a working transport) finds the message.
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .exec(&app.db)
        .await
        .unwrap();
    let working = AsyncStubTransport::new_ok();
    let restarted = Mail::from_config(&app.state.config)
        .unwrap()
        .with_transport(Transport::Stub(working.clone()));
    assert_eq!(
        try_execute_task(&app.db, &restarted).await.unwrap(),
        ExecutionOutcome::TaskCompleted
    );
    let sent: Vec<SentMail> = working
        .messages()
        .await
        .iter()
        .map(|(_, raw)| SentMail::parse(raw))
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Account Activation");
    let row = email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.sent_at.is_some() && row.last_error.is_none());
    assert_eq!(row.attempts, 2);
    assert_eq!(
        try_execute_task(&app.db, &restarted).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
}

/// Makes every unsent message due now, as if its retry time had come.
async fn make_mail_due(app: &TestApp) {
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn the_outbox_row(app: &TestApp) -> email_outbox::Model {
    email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("an outbox row")
}

/// The `Message-ID` header of a raw message.
fn message_id(raw: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID in {raw}"))
        .to_owned()
}

async fn a_message_keeps_its_message_id_on_every_attempt(backend: Backend) {
    let app = spawn_mail_app_with_transport(backend, |_| {}, AsyncStubTransport::new_error()).await;
    assert_eq!(
        app.register("twice@example.com", PASSWORD).await.status(),
        201
    );
    try_execute_task(&app.db, &app.state.mail).await.unwrap();
    make_mail_due(&app).await;
    try_execute_task(&app.db, &app.state.mail).await.unwrap();
    let ids: Vec<String> = app
        .stub()
        .messages()
        .await
        .iter()
        .map(|(_, raw)| message_id(raw))
        .collect();
    assert_eq!(ids.len(), 2, "two attempts");
    assert_eq!(ids[0], ids[1]);
    // `<random@host of APP_BASE_URL>`, as stored when the message was written.
    assert!(
        ids[0].starts_with('<') && ids[0].ends_with("@127.0.0.1>"),
        "{}",
        ids[0]
    );
    assert_eq!(the_outbox_row(&app).await.message_id, Some(ids[0].clone()));

    // Another message gets another id.
    app.register("other@example.com", PASSWORD).await;
    make_mail_due(&app).await;
    while try_execute_task(&app.db, &app.state.mail).await.unwrap()
        == ExecutionOutcome::TaskCompleted
    {}
    let mut distinct: Vec<String> = app
        .stub()
        .messages()
        .await
        .iter()
        .map(|(_, raw)| message_id(raw))
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2);
}

/// An SMTP server on 127.0.0.1 that accepts every command but answers `RCPT TO` with `reply`, so
/// tests see how the worker treats a refusal through the real SMTP client.
async fn refusing_smtp_server(reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                if write.write_all(b"220 refusing ESMTP\r\n").await.is_err() {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let answer = match command.get(..4) {
                        Some("RCPT") => reply,
                        Some("QUIT") => "221 bye",
                        _ => "250 ok",
                    };
                    if write
                        .write_all(format!("{answer}\r\n").as_bytes())
                        .await
                        .is_err()
                        || command.starts_with("QUIT")
                    {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// An app whose mail goes over SMTP to `127.0.0.1:{port}`, with the worker driven by the test.
async fn spawn_smtp_app(backend: Backend, port: u16) -> TestApp {
    crate::helpers::spawn_app_with(backend, |env| {
        env.insert("BACKGROUND_JOBS".into(), "false".into());
        env.insert("EMAIL_HOST".into(), "127.0.0.1".into());
        env.insert("EMAIL_PORT".into(), port.to_string());
    })
    .await
}

async fn metrics_text(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

async fn permanent_refusals_are_marked_failed_and_never_retried(backend: Backend) {
    let port = refusing_smtp_server("550 5.1.1 no such user here").await;
    let app = spawn_smtp_app(backend, port).await;
    assert_eq!(
        app.register("nobody@example.com", PASSWORD).await.status(),
        201
    );
    assert_eq!(
        try_execute_task(&app.db, &app.state.mail).await.unwrap(),
        ExecutionOutcome::TaskCompleted
    );
    let row = the_outbox_row(&app).await;
    assert!(row.failed_at.is_some() && row.sent_at.is_none(), "{row:?}");
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("no such user here"),
        "{row:?}"
    );
    // Never claimed again, even when its time comes.
    make_mail_due(&app).await;
    assert_eq!(
        try_execute_task(&app.db, &app.state.mail).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    assert_eq!(the_outbox_row(&app).await.attempts, 1);
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.lines().any(|l| l == "email_outbox_failed 1"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "email_outbox_pending 0"),
        "{metrics}"
    );
}

async fn transient_refusals_are_retried(backend: Backend) {
    let port = refusing_smtp_server("451 4.3.0 mailbox busy, try later").await;
    let app = spawn_smtp_app(backend, port).await;
    assert_eq!(
        app.register("busy@example.com", PASSWORD).await.status(),
        201
    );
    try_execute_task(&app.db, &app.state.mail).await.unwrap();
    let row = the_outbox_row(&app).await;
    assert!(row.failed_at.is_none() && row.sent_at.is_none(), "{row:?}");
    assert!(row.next_attempt_at > Utc::now(), "{row:?}");
    assert!(
        row.last_error.as_deref().unwrap().contains("try later"),
        "{row:?}"
    );
    make_mail_due(&app).await;
    assert_eq!(
        try_execute_task(&app.db, &app.state.mail).await.unwrap(),
        ExecutionOutcome::TaskCompleted
    );
    assert_eq!(the_outbox_row(&app).await.attempts, 2);
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.lines().any(|l| l == "email_outbox_failed 0"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "email_outbox_pending 1"),
        "{metrics}"
    );
}

async fn concurrent_workers_send_each_message_once(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    for i in 0..12 {
        let message = app
            .state
            .mail
            .render(
                &format!("w{i}@example.com"),
                theater::mail::Notice::ActivationComplete,
            )
            .unwrap();
        theater::mail::outbox::insert(&app.db, message, Utc::now())
            .await
            .unwrap();
    }
    let worker = || async {
        let mut sent = 0;
        loop {
            match try_execute_task(&app.db, &app.state.mail).await {
                Ok(ExecutionOutcome::TaskCompleted) => sent += 1,
                Ok(ExecutionOutcome::EmptyQueue) => break,
                // SQLite may report a busy database under contention; the message stays due.
                Err(e) => eprintln!("worker: {e}"),
            }
        }
        sent
    };
    let (a, b, c) = tokio::join!(worker(), worker(), worker());
    assert_eq!(a + b + c, 12);
    let mut recipients: Vec<String> = app
        .stub()
        .messages()
        .await
        .iter()
        .map(|(envelope, _)| envelope.to()[0].to_string())
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 12);
    assert_eq!(app.stub().messages().await.len(), 12);
}

async fn the_served_application_runs_the_worker(backend: Backend) {
    // Background jobs on, as `theater serve` runs them.
    let stub = AsyncStubTransport::new_ok();
    let app = spawn_app_with_state(backend, |_| {}, {
        let stub = stub.clone();
        move |state| {
            let mail = Mail::from_config(&state.config)
                .unwrap()
                .with_transport(Transport::Stub(stub));
            state.mail = Arc::new(mail);
        }
    })
    .await;
    assert_eq!(app.register("bg@example.com", PASSWORD).await.status(), 201);
    for _ in 0..100 {
        if !stub.messages().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = stub.messages().await;
    assert_eq!(sent.len(), 1, "the worker sent the activation e-mail");
    assert_eq!(SentMail::parse(&sent[0].1).subject, "Account Activation");
}

async fn expired_tokens_are_cleaned_up(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("c1@example.com").await;
    app.register("c2@example.com", PASSWORD).await;
    app.tokens("c1@example.com", PASSWORD).await;
    app.tokens("c1@example.com", PASSWORD).await;
    app.post_json(RESET_REQUEST, &json!({"email": "c1@example.com"}))
        .await;
    // Nothing has expired yet.
    let now = Utc::now();
    assert_eq!(
        theater::accounts::service::delete_expired_tokens(&app.db, now)
            .await
            .unwrap(),
        0
    );
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::ExpiresAt,
            Expr::value(now - TimeDelta::seconds(1)),
        )
        .filter(
            refresh_token::Column::Id.eq(refresh_token::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .id),
        )
        .exec(&app.db)
        .await
        .unwrap();
    expire::<activation_token::Entity>(&app, activation_token::Column::ExpiresAt).await;
    expire::<password_reset_token::Entity>(&app, password_reset_token::Column::ExpiresAt).await;
    assert_eq!(
        theater::accounts::service::delete_expired_tokens(&app.db, Utc::now())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        refresh_token::Entity::find().count(&app.db).await.unwrap(),
        1
    );
    assert_eq!(
        activation_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        password_reset_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

db_tests!(
    register_creates_an_inactive_user_and_sends_the_activation_email,
    register_conflicts_on_an_existing_email,
    concurrent_registrations_of_one_email_create_one_user,
    register_validates_email_and_password_rules_in_order,
    register_reports_a_database_failure_as_500,
    activate_activates_deletes_the_token_and_sends_the_activated_email,
    activate_rejects_unknown_wrong_and_expired_tokens,
    activate_refuses_an_active_account,
    reset_request_answers_the_same_and_mails_only_active_users,
    concurrent_requests_for_one_user_all_succeed,
    resend_and_reset_request_run_the_same_statements_for_every_address,
    reset_complete_changes_the_password_and_signs_out,
    reset_complete_rejects_every_bad_combination,
    reset_complete_reports_a_database_failure_as_500,
    login_returns_tokens_and_stores_the_refresh_token,
    login_rejects_bad_credentials_and_inactive_accounts,
    login_reports_a_database_failure_as_500,
    login_takes_the_oauth2_password_grant_as_a_form,
    login_attempts_are_rate_limited,
    refresh_issues_an_access_token,
    refresh_rejects_bad_tokens,
    logout_revokes_the_refresh_token,
    password_change_needs_the_old_password_and_revokes_sessions,
    activation_resend_only_mails_inactive_users,
    openapi_lists_every_account_endpoint,
    failed_deliveries_are_retried_with_backoff_and_survive_a_restart,
    a_message_keeps_its_message_id_on_every_attempt,
    permanent_refusals_are_marked_failed_and_never_retried,
    transient_refusals_are_retried,
    concurrent_workers_send_each_message_once,
    the_served_application_runs_the_worker,
    expired_tokens_are_cleaned_up,
);

// ---------------------------------------------------------------- `theater users`

fn theater(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_theater"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/theater.db", dir.display()),
        )
        .env("SECRET_KEY_ACCESS", crate::helpers::TEST_ACCESS_SECRET)
        .env("SECRET_KEY_REFRESH", crate::helpers::TEST_REFRESH_SECRET)
        .env("RUST_LOG", "error")
        .output()
        .expect("run theater");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn users_commands_validate_like_the_api_and_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = theater(
        d,
        &["users", "create", "--email", "x", "--password", "weak"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("email: value is not a valid email address: "),
        "{err}"
    );
    assert!(
        err.contains("password: Password must contain at least 8 characters."),
        "{err}"
    );

    let (code, out, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            PASSWORD,
            "--group",
            "admin",
            "--active",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("<boss@example.com> in group admin (active)"),
        "{out}"
    );
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "boss@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("A user with this email boss@example.com already exists."),
        "{err}"
    );
    let (code, out, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "new@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("inactive"), "{out}");
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "g@example.com",
            "--password",
            PASSWORD,
            "--group",
            "root",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("group: "), "{err}");

    let (code, out, err) = theater(
        d,
        &[
            "users",
            "set-group",
            "--email",
            "new@example.com",
            "--group",
            "moderator",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("moderator"), "{out}");
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "set-group",
            "--email",
            "ghost@example.com",
            "--group",
            "admin",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("No user with the email ghost@example.com."),
        "{err}"
    );

    let db = theater::db::connect(&format!("sqlite://{}/theater.db", d.display()), 1)
        .await
        .unwrap();
    let users = user::Entity::find()
        .find_also_related(user_group::Entity)
        .all(&db)
        .await
        .unwrap();
    let summary: Vec<(String, bool, String)> = users
        .into_iter()
        .map(|(u, g)| (u.email, u.is_active, g.unwrap().name))
        .collect();
    assert_eq!(
        summary,
        [
            ("boss@example.com".to_owned(), true, "admin".to_owned()),
            ("new@example.com".to_owned(), false, "moderator".to_owned()),
        ]
    );
    // The inactive user's activation e-mail waits in the outbox for `serve`.
    let queued = email_outbox::Entity::find().all(&db).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].recipient.as_str(), queued[0].subject.as_str()),
        ("new@example.com", "Account Activation")
    );
}
