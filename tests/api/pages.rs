//! The HTML pages the e-mail links lead to, used as a person would: follow the link, submit the form.

use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::{NEW_PASSWORD, PASSWORD},
        json,
        mail::{spawn_mail_app, spawn_mail_app_with, unescape},
    },
};

impl TestApp {
    /// GETs a page; returns its status and HTML after checking the security headers every page has.
    async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        assert_security_headers(&response);
        (
            response.status().as_u16(),
            response.text().await.expect("page"),
        )
    }

    async fn submitted(&self, page: &str, overrides: &[(&str, &str)]) -> (u16, String) {
        let response = self.submit(page, overrides).await;
        assert_security_headers(&response);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        (
            response.status().as_u16(),
            response.text().await.expect("page"),
        )
    }
}

fn assert_security_headers(response: &reqwest::Response) {
    let h = response.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
}

async fn activation_and_sign_in_through_the_pages(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.register("page@example.com", PASSWORD).await;
    let mail = app.mail("page@example.com", "Account Activation").await;
    let (status, page) = app.page(&mail.link_path()).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<strong id="email">page@example.com</strong>"#));
    assert!(!page.contains("<script"));
    // Opening the link changes nothing (mail scanners open links too).
    assert!(!app.user_row("page@example.com").await.unwrap().is_active);

    let (status, result) = app.submitted(&page, &[]).await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("Your account is active."));
    assert!(app.user_row("page@example.com").await.unwrap().is_active);
    // Submitting again shows the API's message.
    let (status, again) = app.submitted(&page, &[]).await;
    assert_eq!(status, 400);
    assert!(again.contains("Invalid or expired activation token."));

    let done = app
        .mail("page@example.com", "Account Activated Successfully")
        .await;
    let (status, login) = app.page(&done.link_path()).await;
    assert_eq!(status, 200);
    let (status, signed_in) = app
        .submitted(
            &login,
            &[("email", "page@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 200, "{signed_in}");
    let access = unescape(
        signed_in
            .split(r#"<code id="access_token">"#)
            .nth(1)
            .and_then(|rest| rest.split("</code>").next())
            .expect("the access token on the page"),
    );
    let id = app.user_row("page@example.com").await.unwrap().id;
    assert_eq!(app.state.tokens.decode_access(&access).unwrap().user_id, id);
}

async fn password_reset_through_the_page_checks_the_rules(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("forgot@example.com").await;
    app.post_json(
        "/api/v1/accounts/password-reset/request/",
        &serde_json::json!({"email": "forgot@example.com"}),
    )
    .await;
    let mail = app
        .mail("forgot@example.com", "Password Reset Request")
        .await;
    let (status, form) = app.page(&mail.link_path()).await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"<strong id="email">forgot@example.com</strong>"#));

    let (status, retry) = app.submitted(&form, &[("password", "NoDigits#")]).await;
    assert_eq!(status, 422);
    assert!(
        retry.contains("Password must contain at least one digit."),
        "{retry}"
    );
    // The form comes back with the link's e-mail and token, ready for another try.
    let (status, done) = app.submitted(&retry, &[("password", NEW_PASSWORD)]).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Your password has been reset."));

    let notice = app
        .mail_naming(
            "forgot@example.com",
            "Your Password Has Been Successfully Reset",
        )
        .await;
    assert_eq!(app.page(&notice.link_path()).await.0, 200);
    assert_eq!(
        app.login("forgot@example.com", NEW_PASSWORD).await.status(),
        201
    );
    // The link is used up.
    let (status, used) = app.submitted(&form, &[("password", PASSWORD)]).await;
    assert_eq!(status, 400);
    assert!(used.contains("Invalid email or token."));
}

async fn the_login_page_shows_errors_and_the_rate_limit(backend: Backend) {
    let app = spawn_mail_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), "2".into());
    })
    .await;
    let (_, form) = app.page("/accounts/login").await;
    let (status, page) = app
        .submitted(
            &form,
            &[("email", "who@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 401);
    assert!(page.contains("Invalid email or password."));
    assert!(
        page.contains(r#"value="who@example.com""#),
        "the e-mail is kept"
    );
    let (status, page) = app
        .submitted(&form, &[("email", "who@example.com"), ("password", "x")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("password: Password must contain at least 8 characters."));
    app.submitted(
        &form,
        &[("email", "who@example.com"), ("password", PASSWORD)],
    )
    .await;
    let response = app
        .submit(
            &form,
            &[("email", "who@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts.")
    );
}

async fn pages_escape_what_the_link_carries(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let (status, page) = app
        .page("/accounts/activate?email=%3Cscript%3Ealert(1)%3C%2Fscript%3E&token=%22%3E%3Cb%3E")
        .await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("<script>") && !page.contains("\"><b>"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // An incomplete link fails on submit with the API's own message.
    let (_, bare) = app.page("/accounts/reset-password").await;
    let (status, result) = app.submitted(&bare, &[("password", NEW_PASSWORD)]).await;
    assert_eq!(status, 422);
    assert!(result.contains("email: value is not a valid email address"));
    let (status, _) = json(app.get("/accounts/nothing").await).await;
    assert_eq!(status, 404);
}

db_tests!(
    activation_and_sign_in_through_the_pages,
    password_reset_through_the_page_checks_the_rules,
    the_login_page_shows_errors_and_the_rate_limit,
    pages_escape_what_the_link_carries,
);
