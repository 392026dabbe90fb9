//! Ratings, reactions and the community summary, on SQLite and PostgreSQL.

use serde_json::{Value, json};
use theater::auth::Group;

use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app_with},
    movies::{MOVIES, movie, movie_ids, movie_url},
};

fn open(env: &mut std::collections::HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
}

async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(backend, open).await
}

fn url(movie_id: i64, what: &str) -> String {
    format!("{}{what}/", movie_url(movie_id))
}

impl TestApp {
    async fn rate(&self, auth: &str, movie_id: i64, score: Value) -> (u16, Value) {
        let body = json!({ "score": score });
        self.call(
            reqwest::Method::PUT,
            &url(movie_id, "rating"),
            Some(auth),
            Some(body),
        )
        .await
    }

    async fn react(&self, auth: &str, movie_id: i64, value: &str) -> (u16, Value) {
        let body = json!({ "value": value });
        self.call(
            reqwest::Method::PUT,
            &url(movie_id, "reaction"),
            Some(auth),
            Some(body),
        )
        .await
    }

    async fn summary(&self, movie_id: i64, auth: Option<&str>) -> Value {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &url(movie_id, "community"),
                auth,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn users(&self, n: usize) -> Vec<String> {
        let mut tokens = Vec::new();
        for i in 0..n {
            let id = self
                .insert_user(&format!("fan{i}@example.com"), Group::User, true)
                .await;
            tokens.push(self.bearer(id));
        }
        tokens
    }
}

/// The histogram with these `(score, count)` and zero elsewhere.
fn histogram(counts: &[(u8, i64)]) -> Value {
    let mut h = serde_json::Map::new();
    for n in 1..=10u8 {
        let c = counts.iter().find(|(s, _)| *s == n).map_or(0, |(_, c)| *c);
        h.insert(n.to_string(), json!(c));
    }
    Value::Object(h)
}

async fn ratings_are_one_per_user_replaceable_and_summarised_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let id = app.created(&movie("Rated", "2020-01-01")).await;
    let [ann, bob] = <[String; 2]>::try_from(app.users(2).await).unwrap();

    // Unrated: no average, an empty histogram, `me` only with a token.
    let empty = app.summary(id, None).await;
    assert_eq!(
        empty,
        json!({
            "movie_id": id,
            "rating": {"average": null, "count": 0, "histogram": histogram(&[])},
            "likes": 0, "dislikes": 0, "reviews": 0, "me": null,
        })
    );
    let mine = app.summary(id, Some(&ann)).await;
    assert_eq!(
        mine["me"],
        json!({"rating": null, "reaction": null, "favorite": false, "watchlist": false})
    );

    assert_eq!(
        app.rate(&ann, id, json!(7)).await,
        (200, json!({"movie_id": id, "score": 7}))
    );
    assert_eq!(app.rate(&bob, id, json!("8")).await.0, 200);
    let both = app.summary(id, Some(&ann)).await;
    assert_eq!(
        both["rating"],
        json!({"average": 7.5, "count": 2, "histogram": histogram(&[(7, 1), (8, 1)])})
    );
    assert_eq!(both["me"]["rating"], 7);
    // A second rating replaces the first; the same one again changes nothing.
    assert_eq!(app.rate(&ann, id, json!(10)).await.0, 200);
    assert_eq!(app.rate(&ann, id, json!(10)).await.0, 200);
    let replaced = app.summary(id, Some(&bob)).await;
    assert_eq!(
        replaced["rating"],
        json!({"average": 9.0, "count": 2, "histogram": histogram(&[(8, 1), (10, 1)])})
    );
    assert_eq!(replaced["me"]["rating"], 8);

