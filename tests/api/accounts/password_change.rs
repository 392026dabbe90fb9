//! `POST /api/v1/accounts/password-change/`: the old password for a new one; sessions end.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use theater::entities::user;

use super::detail;
use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{NEW_PASSWORD, PASSWORD, PASSWORD_CHANGE, REFRESH},
        json,
        mail::spawn_mail_app,
    },
};

async fn password_change_needs_the_old_password_and_revokes_sessions(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("pc@example.com").await;
    let (access, refresh) = app.tokens("pc@example.com", PASSWORD).await;
    let change = |auth: Option<String>, old: &str, new: &str| {
        let body = json!({"old_password": old, "new_password": new});
        let app = &app;
        async move {
            let mut request = app.client.post(app.url(PASSWORD_CHANGE)).json(&body);
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            json(request.send().await.unwrap()).await
        }
    };
    let (status, body) = change(None, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        (status, detail(&body)),
        (401, "Authorization header is missing")
    );
    let bearer = Some(format!("Bearer {access}"));
    let (status, body) = change(bearer.clone(), "Wrong#123", NEW_PASSWORD).await;
    assert_eq!(
        (status, detail(&body)),
        (400, "The old password is incorrect.")
    );
    let (status, body) = change(bearer.clone(), PASSWORD, "short").await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "new_password"]));
    let (status, body) = change(bearer.clone(), PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "Password changed successfully."}))
    );

    let (status, _) = app.post_refresh_token(REFRESH, &refresh).await;
    assert_eq!(status, 401);
    assert_eq!(app.login("pc@example.com", PASSWORD).await.status(), 401);
    // The access token used for the change is revoked with the sessions.
    let (status, body) = change(bearer, NEW_PASSWORD, PASSWORD).await;
    assert_eq!((status, detail(&body)), (401, "Token has been revoked."));
    let (access, _) = app.tokens("pc@example.com", NEW_PASSWORD).await;
    let bearer = Some(format!("Bearer {access}"));
    app.mail_naming(
        "pc@example.com",
        "Your Password Has Been Successfully Reset",
    )
    .await;
    // An inactive account cannot change its password with a leftover token.
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(false))
        .filter(user::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = change(bearer, NEW_PASSWORD, PASSWORD).await;
    assert_eq!(
        (status, detail(&body)),
        (401, "User not found or not active.")
    );
}

db_tests!(password_change_needs_the_old_password_and_revokes_sessions,);
