//! Reviews with replies, reactions and reports, on SQLite and PostgreSQL.

use std::collections::HashMap;

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use theater::auth::Group;

use crate::{
    db_tests,
    helpers::{Backend, TestApp, spawn_app_with},
    movies::{movie, movie_url},
};

fn open(env: &mut HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
}

async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(backend, open).await
}

fn reviews_url(movie_id: i64) -> String {
    format!("{}reviews/", movie_url(movie_id))
}

fn review_url(review_id: i64, what: &str) -> String {
    let base = format!("/api/v1/theater/reviews/{review_id}/");
    if what.is_empty() {
        base
    } else {
        format!("{base}{what}/")
    }
}

impl TestApp {
    async fn post_review(&self, auth: &str, movie_id: i64, body: Value) -> (u16, Value) {
        self.call(Method::POST, &reviews_url(movie_id), Some(auth), Some(body))
            .await
    }

    /// A review (or reply) that must be accepted: its id.
    async fn reviewed(&self, auth: &str, movie_id: i64, text: &str, parent: Option<i64>) -> i64 {
        let (status, body) = self
            .post_review(auth, movie_id, json!({"text": text, "parent_id": parent}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    async fn review(&self, review_id: i64) -> (u16, Value) {
        self.call(Method::GET, &review_url(review_id, ""), None, None)
            .await
    }

    async fn listed(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    async fn review_count(&self, movie_id: i64) -> i64 {
        let path = format!("{}community/", movie_url(movie_id));
        self.listed(&path).await["reviews"]
            .as_i64()
            .expect("reviews")
    }

    async fn react_review(&self, auth: &str, review_id: i64, value: &str) -> (u16, Value) {
        let url = review_url(review_id, "reaction");
        self.call(Method::PUT, &url, Some(auth), Some(json!({"value": value})))
            .await
    }

    /// `n` users, each with a token.
    async fn people(&self, n: usize) -> Vec<(i32, String)> {
        let mut people = Vec::new();
        for i in 0..n {
            let email = format!("critic{i}@example.com");
            let id = self.insert_user(&email, Group::User, true).await;
            people.push((id, self.bearer(id)));
        }
        people
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list["reviews"]
        .as_array()
        .expect("reviews")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

fn is_iso_second(s: &Value) -> bool {
    let s = s.as_str().unwrap_or_default();
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

async fn reviews_are_posted_read_and_listed(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Reviewed", "2020-01-01")).await;
    let quiet = app.created(&movie("Unreviewed", "2020-01-01")).await;
    let people = app.people(2).await;
    let (ann_id, ann) = &people[0];
    let (bob_id, bob) = &people[1];
    let backend_name = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_string(
            backend_name,
            format!(
                "INSERT INTO user_profiles (user_id, first_name, last_name) \
                 VALUES ({bob_id}, 'Bob', 'Stone')"
            ),
        ))
        .await
        .expect("profile");

    let (status, first) = app
        .post_review(ann, movie_id, json!({"text": "  <b>Loved</b> it.  "}))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["movie_id"], movie_id);
    assert_eq!(first["parent_id"], Value::Null);
    // Stored as written (trimmed), never escaped or stripped; the author without an e-mail.
    assert_eq!(first["text"], "<b>Loved</b> it.");
    assert_eq!(
        first["author"],
        json!({"user_id": ann_id, "name": format!("user {ann_id}")})
    );
    assert_eq!(
        (
            &first["likes"],
            &first["dislikes"],
            &first["replies"],
            &first["deleted"]
        ),
        (&json!(0), &json!(0), &json!(0), &json!(false))
    );
    assert!(is_iso_second(&first["created_at"]), "{first}");
    assert!(is_iso_second(&first["updated_at"]), "{first}");
    let first_id = first["id"].as_i64().unwrap();
    assert_eq!(app.review(first_id).await, (200, first.clone()));

    let second = app.reviewed(bob, movie_id, "Fine.", None).await;
    let third = app.reviewed(ann, movie_id, "Seen it twice.", None).await;
    let (_, by_bob) = app.review(second).await;
    assert_eq!(
        by_bob["author"],
        json!({"user_id": bob_id, "name": "Bob Stone"})
    );
    assert!(!by_bob.to_string().contains("@example.com"));

    let url = reviews_url(movie_id);
    let newest = app.listed(&url).await;
    assert_eq!(ids(&newest), [third, second, first_id]);
    assert_eq!(
        (
            &newest["total_items"],
            &newest["total_pages"],
            &newest["prev_page"],
            &newest["next_page"]
        ),
        (&json!(3), &json!(1), &Value::Null, &Value::Null)
    );
    let oldest = app.listed(&format!("{url}?sort=oldest")).await;
    assert_eq!(ids(&oldest), [first_id, second, third]);
    let paged = app
        .listed(&format!("{url}?per_page=2&page=1&sort=oldest"))
        .await;
    assert_eq!(ids(&paged), [first_id, second]);
    assert_eq!(
        paged["next_page"],
        format!("/theater/movies/{movie_id}/reviews/?page=2&per_page=2&sort=oldest")
    );
    let last = app.listed(&format!("{url}?per_page=2&page=2")).await;
    assert_eq!(ids(&last), [first_id]);
    assert_eq!(
        last["prev_page"],
        format!("/theater/movies/{movie_id}/reviews/?page=1&per_page=2")
    );
    let past = app.listed(&format!("{url}?page=9")).await;
    assert_eq!(ids(&past), Vec::<i64>::new());
    assert_eq!(app.review_count(movie_id).await, 3);

    // An empty collection is a 200; an unknown movie or review is a 404; bad queries are 422s.
    let empty = app.listed(&reviews_url(quiet)).await;
    assert_eq!((ids(&empty), &empty["total_items"]), (vec![], &json!(0)));
    let gone = json!({"detail": "Movie with the given ID was not found."});
    assert_eq!(
        app.call(Method::GET, &reviews_url(999_999), None, None)
            .await,
        (404, gone.clone())
    );
    assert_eq!(
        app.post_review(ann, 999_999, json!({"text": "Hm."})).await,
        (404, gone)
    );
    assert_eq!(
        app.review(999_999).await,
        (404, json!({"detail": "Review not found."}))
    );
    assert_eq!(app.review(99_999_999_999).await.0, 404);
    let (status, bad) = app
        .call(Method::GET, &format!("{url}?sort=best"), None, None)
        .await;
    assert_eq!(
        (status, &bad["detail"][0]["loc"]),
        (422, &json!(["query", "sort"]))
    );
    let (status, bad) = app.post_review(ann, movie_id, json!({"text": "   "})).await;
    assert_eq!(status, 422);
    assert_eq!(bad["detail"][0]["type"], "string_too_short");
    let (status, _) = app
        .call(Method::POST, &url, None, Some(json!({"text": "Anonymous"})))
        .await;
    assert_eq!(status, 401);
}

async fn replies_form_threads_within_one_movie(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Threaded", "2020-01-01")).await;
    let other = app.created(&movie("Elsewhere", "2020-01-01")).await;
    let people = app.people(2).await;
    let (ann, bob) = (&people[0].1, &people[1].1);

    let root = app.reviewed(ann, movie_id, "Root", None).await;
    let reply = app.reviewed(bob, movie_id, "Reply", Some(root)).await;
    let deeper = app.reviewed(ann, movie_id, "Deeper", Some(reply)).await;
    let second = app
        .reviewed(bob, movie_id, "Second reply", Some(root))
        .await;
    assert_eq!(app.review(root).await.1["replies"], 2);
    assert_eq!(app.review(reply).await.1["replies"], 1);
    assert_eq!(app.review(deeper).await.1["parent_id"], reply);

    // Top-level only in the movie's list; direct replies, oldest first, in a review's.
    assert_eq!(ids(&app.listed(&reviews_url(movie_id)).await), [root]);
    let replies = app.listed(&review_url(root, "replies")).await;
    assert_eq!(ids(&replies), [reply, second]);
    let one = app
        .listed(&format!("{}?per_page=1", review_url(root, "replies")))
        .await;
    assert_eq!(
        one["next_page"],
        format!("/theater/reviews/{root}/replies/?page=2&per_page=1")
    );
    assert_eq!(
        ids(&app.listed(&review_url(deeper, "replies")).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        app.call(Method::GET, &review_url(999_999, "replies"), None, None)
            .await
            .0,
        404
    );
    // Replies count among the movie's reviews.
    assert_eq!(app.review_count(movie_id).await, 4);

    // A parent must be a review of the same movie: else a 422 on the field.
    for parent in [json!(root), json!(999_999), json!(99_999_999_999_i64)] {
        let (status, body) = app
            .post_review(ann, other, json!({"text": "Lost", "parent_id": parent}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "parent_id"]));
        assert_eq!(body["detail"][0]["input"], parent);
    }
    let (status, body) = app
        .post_review(ann, movie_id, json!({"text": "x", "parent_id": "root"}))
        .await;
    assert_eq!(
        (status, &body["detail"][0]["type"]),
        (422, &json!("int_parsing"))
    );
    assert_eq!(app.review_count(other).await, 0);
}

async fn only_authors_edit_and_authors_or_staff_delete(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Moderated", "2020-01-01")).await;
    let people = app.people(2).await;
    let (ann, bob) = (&people[0].1, &people[1].1);
    let moderator = app
        .insert_user("mod@example.com", Group::Moderator, true)
        .await;
    let moderator = app.bearer(moderator);
    let id = app.reviewed(ann, movie_id, "First take", None).await;
    let url = review_url(id, "");

    let (status, edited) = app
        .call(
            Method::PATCH,
            &url,
            Some(ann),
            Some(json!({"text": " Second take "})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "Second take");
    assert_eq!(app.review(id).await.1["text"], "Second take");
    let not_author = json!({"detail": "Only the author can edit this review."});
    for other in [bob, &moderator] {
        let edit = Some(json!({"text": "Mine now"}));
        assert_eq!(
            app.call(Method::PATCH, &url, Some(other), edit).await,
            (403, not_author.clone())
        );
    }
    let (status, _) = app
        .call(Method::PATCH, &url, Some(ann), Some(json!({"text": ""})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.call(
            Method::PATCH,
            &review_url(999_999, ""),
            Some(ann),
            Some(json!({"text": "x"}))
        )
        .await
        .0,
        404
    );

    assert_eq!(
        app.call(Method::DELETE, &url, Some(bob), None).await,
        (
            403,
            json!({"detail": "Only the author, a moderator or an admin can delete this review."})
        )
    );
    assert_eq!(app.call(Method::DELETE, &url, None, None).await.0, 401);
    assert_eq!(
        app.call(Method::DELETE, &url, Some(&moderator), None)
            .await
            .0,
        204
    );
    assert_eq!(app.review(id).await.0, 404);
    assert_eq!(app.call(Method::DELETE, &url, Some(ann), None).await.0, 404);
    // The author deletes their own.
    let own = app.reviewed(bob, movie_id, "Regret", None).await;
    assert_eq!(
        app.call(Method::DELETE, &review_url(own, ""), Some(bob), None)
            .await
            .0,
        204
    );
    assert_eq!(app.review_count(movie_id).await, 0);
}

async fn a_deleted_review_with_replies_stays_as_a_tombstone(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Tombstones", "2020-01-01")).await;
    let people = app.people(3).await;
    let (ann, bob, cid) = (&people[0].1, &people[1].1, &people[2].1);
    let root = app.reviewed(ann, movie_id, "Root", None).await;
    let reply = app.reviewed(bob, movie_id, "Reply", Some(root)).await;
    let deeper = app.reviewed(cid, movie_id, "Deeper", Some(reply)).await;
    assert_eq!(app.react_review(bob, root, "like").await.0, 200);
    let report = Some(json!({"reason": "Spoilers"}));
    assert_eq!(
        app.call(Method::POST, &review_url(root, "report"), Some(cid), report)
            .await
            .0,
        202
    );
    assert_eq!(app.review_count(movie_id).await, 3);

    // The root had replies: a tombstone without text, author, reactions or reports.
    assert_eq!(
        app.call(Method::DELETE, &review_url(root, ""), Some(ann), None)
            .await
            .0,
        204
    );
    let (status, tombstone) = app.review(root).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &tombstone["deleted"],
            &tombstone["text"],
            &tombstone["author"],
            &tombstone["likes"]
        ),
        (&json!(true), &json!(""), &Value::Null, &json!(0))
    );
    assert_eq!(tombstone["replies"], 1);
    assert_eq!(ids(&app.listed(&reviews_url(movie_id)).await), [root]);
    assert_eq!(app.review_count(movie_id).await, 2);
    let rid = root.to_string();
    let left = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE review_id = {rid}");
    assert_eq!(app.number_of(&left("review_reactions")).await, 0);
    assert_eq!(app.number_of(&left("review_reports")).await, 0);

    // A tombstone takes no write: edit, delete, reaction, report, reply.
    let not_found = (404, json!({"detail": "Review not found."}));
    let url = review_url(root, "");
    assert_eq!(
        app.call(
            Method::PATCH,
            &url,
            Some(ann),
            Some(json!({"text": "Back"}))
        )
        .await,
        not_found
    );
    assert_eq!(
        app.call(Method::DELETE, &url, Some(ann), None).await,
        not_found
    );
    assert_eq!(app.react_review(bob, root, "like").await, not_found);
    let report = Some(json!({"reason": "Again"}));
    assert_eq!(
        app.call(Method::POST, &review_url(root, "report"), Some(bob), report)
            .await,
        not_found
    );
    let (status, _) = app
        .post_review(bob, movie_id, json!({"text": "Hello?", "parent_id": root}))
        .await;
    assert_eq!(status, 422);

    // The middle reply, with its own reply, becomes a tombstone too; the last one's deletion takes
    // the whole empty thread with it.
    assert_eq!(
        app.call(Method::DELETE, &review_url(reply, ""), Some(bob), None)
            .await
            .0,
        204
    );
    assert_eq!(app.review(reply).await.1["deleted"], true);
    assert_eq!(
        app.call(Method::DELETE, &review_url(deeper, ""), Some(cid), None)
            .await
            .0,
        204
    );
    for id in [deeper, reply, root] {
        assert_eq!(app.review(id).await.0, 404, "review {id}");
    }
    assert_eq!(
        ids(&app.listed(&reviews_url(movie_id)).await),
        Vec::<i64>::new()
    );
    assert_eq!(app.review_count(movie_id).await, 0);
    assert_eq!(app.number_of("SELECT COUNT(*) FROM reviews").await, 0);
}

async fn reactions_count_and_order_the_top_sort(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Ranked", "2020-01-01")).await;
    let people = app.people(3).await;
    let tokens: Vec<&String> = people.iter().map(|(_, t)| t).collect();
    let (ann, bob, cid) = (tokens[0], tokens[1], tokens[2]);
    let plain = app.reviewed(ann, movie_id, "Plain", None).await;
    let loved = app.reviewed(ann, movie_id, "Loved", None).await;
    let hated = app.reviewed(ann, movie_id, "Hated", None).await;
    let also_plain = app.reviewed(ann, movie_id, "Also plain", None).await;

    assert_eq!(
        app.react_review(bob, loved, "like").await,
        (200, json!({"review_id": loved, "value": "like"}))
    );
    assert_eq!(app.react_review(cid, loved, "like").await.0, 200);
    assert_eq!(app.react_review(bob, hated, "dislike").await.0, 200);
    // Replaced, then repeated: counted once each.
    assert_eq!(app.react_review(cid, hated, "like").await.0, 200);
    assert_eq!(app.react_review(cid, hated, "dislike").await.0, 200);
    assert_eq!(app.react_review(cid, hated, "dislike").await.0, 200);
    let (_, h) = app.review(hated).await;
    assert_eq!((&h["likes"], &h["dislikes"]), (&json!(0), &json!(2)));

    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM reviews WHERE score <> likes - dislikes")
            .await,
        0,
        "every review's score is its likes minus its dislikes"
    );
    let top = app
        .listed(&format!("{}?sort=top", reviews_url(movie_id)))
        .await;
    // likes − dislikes, then newest first.
    assert_eq!(ids(&top), [loved, also_plain, plain, hated]);

    let url = review_url(loved, "reaction");
    assert_eq!(app.call(Method::DELETE, &url, Some(bob), None).await.0, 204);
    assert_eq!(
        app.call(Method::DELETE, &url, Some(bob), None).await,
        (
            404,
            json!({"detail": "You have not reacted to this review."})
        )
    );
    assert_eq!(app.review(loved).await.1["likes"], 1);
    let (status, body) = app.react_review(bob, loved, "love").await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["body", "value"]))
    );
    assert_eq!(app.react_review(bob, 999_999, "like").await.0, 404);
    assert_eq!(
        app.call(Method::PUT, &url, None, Some(json!({"value": "like"})))
            .await
            .0,
        401
    );
}

async fn reports_are_one_per_user_and_review(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Reported", "2020-01-01")).await;
    let people = app.people(3).await;
    let (ann, bob, cid) = (&people[0].1, &people[1].1, &people[2].1);
    let id = app.reviewed(ann, movie_id, "Provocative", None).await;
    let url = review_url(id, "report");
    let received = (202, json!({"detail": "Report received."}));
    let reason = |r: &str| Some(json!({ "reason": r }));
    assert_eq!(
        app.call(Method::POST, &url, Some(bob), reason("Rude"))
            .await,
        received
    );
    // Repeating it changes nothing.
    assert_eq!(
        app.call(Method::POST, &url, Some(bob), reason("Very rude"))
            .await,
        received
    );
    assert_eq!(
        app.call(Method::POST, &url, Some(cid), reason("Spam"))
            .await,
        received
    );
    let reports = format!("SELECT COUNT(*) FROM review_reports WHERE review_id = {id}");
    assert_eq!(app.number_of(&reports).await, 2);

    let (status, body) = app
        .call(Method::POST, &url, Some(bob), reason(&"x".repeat(501)))
        .await;
    assert_eq!(
        (status, &body["detail"][0]["type"]),
        (422, &json!("string_too_long"))
    );
    let (status, _) = app
        .call(Method::POST, &url, Some(bob), Some(json!({})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.call(
            Method::POST,
            &review_url(999_999, "report"),
            Some(bob),
            reason("?")
        )
        .await
        .0,
        404
    );
    assert_eq!(app.call(Method::POST, &url, None, reason("?")).await.0, 401);
}

async fn concurrent_reactions_are_exact(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Crowded", "2020-01-01")).await;
    let people = app.people(30).await;
    let id = app.reviewed(&people[0].1, movie_id, "Popular", None).await;

    // 30 users at once, one like each; then one user 30 times at once.
    let likes = people
        .iter()
        .map(|(_, token)| app.react_review(token, id, "like"));
    for (status, body) in futures::future::join_all(likes).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(app.review(id).await.1["likes"], 30);
    let other = app.reviewed(&people[0].1, movie_id, "Once", None).await;
    let same = (0..30).map(|_| app.react_review(&people[1].1, other, "dislike"));
    for (status, body) in futures::future::join_all(same).await {
        assert_eq!(status, 200, "{body}");
    }
    let (_, once) = app.review(other).await;
    assert_eq!((&once["likes"], &once["dislikes"]), (&json!(0), &json!(1)));
    let rows = format!("SELECT COUNT(*) FROM review_reactions WHERE review_id = {other}");
    assert_eq!(app.number_of(&rows).await, 1);
}

async fn replies_racing_a_deletion_leave_exact_counts(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Raced", "2020-01-01")).await;
    let people = app.people(12).await;
    let author = &people[0].1;
    let root = app.reviewed(author, movie_id, "Root", None).await;

    let replies = people[1..].iter().map(|(_, token)| {
        app.post_review(
            token,
            movie_id,
            json!({"text": "Me too", "parent_id": root}),
        )
    });
    let root_url = review_url(root, "");
    let delete = app.call(Method::DELETE, &root_url, Some(author), None);
    let (answers, (deleted, _)) = tokio::join!(futures::future::join_all(replies), delete);
    assert_eq!(deleted, 204);
    let accepted = answers.iter().filter(|(s, _)| *s == 201).count() as i64;
    for (status, body) in &answers {
        assert!(*status == 201 || *status == 422, "{status} {body}");
    }
    let stored = format!("SELECT COUNT(*) FROM reviews WHERE parent_id = {root}");
    assert_eq!(app.number_of(&stored).await, accepted);
    let (status, root_now) = app.review(root).await;
    if accepted > 0 {
        // Replies that came first keep the root as a tombstone with their exact count.
        assert_eq!(status, 200);
        assert_eq!(
            (&root_now["deleted"], &root_now["replies"]),
            (&json!(true), &json!(accepted))
        );
    } else {
        assert_eq!(status, 404);
    }
    assert_eq!(app.review_count(movie_id).await, accepted);
}

async fn long_reviews_are_refused_and_writes_are_limited(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        open(env);
        env.insert("COMMUNITY_RATE_LIMIT".into(), "2".into());
        env.insert("COMMUNITY_RATE_WINDOW_SECONDS".into(), "3600".into());
    })
    .await;
    let movie_id = app.created(&movie("Limited", "2020-01-01")).await;
    let people = app.people(2).await;
    let (ann, bob) = (&people[0].1, &people[1].1);