    let delete = reqwest::Method::DELETE;
    let rating = url(id, "rating");
    assert_eq!(
        app.call(delete.clone(), &rating, Some(&ann), None).await.0,
        204
    );
    assert_eq!(
        app.call(delete.clone(), &rating, Some(&ann), None).await,
        (404, json!({"detail": "You have not rated this movie."}))
    );
    let after = app.summary(id, Some(&ann)).await;
    assert_eq!(
        after["rating"],
        json!({"average": 8.0, "count": 1, "histogram": histogram(&[(8, 1)])})
    );
    assert_eq!(after["me"]["rating"], Value::Null);
    assert_eq!(app.call(delete, &rating, Some(&bob), None).await.0, 204);
    assert_eq!(
        app.summary(id, None).await["rating"]["average"],
        Value::Null
    );
}

async fn reactions_are_one_per_user_and_counted(backend: Backend) {
    let app = spawn(backend).await;
    let id = app.created(&movie("Liked", "2020-01-01")).await;
    let [ann, bob, cid] = <[String; 3]>::try_from(app.users(3).await).unwrap();
    assert_eq!(
        app.react(&ann, id, "like").await,
        (200, json!({"movie_id": id, "value": "like"}))
    );
    assert_eq!(app.react(&bob, id, "like").await.0, 200);
    assert_eq!(app.react(&cid, id, "dislike").await.0, 200);
    let s = app.summary(id, Some(&cid)).await;
    assert_eq!(
        (s["likes"].clone(), s["dislikes"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(s["me"]["reaction"], "dislike");
    // Replaced, repeated, removed.
    assert_eq!(app.react(&ann, id, "dislike").await.0, 200);
    assert_eq!(app.react(&ann, id, "dislike").await.0, 200);
    let s = app.summary(id, None).await;
    assert_eq!(
        (s["likes"].clone(), s["dislikes"].clone()),
        (json!(1), json!(2))
    );
    let reaction = url(id, "reaction");
    let delete = reqwest::Method::DELETE;
    assert_eq!(
        app.call(delete.clone(), &reaction, Some(&bob), None)
            .await
            .0,
        204
    );
    assert_eq!(
        app.call(delete, &reaction, Some(&bob), None).await,
        (
            404,
            json!({"detail": "You have not reacted to this movie."})
        )
    );
    let s = app.summary(id, Some(&bob)).await;
    assert_eq!(
        (s["likes"].clone(), s["dislikes"].clone()),
        (json!(0), json!(2))
    );
    assert_eq!(s["me"]["reaction"], Value::Null);
    // Reactions leave the ratings alone.
    assert_eq!(s["rating"]["count"], 0);
}

async fn bad_tokens_bad_input_and_unknown_movies_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    let id = app.created(&movie("Guarded", "2020-01-01")).await;
    let user = app.insert_user("u@example.com", Group::User, true).await;
    let inactive = app.insert_user("i@example.com", Group::User, false).await;
    let (user, inactive) = (app.bearer(user), app.bearer(inactive));
    let detail = |s: &str| json!({ "detail": s });
    let put = reqwest::Method::PUT;
    let rating = url(id, "rating");
    let body = Some(json!({"score": 5}));
    assert_eq!(
        app.call(put.clone(), &rating, None, body.clone()).await,
        (401, detail("Authorization header is missing"))
    );
    assert_eq!(
        app.call(put.clone(), &rating, Some(&inactive), body.clone())
            .await,
        (401, detail("User not found or not active."))
    );
    // Authentication comes before the body.
    assert_eq!(
        app.call(put.clone(), &rating, None, Some(json!({"score": 0})))
            .await
            .0,
        401
    );
    // The summary takes no token, but a sent one must be valid.
    let community = url(id, "community");
    let get = reqwest::Method::GET;
    assert_eq!(
        app.call(get.clone(), &community, Some("Bearer junk"), None)
            .await,
        (401, detail("Invalid token."))
    );

    for (score, kind) in [
        (json!(0), "greater_than_equal"),
        (json!(11), "less_than_equal"),
        (json!("ten"), "int_parsing"),
        (json!(7.5), "int_from_float"),
        (Value::Null, "int_type"),
    ] {
        let (status, body) = app.rate(&user, id, score.clone()).await;
        assert_eq!(status, 422, "{score}: {body}");
        assert_eq!(body["detail"][0]["type"], kind, "{score}: {body}");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "score"]));
    }
    let (status, body) = app.react(&user, id, "love").await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"][0]["msg"],
        "Input should be 'like' or 'dislike'"
    );

    let missing = id + 1000;
    let not_found = (404, detail("Movie with the given ID was not found."));
    assert_eq!(app.rate(&user, missing, json!(5)).await, not_found);
    assert_eq!(app.react(&user, missing, "like").await, not_found);
    for what in ["rating", "reaction"] {
        let path = url(missing, what);
        let answer = app
            .call(reqwest::Method::DELETE, &path, Some(&user), None)
            .await;
        assert_eq!(answer, not_found, "{what}");
    }
    assert_eq!(
        app.call(get.clone(), &url(missing, "community"), None, None)
            .await,
        not_found
    );
    // Beyond any row id.
    assert_eq!(app.rate(&user, 1 << 40, json!(5)).await, not_found);
    // Nothing was stored by a refused request.
    let s = app.summary(id, None).await;
    assert_eq!(
        (s["rating"]["count"].clone(), s["likes"].clone()),
        (json!(0), json!(0))
    );
}

