//! Notifications from replies and likes, their e-mails and one-click unsubscribe, on SQLite and
//! PostgreSQL.

use std::collections::HashMap;

use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use theater::{auth::Group, entities::email_outbox};

use crate::{
    db_tests,
    helpers::{Backend, TestApp, accounts::PASSWORD, spawn_app_with},
    movies::{movie, movie_url},
};

const REPLY_SUBJECT: &str = "New reply to your review";
const LIKE_SUBJECT: &str = "Your review was liked";

fn open(env: &mut HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
}

struct Person {
    id: i32,
    email: String,
    auth: String,
}

impl TestApp {
    async fn person(&self, name: &str) -> Person {
        let email = format!("{name}@example.com");
        let id = self.insert_user(&email, Group::User, true).await;
        Person {
            id,
            email,
            auth: self.bearer(id),
        }
    }

    /// Posts a review or reply that must be accepted: its id.
    async fn wrote(&self, who: &Person, movie_id: i64, text: &str, parent: Option<i64>) -> i64 {
        let url = format!("{}reviews/", movie_url(movie_id));
        let body = json!({"text": text, "parent_id": parent});
        let (status, review) = self
            .call(Method::POST, &url, Some(&who.auth), Some(body))
            .await;
        assert_eq!(status, 201, "{review}");
        review["id"].as_i64().expect("id")
    }

    async fn reacted(&self, who: &Person, review_id: i64, value: &str) {
        let url = format!("/api/v1/theater/reviews/{review_id}/reaction/");
        let body = Some(json!({ "value": value }));
        let (status, answer) = self.call(Method::PUT, &url, Some(&who.auth), body).await;
        assert_eq!(status, 200, "{answer}");
    }

    async fn inbox(&self, who: &Person, query: &str) -> Value {
        let url = format!("/api/v1/users/me/notifications/{query}");
        let (status, body) = self.call(Method::GET, &url, Some(&who.auth), None).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The outbox rows to `to` with `subject`, oldest first.
    async fn mails(&self, to: &str, subject: &str) -> Vec<email_outbox::Model> {
        email_outbox::Entity::find()
            .filter(email_outbox::Column::Recipient.eq(to))
            .filter(email_outbox::Column::Subject.eq(subject))
            .order_by_asc(email_outbox::Column::Id)
            .all(&self.db)
            .await
            .expect("outbox")
    }
}

fn kinds(inbox: &Value) -> Vec<(String, i64)> {
    inbox["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| {
            let kind = n["kind"].as_str().expect("kind").to_owned();
            (kind, n["review_id"].as_i64().expect("review_id"))
        })
        .collect()
}