    // 5000 characters is the most; one more is a 422; a body far past it is a 413 while it arrives.
    let longest = "é".repeat(5000);
    assert_eq!(
        app.post_review(ann, movie_id, json!({"text": longest}))
            .await
            .0,
        201
    );
    let (status, body) = app
        .post_review(ann, movie_id, json!({"text": "é".repeat(5001)}))
        .await;
    assert_eq!(
        (status, &body["detail"][0]["type"]),
        (422, &json!("string_too_long"))
    );
    let huge = json!({"text": "x".repeat(200_000)});
    assert_eq!(app.post_review(bob, movie_id, huge).await.0, 413);

    // Two writes per user in the window (refused bodies never reach the limit): the third is a 429.
    assert_eq!(
        app.post_review(ann, movie_id, json!({"text": "Third"}))
            .await
            .0,
        201
    );
    let response = app
        .request(Method::POST, &reviews_url(movie_id))
        .header("Authorization", ann.as_str())
        .json(&json!({"text": "Fourth"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    // Another user has their own budget.
    assert_eq!(
        app.post_review(bob, movie_id, json!({"text": "Mine"}))
            .await
            .0,
        201
    );
}

async fn a_movie_takes_its_reviews_with_it(backend: Backend) {
    let app = spawn(backend).await;
    let movie_id = app.created(&movie("Doomed", "2020-01-01")).await;
    let people = app.people(2).await;
    let root = app.reviewed(&people[0].1, movie_id, "Root", None).await;
    let reply = app
        .reviewed(&people[1].1, movie_id, "Reply", Some(root))
        .await;
    assert_eq!(app.react_review(&people[0].1, reply, "like").await.0, 200);
    let (status, _) = app
        .call(Method::DELETE, &movie_url(movie_id), None, None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.review(root).await.0, 404);
    assert_eq!(app.review(reply).await.0, 404);
    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM review_reactions").await,
        0
    );
}

db_tests!(
    reviews_are_posted_read_and_listed,
    replies_form_threads_within_one_movie,
    only_authors_edit_and_authors_or_staff_delete,
    a_deleted_review_with_replies_stays_as_a_tombstone,
    reactions_count_and_order_the_top_sort,
    reports_are_one_per_user_and_review,
    concurrent_reactions_are_exact,
    replies_racing_a_deletion_leave_exact_counts,
    long_reviews_are_refused_and_writes_are_limited,
    a_movie_takes_its_reviews_with_it,
);
