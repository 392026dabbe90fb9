//! Deleting a user — by an admin, by themselves with their password, from the command line — takes
//! everything of theirs in one transaction and applies the review rule; the avatar object goes after
//! the commit. On SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};
use theater::auth::Group;

use super::{ADMIN_USERS, ME, admin_user_url};
use crate::{
    db_tests,
    e2e_s3::profile_form,
    helpers::{Backend, TestApp, accounts::PASSWORD, images::jpeg, json, spawn_app_with},
    movies::movie_url,
};

impl TestApp {
    async fn ok(&self, method: Method, path: &str, auth: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method, path, Some(auth), body).await;
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
        answer
    }
}

/// Rows of every table that keeps something of `user_id`.
async fn leftovers(app: &TestApp, user_id: i32) -> Vec<(&'static str, i64)> {
    let mut left = Vec::new();
    for (table, column) in [
        ("users", "id"),
        ("user_profiles", "user_id"),
        ("refresh_tokens", "user_id"),
        ("movie_ratings", "user_id"),
        ("movie_reactions", "user_id"),
        ("reviews", "user_id"),
        ("review_reactions", "user_id"),
        ("review_reports", "user_id"),
        ("user_lists", "user_id"),
        ("notifications", "user_id"),
        ("notifications", "actor_id"),
        ("notification_settings", "user_id"),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = {user_id}");
        left.push((table, app.number_of(&sql).await));
    }
    left
}

