//! A list's movies: every parameter of the catalog's list, `sort=added` / `-added`, paging links
//! with the list's path, and who may read them (`/lists/{list_id}/…`).

use reqwest::Method;
use serde_json::{Value, json};

use super::{MINE, mine, mine_movies, public, public_movies, spawn};
use crate::{
    db_tests,
    helpers::{Backend, TestApp},
    movies::{MOVIES, movie, movie_ids, movie_url},
};

/// A movie with these genres; its overview holds `words`.
async fn film(app: &TestApp, name: &str, date: &str, genres: &[&str], words: &str) -> i64 {
    let mut body = movie(name, date);
    body["genres"] = json!(genres);
    body["overview"] = json!(format!("{words}."));
    app.created(&body).await
}

async fn a_lists_movies_take_every_catalog_parameter(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let auth = Some(ann.as_str());
    let storm = film(
        &app,
        "Storm Rising",
        "2001-05-01",
        &["Action"],
        "A storm at sea",
    )
    .await;
    let harbor = film(&app, "Quiet Harbor", "1995-01-01", &["Comedy"], "Calm days").await;
    let warning = film(
        &app,
        "Storm Warning",
        "2010-01-01",
        &["Comedy", "Drama"],
        "Thunder",
    )
    .await;
    // In the catalog, never in the list: no listing of the list shows it.
    let outside = film(&app, "Storm Outside", "2015-01-01", &["Comedy"], "A storm").await;
    // Added in an order that is neither the ids' nor the names'.
    for id in [harbor, warning, storm] {
        app.put_movie(&ann, "favorites", id).await;
    }
    let ids = |query: &str| {
        let path = format!("{}?{query}", mine_movies("favorites"));
        let app = &app;
        async move { movie_ids(&app.list_read(&path, auth).await) }
    };

    // The default: most recently added first; `added` the other way round.
    assert_eq!(ids("").await, [storm, warning, harbor]);
    assert_eq!(ids("sort=-added").await, [storm, warning, harbor]);
    assert_eq!(ids("sort=added").await, [harbor, warning, storm]);
    // The catalog's own sorts.
    assert_eq!(ids("sort=name").await, [harbor, storm, warning]);
    assert_eq!(ids("sort=-date").await, [warning, storm, harbor]);
    assert_eq!(ids("sort=id").await, [storm, harbor, warning]);
    // Search (stemmed, every word, by relevance without a sort) and filters.
    let mut found = ids("search=storms").await;
    found.sort_unstable();
    assert_eq!(found, [storm, warning]);
    assert_eq!(ids("search=storm&sort=added").await, [warning, storm]);
    assert_eq!(ids("search=storm%20thunder").await, [warning]);
    assert_eq!(ids("genre=comedy").await, [warning, harbor]);
    assert_eq!(ids("genre=comedy,drama").await, [warning]);
    assert_eq!(ids("genre=action|drama&sort=added").await, [warning, storm]);
    assert_eq!(ids("year_from=2000&year_to=2005").await, [storm]);
    assert_eq!(ids("country=us&min_score=50").await.len(), 3);
    assert_eq!(ids("max_score=10").await, Vec::<i64>::new());
    assert_eq!(
        ids("actor=Tessa%20Thompson&language=english").await.len(),
        3
    );

    // `sort=rating` and `min_rating` read the community's ratings.
    let bob = app.list_member("bob@example.com").await;
    for (id, score) in [(harbor, 9), (storm, 4)] {
        let (status, _) = app
            .on_lists(
                Method::PUT,
                &format!("{}rating/", movie_url(id)),
                Some(&bob),
                Some(json!({"score": score})),
            )
            .await;
        assert_eq!(status, 200);
    }
    // Unrated last either way.
    assert_eq!(ids("sort=rating").await, [storm, harbor, warning]);
    assert_eq!(ids("sort=-rating").await, [harbor, storm, warning]);
    assert_eq!(ids("min_rating=5").await, [harbor]);
    let _ = outside;

    // Bad parameters: the catalog's 422s, and a list's `sort` names `added` among its choices.
    let (status, body) = app
        .on_lists(
            Method::GET,
            &format!("{}?sort=best&per_page=0", mine_movies("favorites")),
            auth,
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let failed: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"])
        .collect();
    assert_eq!(
        failed,
        [&json!(["query", "per_page"]), &json!(["query", "sort"])]
    );
    assert!(
        body["detail"][1]["msg"]
            .as_str()
            .unwrap()
            .ends_with("'added' or '-added'"),
        "{body}"
    );
    // The catalog itself still refuses `added`, with its own choices.
    let (status, body) = app
        .on_lists(Method::GET, &format!("{MOVIES}?sort=added"), None, None)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["query", "sort"]));
    assert!(!body["detail"][0]["msg"].as_str().unwrap().contains("added"));
    // And its listing is what it was: every movie, newest first.
    let catalog = app.list_read(MOVIES, None).await;
    assert_eq!(movie_ids(&catalog), [outside, warning, harbor, storm]);
    assert_eq!(catalog["prev_page"], Value::Null);
}

