//! The moderation queue: `GET /admin/reviews/`, `POST /admin/reviews/{id}/dismiss-reports/`, and
//! the audit entry of a staff deletion of someone else's review.

use reqwest::Method;
use serde_json::{Value, json};
use theater::auth::Group;

use super::ADMIN_REVIEWS;
use crate::{
    db_tests,
    helpers::{Backend, TestApp, spawn_app},
};

impl TestApp {
    async fn written_review(&self, auth: &str, movie: i64, text: &str) -> i64 {
        let path = format!("/api/v1/theater/movies/{movie}/reviews/");
        let (status, body) = self
            .call(Method::POST, &path, Some(auth), Some(json!({"text": text})))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    async fn reported_by(&self, auth: &str, review: i64, reason: &str) {
        let path = format!("/api/v1/theater/reviews/{review}/report/");
        let (status, body) = self
            .call(
                Method::POST,
                &path,
                Some(auth),
                Some(json!({"reason": reason})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
}

fn queue_ids(list: &Value) -> Vec<(i64, i64)> {
    list["reviews"]
        .as_array()
        .expect("reviews")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().expect("id"),
                r["reports"].as_i64().expect("reports"),
            )
        })
        .collect()
}

async fn the_queue_shows_the_most_reported_first_and_dismissing_empties_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let crew = app.crew().await;
    let movie = app.catalog_movie(&crew.admin.1, "Disputed").await;
    let mut people = Vec::new();
    for i in 0..3 {
        people.push(
            app.member(&format!("viewer{i}@example.com"), Group::User)
                .await,
        );
    }
    let once = app
        .written_review(&people[0].1, movie, "Reported once.")
        .await;
    let thrice = app
        .written_review(&people[1].1, movie, "Reported thrice.")
        .await;
    let clean = app
        .written_review(&people[2].1, movie, "Never reported.")
        .await;
    app.reported_by(&people[1].1, once, "Rude.").await;
    for (i, (_, auth)) in people.iter().enumerate() {
        app.reported_by(auth, thrice, &format!("Spoiler {i}."))
            .await;
    }
    // Repeating a report changes nothing.
    app.reported_by(&people[0].1, thrice, "Again.").await;

    let queue = app.admin_read(&crew.moderator.1, ADMIN_REVIEWS).await;
    assert_eq!(queue_ids(&queue), [(thrice, 3), (once, 1)]);
    assert_eq!(queue["total_items"], 2);
    let top = &queue["reviews"][0];
    assert_eq!(
        top["reasons"],
        json!(["Spoiler 0.", "Spoiler 1.", "Spoiler 2."])
    );
    // The review's own shape, and the reports beside it.
    assert_eq!(top["text"], "Reported thrice.");
    assert_eq!(top["author"]["user_id"], people[1].0);
    assert_eq!(top["movie_id"], movie);
    assert_eq!(top["deleted"], false);
    let everything = app
        .admin_read(
            &crew.moderator.1,
            &format!("{ADMIN_REVIEWS}?reported=false"),
        )
        .await;
    assert_eq!(queue_ids(&everything), [(thrice, 3), (once, 1), (clean, 0)]);
    let paged = app
        .admin_read(
            &crew.admin.1,
            &format!("{ADMIN_REVIEWS}?per_page=1&reported=true"),
        )
        .await;
    assert_eq!(queue_ids(&paged), [(thrice, 3)]);
    assert_eq!(paged["next_page"], "/admin/reviews/?page=2&per_page=1");
    assert_eq!(paged["total_pages"], 2);

    let dismiss = |id: i64| format!("{ADMIN_REVIEWS}{id}/dismiss-reports/");
    let (status, body) = app
        .call(
            Method::POST,
            &dismiss(thrice),
            Some(&crew.moderator.1),
            None,
        )
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let queue = app.admin_read(&crew.moderator.1, ADMIN_REVIEWS).await;
    assert_eq!(queue_ids(&queue), [(once, 1)]);
    let (status, body) = app
        .call(Method::POST, &dismiss(9999), Some(&crew.moderator.1), None)
        .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Review not found."}))
    );
    let entries = app
        .audit_entries(&crew.admin.1, "action=review.dismiss_reports")
        .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"], format!("review:{thrice}"));
    assert_eq!(entries[0]["details"], json!({"reports": 3}));
    assert_eq!(entries[0]["actor"]["user_id"], crew.moderator.0);

    // Deleting from the queue: staff deleting someone else's review is audited; an author
    // deleting their own is not.
    let delete = |id: i64| format!("/api/v1/theater/reviews/{id}/");
    let (status, _) = app
        .call(Method::DELETE, &delete(once), Some(&crew.moderator.1), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(Method::DELETE, &delete(clean), Some(&people[2].1), None)
        .await;
    assert_eq!(status, 204);
    let entries = app
        .audit_entries(&crew.admin.1, "action=review.delete")
        .await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["target"], format!("review:{once}"));
    assert_eq!(entries[0]["actor"]["email"], "moderator@example.com");
    assert_eq!(entries[0]["details"]["author_id"], people[0].0);
    assert_eq!(entries[0]["details"]["tombstone"], false);
    assert_eq!(
        app.admin_read(&crew.moderator.1, ADMIN_REVIEWS).await["reviews"],
        json!([])
    );
}

db_tests!(the_queue_shows_the_most_reported_first_and_dismissing_empties_it);
