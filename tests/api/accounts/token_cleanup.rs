//! The clean-up of expired account tokens (activation, password reset, refresh).

use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use theater::entities::{activation_token, password_reset_token, refresh_token};

use super::{count, expire};
use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{PASSWORD, RESET_REQUEST},
        mail::spawn_mail_app,
    },
};

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
    assert_eq!(count::<refresh_token::Entity>(&app).await, 1);
    assert_eq!(count::<activation_token::Entity>(&app).await, 0);
    assert_eq!(count::<password_reset_token::Entity>(&app).await, 0);
}

db_tests!(expired_tokens_are_cleaned_up,);