async fn a_lists_pages_link_to_the_list(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let auth = Some(ann.as_str());
    let mut added = Vec::new();
    for n in 0..5 {
        let id = film(
            &app,
            &format!("Paged {n}"),
            "2020-01-01",
            &["Comedy"],
            "Funny",
        )
        .await;
        app.put_movie(&ann, "watchlist", id).await;
        added.push(id);
    }
    let first = app
        .list_read(
            &format!("{}?per_page=2&genre=comedy", mine_movies("watchlist")),
            auth,
        )
        .await;
    assert_eq!(movie_ids(&first), [added[4], added[3]]);
    assert_eq!(
        (
            &first["total_items"],
            &first["total_pages"],
            &first["prev_page"]
        ),
        (&json!(5), &json!(3), &Value::Null)
    );
    assert_eq!(
        first["next_page"],
        "/users/me/lists/watchlist/movies/?page=2&per_page=2&genre=comedy"
    );
    let last = app
        .list_read(
            &format!("{}?page=3&per_page=2&sort=added", mine_movies("watchlist")),
            auth,
        )
        .await;
    assert_eq!(movie_ids(&last), [added[4]]);
    assert_eq!(
        last["prev_page"],
        "/users/me/lists/watchlist/movies/?page=2&per_page=2&sort=added"
    );
    assert_eq!(last["next_page"], Value::Null);
    // By id, the links keep the id.
    let lists = app.list_read(MINE, auth).await;
    let watchlist = lists[1]["id"].as_i64().unwrap();
    let by_id = app
        .list_read(&format!("{}?per_page=4", mine_movies(watchlist)), auth)
        .await;
    assert_eq!(
        by_id["next_page"],
        format!("/users/me/lists/{watchlist}/movies/?page=2&per_page=4")
    );
    // Past the end, an empty list or no match: 200 with no movies (not the catalog's 404).
    let past = app
        .list_read(&format!("{}?page=9", mine_movies("watchlist")), auth)
        .await;
    assert_eq!(past["movies"], json!([]));
    assert_eq!(past["total_items"], 5);
    let empty = app.list_read(&mine_movies("favorites"), auth).await;
    assert_eq!(
        empty,
        json!({"movies": [], "prev_page": null, "next_page": null, "total_pages": 0, "total_items": 0})
    );
    let none = app
        .list_read(
            &format!("{}?search=nothingmatches", mine_movies("watchlist")),
            auth,
        )
        .await;
    assert_eq!(
        (&none["movies"], &none["total_items"]),
        (&json!([]), &json!(0))
    );
    // Unknown lists are 404.
    assert_eq!(
        app.on_lists(Method::GET, &mine_movies(999_999), auth, None)
            .await,
        (404, json!({"detail": "List not found."}))
    );
}