async fn deleting_a_user_leaves_nothing_of_theirs(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let (_, admin) = app.member("root@example.com", Group::Admin).await;
    let movie = app.catalog_movie(&admin, "Shared").await;
    let (ann, ann_auth) = app.member("ann@example.com", Group::User).await;
    let (_, bob) = app.member("bob@example.com", Group::User).await;
    let movie_path = movie_url(movie);
    let reviews = format!("{movie_path}reviews/");

    // Ann's life on the site.
    let (status, body) = json(
        app.client
            .post(app.url(&format!("/api/v1/profiles/users/{ann}/profile/")))
            .header("Authorization", &ann_auth)
            .multipart(profile_form(jpeg(), "me.jpg"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let avatar_url = body["avatar"].as_str().expect("an avatar URL").to_owned();
    let rate = |score: i64| Some(json!({ "score": score }));
    app.ok(
        Method::PUT,
        &format!("{movie_path}rating/"),
        &ann_auth,
        rate(8),
    )
    .await;
    app.ok(Method::PUT, &format!("{movie_path}rating/"), &bob, rate(6))
        .await;
    let like = Some(json!({"value": "like"}));
    app.ok(
        Method::PUT,
        &format!("{movie_path}reaction/"),
        &ann_auth,
        like.clone(),
    )
    .await;
    let text = |t: &str, parent: Option<&Value>| Some(json!({"text": t, "parent_id": parent}));
    let kept = app
        .ok(Method::POST, &reviews, &ann_auth, text("Answered", None))
        .await;
    let gone = app
        .ok(Method::POST, &reviews, &ann_auth, text("Alone", None))
        .await;
    let bobs = app
        .ok(Method::POST, &reviews, &bob, text("Bob's", None))
        .await;
    app.ok(
        Method::POST,
        &reviews,
        &bob,
        text("Reply", Some(&kept["id"])),
    )
    .await;
    app.ok(
        Method::POST,
        &reviews,
        &ann_auth,
        text("Ann answers", Some(&bobs["id"])),
    )
    .await;
    let bobs_url = format!("/api/v1/theater/reviews/{}/", bobs["id"]);
    app.ok(
        Method::PUT,
        &format!("{bobs_url}reaction/"),
        &ann_auth,
        like,
    )
    .await;
    let reason = Some(json!({"reason": "Testing"}));
    app.ok(
        Method::POST,
        &format!("{bobs_url}report/"),
        &ann_auth,
        reason,
    )
    .await;
    app.ok(
        Method::PUT,
        &format!("/api/v1/users/me/lists/favorites/movies/{movie}/"),
        &ann_auth,
        None,
    )
    .await;
    let settings = Some(json!({"email_review_likes": true}));
    app.ok(
        Method::PATCH,
        "/api/v1/users/me/notification-settings/",
        &ann_auth,
        settings,
    )
    .await;
    assert!(
        leftovers(&app, ann)
            .await
            .iter()
            .filter(|(_, n)| *n > 0)
            .count()
            >= 10
    );

    // The export has it all, and no secret.
    let export = app
        .ok(Method::GET, &format!("{ME}export/"), &ann_auth, None)
        .await;
    assert_eq!(export["account"]["email"], "ann@example.com");
    assert_eq!(export["ratings"][0]["score"], 8);
    assert_eq!(export["movie_reactions"][0]["value"], "like");
    assert_eq!(export["reviews"].as_array().map(Vec::len), Some(3));
    assert_eq!(export["lists"][0]["movies"][0]["movie_id"], movie);
    assert_eq!(export["notification_settings"]["email_review_likes"], true);
    assert_eq!(export["reports"][0]["reason"], "Testing");
    assert_eq!(export["notifications"][0]["kind"], "review_reply");
    let raw = export.to_string();
    assert!(
        !raw.contains("argon2") && !raw.contains("hashed_password") && !raw.contains("token"),
        "{raw}"
    );

    let url = admin_user_url(ann);
    assert_eq!(
        app.call(Method::DELETE, &url, Some(&bob), None).await.0,
        403
    );
    assert_eq!(
        app.call(Method::DELETE, &url, Some(&admin), None).await.0,
        204
    );
    assert_eq!(
        app.call(Method::DELETE, &url, Some(&admin), None).await,
        (404, json!({"detail": "User not found."}))
    );
    assert!(
        leftovers(&app, ann).await.iter().all(|(_, n)| *n == 0),
        "{:?}",
        leftovers(&app, ann).await
    );
    assert_eq!(
        app.call(Method::GET, ME, Some(&ann_auth), None).await.0,
        401
    );

    // The movie's aggregates forgot her; her answered review is a tombstone, the other gone; Bob's
    // review lost her reply and her like.
    let (_, summary) = app
        .call(Method::GET, &format!("{movie_path}community/"), None, None)
        .await;
    assert_eq!(summary["rating"]["count"], 1);
    assert_eq!(summary["rating"]["average"], 6.0);
    assert_eq!(summary["likes"], 0);
    assert_eq!(summary["reviews"], 2);
    let (_, tombstone) = app
        .call(
            Method::GET,
            &format!("/api/v1/theater/reviews/{}/", kept["id"]),
            None,
            None,
        )
        .await;
    assert_eq!(
        (&tombstone["deleted"], &tombstone["author"]),
        (&json!(true), &Value::Null)
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/theater/reviews/{}/", gone["id"]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, bobs_now) = app.call(Method::GET, &bobs_url, None, None).await;
    assert_eq!(
        (&bobs_now["replies"], &bobs_now["likes"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM reviews WHERE score <> likes - dislikes")
            .await,
        0,
        "every review's score is its likes minus its dislikes"
    );

    // Audited; the avatar object is gone too (local storage answers at once).
    let entries = app.audit_entries(&admin, "action=user.delete").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"], format!("user:{ann}"));
    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM object_deletions").await,
        0
    );
    let path = avatar_url
        .find("/media/")
        .map(|i| &avatar_url[i..])
        .expect("a local media URL");
    assert_eq!(app.get(path).await.status(), 404);
}

async fn users_delete_themselves_with_their_password(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let id = app
        .account_with_password("self@example.com", Group::User)
        .await;
    let (access, _) = app.session_of("self@example.com").await;
    let auth = format!("Bearer {access}");
    let wrong = Some(json!({"password": "Not-the-password1!"}));
    assert_eq!(
        app.call(Method::DELETE, ME, Some(&auth), wrong).await,
        (400, json!({"detail": "Invalid password."}))
    );
    assert_eq!(
        app.call(Method::DELETE, ME, Some(&auth), Some(json!({})))
            .await
            .0,
        422
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            ME,
            None,
            Some(json!({"password": PASSWORD}))
        )
        .await
        .0,
        401
    );
    let right = Some(json!({"password": PASSWORD}));
    assert_eq!(
        app.call(Method::DELETE, ME, Some(&auth), right).await.0,
        204
    );
    assert!(leftovers(&app, id).await.iter().all(|(_, n)| *n == 0));
    assert_eq!(app.login("self@example.com", PASSWORD).await.status(), 401);

    // The last active admin cannot go, by either door.
    let admin = app
        .account_with_password("only@example.com", Group::Admin)
        .await;
    let (access, _) = app.session_of("only@example.com").await;
    let auth = format!("Bearer {access}");
    let last = (
        409,
        json!({"detail": "The last active admin cannot be removed."}),
    );
    let right = Some(json!({"password": PASSWORD}));
    assert_eq!(app.call(Method::DELETE, ME, Some(&auth), right).await, last);
    assert_eq!(
        app.call(Method::DELETE, &admin_user_url(admin), Some(&auth), None)
            .await,
        last
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("{ADMIN_USERS}{admin}/"),
            Some(&auth),
            None,
        )
        .await;
    assert_eq!(status, 200);
}

db_tests!(
    deleting_a_user_leaves_nothing_of_theirs,
    users_delete_themselves_with_their_password,
);