async fn concurrent_writes_keep_the_aggregates_exact(backend: Backend) {
    let app = spawn(backend).await;
    let id = app.created(&movie("Popular", "2020-01-01")).await;
    let fans = app.users(50).await;
    // 50 users rate (scores 1..10, five each) and react at once.
    let writes = fans.iter().enumerate().map(|(i, fan)| {
        let app = &app;
        async move {
            let score = (i % 10 + 1) as i64;
            let value = if i % 5 == 0 { "dislike" } else { "like" };
            let (rated, reacted) =
                tokio::join!(app.rate(fan, id, json!(score)), app.react(fan, id, value));
            assert_eq!((rated.0, reacted.0), (200, 200), "{rated:?} {reacted:?}");
        }
    });
    futures::future::join_all(writes).await;
    let s = app.summary(id, None).await;
    let every_score: Vec<(u8, i64)> = (1..=10).map(|n| (n, 5)).collect();
    assert_eq!(
        s["rating"],
        json!({"average": 5.5, "count": 50, "histogram": histogram(&every_score)})
    );
    assert_eq!(
        (s["likes"].clone(), s["dislikes"].clone()),
        (json!(40), json!(10))
    );

    // One user, 50 identical reactions and 50 different ratings at once: one row each.
    let one = &fans[0];
    let same = (0..50).map(|_| app.react(one, id, "like"));
    let ratings = (0..50).map(|i| app.rate(one, id, json!(i % 10 + 1)));
    let (reactions, ratings) = tokio::join!(
        futures::future::join_all(same),
        futures::future::join_all(ratings)
    );
    assert!(
        reactions
            .iter()
            .chain(&ratings)
            .all(|(status, _)| *status == 200)
    );
    let s = app.summary(id, Some(one)).await;
    assert_eq!(s["rating"]["count"], 50);
    let buckets: i64 = (1..=10)
        .map(|n| s["rating"]["histogram"][n.to_string()].as_i64().unwrap())
        .sum();
    assert_eq!(buckets, 50);
    // Fan 0 used to dislike: now one like more, one dislike less.
    assert_eq!(
        (s["likes"].clone(), s["dislikes"].clone()),
        (json!(41), json!(9))
    );
    let mine = s["me"]["rating"].as_i64().unwrap();
    let rows = count_rows(&app, id).await;
    assert_eq!(rows, (50, 50));
    let sum: i64 = (1..=10)
        .map(|n| n * s["rating"]["histogram"][n.to_string()].as_i64().unwrap())
        .sum();
    // The histogram agrees with the stored rows, whichever of fan 0's ratings came last.
    assert_eq!(sum, 5 * 55 - 1 + mine);
}

