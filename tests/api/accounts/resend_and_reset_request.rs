//! `POST /api/v1/accounts/activation/resend/` and `/password-reset/request/`, side by side.

use std::sync::Arc;

use serde_json::json;
use theater::entities::{activation_token, password_reset_token};

use super::count;
use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{PASSWORD, RESEND, RESET_REQUEST},
        mail::spawn_mail_app,
    },
};

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
    app.assert_mail_count("inactive@example.com", "Account Activation", 2)
        .await;
    app.assert_mail_count("active@example.com", "Account Activation", 1)
        .await;
    app.assert_mail_count("active@example.com", "Password Reset Request", 1)
        .await;
    app.assert_mail_count("inactive@example.com", "Password Reset Request", 0)
        .await;
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
    assert_eq!(count::<password_reset_token::Entity>(&app).await, 1);
    assert_eq!(count::<activation_token::Entity>(&app).await, 1);
}

db_tests!(
    resend_and_reset_request_run_the_same_statements_for_every_address,
    concurrent_requests_for_one_user_all_succeed,
);