async fn public_lists_are_for_anyone_private_ones_for_their_owner(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let bob = app.list_member("bob@example.com").await;
    let id = app.created(&movie("Shown", "2020-01-01")).await;
    let open = app.new_list(&ann, "Open", true).await;
    let secret = app.new_list(&ann, "Secret", false).await;
    app.put_movie(&ann, open, id).await;
    app.put_movie(&ann, secret, id).await;

    // Public: anyone, with or without a token.
    for auth in [None, Some(bob.as_str()), Some(ann.as_str())] {
        let list = app.list_read(&public(open), auth).await;
        assert_eq!(
            (&list["id"], &list["name"], &list["public"], &list["movies"]),
            (&json!(open), &json!("Open"), &json!(true), &json!(1))
        );
        let page = app.list_read(&public_movies(open), auth).await;
        assert_eq!(movie_ids(&page), [id]);
    }
    // The links' path is the public one.
    let second = film(&app, "Second", "2021-01-01", &["Drama"], "More").await;
    app.put_movie(&ann, open, second).await;
    let page = app
        .list_read(
            &format!("{}?per_page=1&sort=name", public_movies(open)),
            None,
        )
        .await;
    assert_eq!(movie_ids(&page), [second]);
    assert_eq!(
        page["next_page"],
        format!("/lists/{open}/movies/?page=2&per_page=1&sort=name")
    );

    // Private: 404 to everyone but its owner.
    let not_found = (404, json!({"detail": "List not found."}));
    for auth in [None, Some(bob.as_str())] {
        for path in [public(secret), public_movies(secret)] {
            assert_eq!(
                app.on_lists(Method::GET, &path, auth, None).await,
                not_found,
                "{path}"
            );
        }
    }
    let own = app.list_read(&public(secret), Some(&ann)).await;
    assert_eq!(
        (&own["name"], &own["public"]),
        (&json!("Secret"), &json!(false))
    );
    assert_eq!(
        movie_ids(&app.list_read(&public_movies(secret), Some(&ann)).await),
        [id]
    );

    // Built-ins are private until made public.
    let favorites = app.list_read(MINE, Some(&ann)).await[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.on_lists(Method::GET, &public(favorites), None, None)
            .await,
        not_found
    );
    let (status, _) = app
        .on_lists(
            Method::PATCH,
            &mine("favorites"),
            Some(&ann),
            Some(json!({"public": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.list_read(&public(favorites), None).await["kind"],
        "favorites"
    );
    // Made private again, it is gone for others at once.
    let (status, _) = app
        .on_lists(
            Method::PATCH,
            &mine(open),
            Some(&ann),
            Some(json!({"public": false})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.on_lists(Method::GET, &public_movies(open), None, None)
            .await,
        not_found
    );

    // Unknown ids are 404, malformed ones 422, a broken token 401 (never silently anonymous).
    for unknown in ["999999", "99999999999"] {
        assert_eq!(
            app.on_lists(Method::GET, &public(unknown), None, None)
                .await,
            not_found
        );
    }
    let (status, _) = app
        .on_lists(Method::GET, &public("favorites"), None, None)
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .on_lists(Method::GET, &public(secret), Some("Bearer not.a.jwt"), None)
        .await;
    assert_eq!(status, 401);
}

async fn a_change_of_a_list_shows_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let auth = Some(ann.as_str());
    let a = app.created(&movie("Early", "2020-01-01")).await;
    let b = app.created(&movie("Late", "2021-01-01")).await;
    let open = app.new_list(&ann, "Open", true).await;
    let paths = [
        mine_movies("favorites"),
        format!("{}?sort=name", mine_movies("favorites")),
        mine_movies(open),
        public_movies(open),
    ];
    // The same requests before and after each change: list changes are no catalog writes, so an
    // answer from the catalog's caches would be stale.
    for path in &paths {
        assert_eq!(
            movie_ids(&app.list_read(path, auth).await),
            Vec::<i64>::new()
        );
    }
    app.put_movie(&ann, "favorites", a).await;
    app.put_movie(&ann, open, a).await;
    for path in &paths {
        assert_eq!(movie_ids(&app.list_read(path, auth).await), [a], "{path}");
    }
    app.put_movie(&ann, "favorites", b).await;
    app.put_movie(&ann, open, b).await;
    assert_eq!(movie_ids(&app.list_read(&paths[0], auth).await), [b, a]);
    assert_eq!(movie_ids(&app.list_read(&paths[1], auth).await), [a, b]);
    assert_eq!(movie_ids(&app.list_read(&paths[3], None).await), [b, a]);
    for list in ["favorites".to_owned(), open.to_string()] {
        let (status, _) = app
            .on_lists(Method::DELETE, &super::mine_movie(&list, b), auth, None)
            .await;
        assert_eq!(status, 204);
    }
    for path in &paths {
        assert_eq!(movie_ids(&app.list_read(path, auth).await), [a], "{path}");
    }
    // A catalog write shows too (the same SQL reads the movie's row).
    let (status, _) = app
        .on_lists(
            Method::PATCH,
            &movie_url(a),
            None,
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.list_read(&paths[2], auth).await["movies"][0]["name"],
        "Renamed"
    );
}

db_tests!(
    a_lists_movies_take_every_catalog_parameter,
    a_change_of_a_list_shows_at_once,
    a_lists_pages_link_to_the_list,
    public_lists_are_for_anyone_private_ones_for_their_owner,
);