async fn replies_and_likes_notify_the_author_but_never_for_their_own_acts(backend: Backend) {
    let app = spawn_app_with(backend, open).await;
    let movie_id = app.created(&movie("Noticed", "2020-01-01")).await;
    let ann = app.person("ann").await;
    let bob = app.person("bob").await;
    let review = app.wrote(&ann, movie_id, "Mine", None).await;

    let reply = app.wrote(&bob, movie_id, "Answer", Some(review)).await;
    app.wrote(&ann, movie_id, "My own answer", Some(review))
        .await;
    app.reacted(&ann, review, "like").await;
    app.reacted(&bob, review, "dislike").await;
    app.reacted(&bob, review, "like").await;
    // Taken back and given again: not news twice.
    app.reacted(&bob, review, "dislike").await;
    app.reacted(&bob, review, "like").await;

    let inbox = app.inbox(&ann, "").await;
    assert_eq!(
        kinds(&inbox),
        [
            ("review_like".to_owned(), review),
            ("review_reply".to_owned(), reply)
        ]
    );
    assert_eq!(
        (&inbox["unread"], &inbox["total_items"]),
        (&json!(2), &json!(2))
    );
    let first = &inbox["notifications"][1];
    assert_eq!(first["movie_id"], movie_id);
    assert_eq!(first["read"], false);
    assert_eq!(
        first["actor"],
        json!({"user_id": bob.id, "name": format!("user {}", bob.id)})
    );
    assert!(!inbox.to_string().contains("@example.com"), "{inbox}");
    assert_eq!(app.inbox(&bob, "").await["total_items"], 0);

    // Read by id (another user's ids change nothing), then all; `unread=true` filters.
    let like_id = inbox["notifications"][0]["id"].clone();
    let read = "/api/v1/users/me/notifications/read/";
    let by_id = Some(json!({ "ids": [like_id] }));
    assert_eq!(
        app.call(Method::POST, read, Some(&bob.auth), by_id.clone())
            .await
            .0,
        204
    );
    assert_eq!(app.inbox(&ann, "").await["unread"], 2);
    assert_eq!(
        app.call(Method::POST, read, Some(&ann.auth), by_id).await.0,
        204
    );
    let unread = app.inbox(&ann, "?unread=true").await;
    assert_eq!(kinds(&unread), [("review_reply".to_owned(), reply)]);
    assert_eq!(
        (&unread["unread"], &unread["total_items"]),
        (&json!(1), &json!(1))
    );
    let all = Some(json!({"all": true}));
    assert_eq!(
        app.call(Method::POST, read, Some(&ann.auth), all).await.0,
        204
    );
    let after = app.inbox(&ann, "?per_page=1").await;
    assert_eq!(
        (&after["unread"], &after["total_items"]),
        (&json!(0), &json!(2))
    );
    assert_eq!(after["notifications"][0]["read"], true);
    assert_eq!(
        after["next_page"],
        "/users/me/notifications/?page=2&per_page=1"
    );

    for bad in [json!({"ids": "1"}), json!({"all": 1}), json!([])] {
        let (status, body) = app
            .call(Method::POST, read, Some(&ann.auth), Some(bad))
            .await;
        assert_eq!(status, 422, "{body}");
    }
    assert_eq!(
        app.call(Method::POST, read, None, Some(json!({"all": true})))
            .await
            .0,
        401
    );
    let inbox_url = "/api/v1/users/me/notifications/";
    assert_eq!(app.call(Method::GET, inbox_url, None, None).await.0, 401);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("{inbox_url}?unread=maybe"),
            Some(&ann.auth),
            None,
        )
        .await;
    assert_eq!(status, 422);
}

async fn settings_decide_the_emails(backend: Backend) {
    let app = spawn_app_with(backend, open).await;
    let movie_id = app.created(&movie("Mailed", "2020-01-01")).await;
    let ann = app.person("ann").await;
    let bob = app.person("bob").await;
    let settings = "/api/v1/users/me/notification-settings/";
    let defaults = json!({"email_review_replies": true, "email_review_likes": false});
    assert_eq!(
        app.call(Method::GET, settings, Some(&ann.auth), None).await,
        (200, defaults)
    );

    // A reply is mailed (defaults), a like is not.
    let review = app.wrote(&ann, movie_id, "Tom & <Jerry>", None).await;
    app.wrote(&bob, movie_id, "I <3 it", Some(review)).await;
    app.reacted(&bob, review, "like").await;
    let mails = app.mails(&ann.email, REPLY_SUBJECT).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let unsubscribe = mail
        .list_unsubscribe
        .as_deref()
        .expect("an unsubscribe URL");
    assert!(
        unsubscribe.contains("/notifications/unsubscribe?token="),
        "{unsubscribe}"
    );
    // The reply is quoted escaped, and the unsubscribe link is visible.
    assert!(mail.html_body.contains("I &lt;3 it"), "{}", mail.html_body);
    assert!(
        mail.html_body.contains("id=\"unsubscribe\""),
        "{}",
        mail.html_body
    );
    assert!(app.mails(&ann.email, LIKE_SUBJECT).await.is_empty());

    // Likes on, replies off.
    let patch = Some(json!({"email_review_likes": true, "email_review_replies": false}));
    let changed = json!({"email_review_replies": false, "email_review_likes": true});
    assert_eq!(
        app.call(Method::PATCH, settings, Some(&ann.auth), patch)
            .await,
        (200, changed.clone())
    );
    assert_eq!(
        app.call(Method::PATCH, settings, Some(&ann.auth), Some(json!({})))
            .await,
        (200, changed.clone())
    );
    assert_eq!(
        app.call(Method::GET, settings, Some(&ann.auth), None).await,
        (200, changed)
    );
    let cid = app.person("cid").await;
    app.wrote(&cid, movie_id, "Another answer", Some(review))
        .await;
    app.reacted(&cid, review, "like").await;
    assert_eq!(app.mails(&ann.email, REPLY_SUBJECT).await.len(), 1);
    let likes = app.mails(&ann.email, LIKE_SUBJECT).await;
    assert_eq!(likes.len(), 1);
    assert!(
        likes[0]
            .list_unsubscribe
            .as_deref()
            .is_some_and(|u| u.contains("-likes-"))
    );
    // Both notifications exist whatever the e-mail settings.
    assert_eq!(app.inbox(&ann, "").await["total_items"], 4);

    let (status, _) = app
        .call(
            Method::PATCH,
            settings,
            Some(&ann.auth),
            Some(json!({"email_review_likes": "x"})),
        )
        .await;
    assert_eq!(status, 422);
    // Booleans, not 0/1.
    let zero = Some(json!({"email_review_likes": 0}));
    let (status, _) = app
        .call(Method::PATCH, settings, Some(&ann.auth), zero)
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.call(Method::GET, settings, None, None).await.0, 401);
}