async fn count_rows(app: &TestApp, movie_id: i64) -> (i64, i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let mut counts = Vec::new();
    for table in ["movie_ratings", "movie_reactions"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE movie_id = {movie_id}");
        let row = app
            .db
            .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        counts.push(row.try_get_by_index::<i64>(0).unwrap());
    }
    (counts[0], counts[1])
}

async fn the_catalog_sorts_and_filters_by_rating(backend: Backend) {
    let app = spawn(backend).await;
    let [a, b, c, d] = [
        app.created(&movie("A", "2020-01-01")).await,
        app.created(&movie("B", "2020-01-02")).await,
        app.created(&movie("C", "2020-01-03")).await,
        app.created(&movie("D", "2020-01-04")).await,
    ];
    let fans = app.users(2).await;
    // Means: A 9 (two ratings), B 9 (one), C 4; D unrated (a reaction only).
    for (fan, movie, score) in [(0, a, 9), (1, a, 9), (0, b, 9), (0, c, 4)] {
        assert_eq!(app.rate(&fans[fan], movie, json!(score)).await.0, 200);
    }
    assert_eq!(app.react(&fans[0], d, "like").await.0, 200);
    let ids = |query: &'static str| {
        let app = &app;
        async move {
            let (status, page) = json(app.get(&format!("{MOVIES}?{query}")).await).await;
            (
                status,
                if status == 200 {
                    movie_ids(&page)
                } else {
                    vec![]
                },
                page,
            )
        }
    };
    let (_, best, page) = ids("sort=-rating").await;
    assert_eq!(best, [a, b, c, d], "more ratings win a tie; unrated last");
    assert_eq!(page["total_items"], 4);
    let (_, worst, _) = ids("sort=rating").await;
    assert_eq!(worst, [c, b, a, d], "unrated last in both directions");
    let (_, good, page) = ids("min_rating=8.5&sort=-rating").await;
    assert_eq!(good, [a, b]);
    let link = page["next_page"].clone();
    assert_eq!(link, Value::Null);
    let (_, paged, page) = ids("min_rating=4&sort=-rating&per_page=1&page=2").await;
    assert_eq!(paged, [b]);
    assert_eq!(
        page["next_page"],
        "/theater/movies/?page=3&per_page=1&min_rating=4&sort=-rating"
    );
    let (status, _, _) = ids("min_rating=9.5").await;
    assert_eq!(status, 404, "no movie is rated that well");
    // A movie's deletion takes its ratings and aggregates with it.
    let (status, _) = json(app.delete(&movie_url(a)).await).await;
    assert_eq!(status, 204);
    assert_eq!(count_rows(&app, a).await, (0, 0));
}

async fn community_writes_are_limited_per_user(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        open(env);
        env.insert("COMMUNITY_RATE_LIMIT".into(), "3".into());
    })
    .await;
    let id = app.created(&movie("Busy", "2020-01-01")).await;
    let [ann, bob] = <[String; 2]>::try_from(app.users(2).await).unwrap();
    for score in [1, 2, 3] {
        assert_eq!(app.rate(&ann, id, json!(score)).await.0, 200);
    }
    let response = app
        .request(reqwest::Method::PUT, &url(id, "reaction"))
        .header("Authorization", &ann)
        .json(&json!({"value": "like"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (_, body) = json(response).await;
    assert_eq!(
        body,
        json!({"detail": "Too many requests. Try again later."})
    );
    // Another user has their own budget; reads are never limited.
    assert_eq!(app.react(&bob, id, "like").await.0, 200);
    assert_eq!(app.summary(id, Some(&ann)).await["me"]["rating"], 3);
}

db_tests!(
    ratings_are_one_per_user_replaceable_and_summarised_at_once,
    reactions_are_one_per_user_and_counted,
    bad_tokens_bad_input_and_unknown_movies_are_refused,
    concurrent_writes_keep_the_aggregates_exact,
    the_catalog_sorts_and_filters_by_rating,
    community_writes_are_limited_per_user,
);