/// The path and query of an absolute URL.
fn path_of(url: &str) -> &str {
    let start = url.find("/notifications/").expect("the unsubscribe path");
    &url[start..]
}

async fn one_click_unsubscribe_turns_that_kind_off_without_a_login(backend: Backend) {
    let app = spawn_app_with(backend, open).await;
    let movie_id = app.created(&movie("Unsubscribed", "2020-01-01")).await;
    let ann = app.person("ann").await;
    let bob = app.person("bob").await;
    let review = app.wrote(&ann, movie_id, "Mine", None).await;
    app.wrote(&bob, movie_id, "First", Some(review)).await;
    let mails = app.mails(&ann.email, REPLY_SUBJECT).await;
    let url = mails[0]
        .list_unsubscribe
        .clone()
        .expect("an unsubscribe URL");
    let path = path_of(&url);

    // GET only asks.
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("replies to your reviews") && html.contains("<form method=\"post\""),
        "{html}"
    );
    let settings = "/api/v1/users/me/notification-settings/";
    let (_, still) = app.call(Method::GET, settings, Some(&ann.auth), None).await;
    assert_eq!(still["email_review_replies"], true);

    // The mail client's one-click POST, with no login.
    let response = app
        .request(Method::POST, path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, now) = app.call(Method::GET, settings, Some(&ann.auth), None).await;
    assert_eq!(
        now,
        json!({"email_review_replies": false, "email_review_likes": false})
    );
    app.wrote(&bob, movie_id, "Second", Some(review)).await;
    assert_eq!(app.mails(&ann.email, REPLY_SUBJECT).await.len(), 1);
    assert_eq!(app.inbox(&ann, "").await["total_items"], 2);

    // Forged, altered or missing tokens do nothing.
    let other_user = path.replacen(
        &format!("token={}-", ann.id),
        &format!("token={}-", bob.id),
        1,
    );
    for bad in [
        other_user.as_str(),
        "/notifications/unsubscribe?token=1-replies-00000000000000000000000000000000",
        "/notifications/unsubscribe",
    ] {
        assert_eq!(app.get(bad).await.status(), 400, "{bad}");
        let post = app.request(Method::POST, bad).send().await.unwrap();
        assert_eq!(post.status(), 400, "{bad}");
    }
    let (_, bob_settings) = app.call(Method::GET, settings, Some(&bob.auth), None).await;
    assert_eq!(bob_settings["email_review_replies"], true);

    // Account e-mails never carry the headers.
    let registered = app.register("dan@example.com", PASSWORD).await;
    assert_eq!(registered.status(), 201);
    let activation = app.mails("dan@example.com", "Account Activation").await;
    assert_eq!(activation.len(), 1);
    assert_eq!(activation[0].list_unsubscribe, None);
}

db_tests!(
    replies_and_likes_notify_the_author_but_never_for_their_own_acts,
    settings_decide_the_emails,
    one_click_unsubscribe_turns_that_kind_off_without_a_login,
);
