//! The lists themselves: built-ins, creating, renaming, publishing, deleting, adding and removing
//! movies, who may touch whose list, the limits, the shared write limit and the community summary.

use reqwest::Method;
use serde_json::{Value, json};

use super::{MINE, mine, mine_movie, mine_movies, spawn};
use crate::{
    db_tests,
    helpers::{Backend, json, spawn_app_with},
    movies::{movie, movie_url},
};

fn names_and_kinds(lists: &Value) -> Vec<(String, String)> {
    lists
        .as_array()
        .expect("an array of lists")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(name: &str, kind: &str) -> (String, String) {
    (name.to_owned(), kind.to_owned())
}

async fn a_new_user_has_the_two_built_ins_first(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let lists = app.list_read(MINE, Some(&ann)).await;
    assert_eq!(
        names_and_kinds(&lists),
        [
            pair("Favorites", "favorites"),
            pair("Watchlist", "watchlist")
        ]
    );
    let favorites = &lists[0];
    assert_eq!(
        (&favorites["public"], &favorites["movies"]),
        (&json!(false), &json!(0))
    );
    assert!(favorites["id"].is_i64());
    // ISO 8601 UTC to the second: `2026-12-01T18:00:00Z`.
    let created = favorites["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 20, "{created}");
    assert!(
        created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    // Their own come after, in the order made (not by name); the path works without its `/`.
    app.new_list(&ann, "Zeta", false).await;
    app.new_list(&ann, "Alpha", false).await;
    let lists = app.list_read(MINE.trim_end_matches('/'), Some(&ann)).await;
    assert_eq!(
        names_and_kinds(&lists),
        [
            pair("Favorites", "favorites"),
            pair("Watchlist", "watchlist"),
            pair("Zeta", "custom"),
            pair("Alpha", "custom"),
        ]
    );
    // Nobody else sees them; without a token: 401.
    let bob = app.list_member("bob@example.com").await;
    assert_eq!(
        app.list_read(MINE, Some(&bob))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, body) = app.on_lists(Method::GET, MINE, None, None).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
}

async fn lists_are_created_renamed_published_and_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let auth = Some(ann.as_str());

    let (status, created) = app
        .on_lists(
            Method::POST,
            MINE,
            auth,
            Some(json!({"name": "  Horror  "})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        (
            &created["name"],
            &created["kind"],
            &created["public"],
            &created["movies"]
        ),
        (&json!("Horror"), &json!("custom"), &json!(false), &json!(0))
    );

    // Names are unique ignoring case, the built-ins' included.
    let duplicate = (
        409,
        json!({"detail": "You already have a list with this name."}),
    );
    for name in ["horror", "HORROR ", "favorites", "Watchlist"] {
        let body = Some(json!({"name": name}));
        assert_eq!(
            app.on_lists(Method::POST, MINE, auth, body).await,
            duplicate,
            "{name}"
        );
    }
    let (status, body) = app
        .on_lists(Method::POST, MINE, auth, Some(json!({"name": "   "})))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "name"]));
    let long = "x".repeat(101);
    let (status, _) = app
        .on_lists(Method::POST, MINE, auth, Some(json!({"name": long})))
        .await;
    assert_eq!(status, 422);

    // Rename, then publish; each answer is the list as it is now.
    let (status, renamed) = app
        .on_lists(
            Method::PATCH,
            &mine(id),
            auth,
            Some(json!({"name": "Scary"})),
        )
        .await;
    assert_eq!(
        (status, &renamed["name"]),
        (200, &json!("Scary")),
        "{renamed}"
    );
    let (status, published) = app
        .on_lists(
            Method::PATCH,
            &mine(id),
            auth,
            Some(json!({"public": true})),
        )
        .await;
    assert_eq!(
        (status, &published["name"], &published["public"]),
        (200, &json!("Scary"), &json!(true))
    );
    // A change of case only is a rename of the same list.
    let (status, cased) = app
        .on_lists(
            Method::PATCH,
            &mine(id),
            auth,
            Some(json!({"name": "SCARY"})),
        )
        .await;
    assert_eq!((status, &cased["name"]), (200, &json!("SCARY")));
    // Another list's name is taken.
    let other = app.new_list(&ann, "Comedy", false).await;
    assert_eq!(
        app.on_lists(
            Method::PATCH,
            &mine(other),
            auth,
            Some(json!({"name": "scary"}))
        )
        .await,
        duplicate
    );

    // A built-in may change `public` only.
    let (status, body) = app
        .on_lists(
            Method::PATCH,
            &mine("favorites"),
            auth,
            Some(json!({"name": "Best"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"detail": "Built-in lists cannot be renamed; only 'public' can change."})
        )
    );
    let (status, favorites) = app
        .on_lists(
            Method::PATCH,
            &mine("favorites"),
            auth,
            Some(json!({"public": true})),
        )
        .await;
    assert_eq!(
        (status, &favorites["name"], &favorites["public"]),
        (200, &json!("Favorites"), &json!(true))
    );
    // Its own name sent back is no change.
    let (status, _) = app
        .on_lists(
            Method::PATCH,
            &mine("favorites"),
            auth,
            Some(json!({"name": "Favorites", "public": false})),
        )
        .await;
    assert_eq!(status, 200);
    let lists = app.list_read(MINE, auth).await;
    assert_eq!(lists[0]["public"], false);
    assert_eq!(lists[2]["public"], true);

    // Built-ins cannot be deleted, by word or by id.
    let builtin = (400, json!({"detail": "Built-in lists cannot be deleted."}));
    let favorites_id = lists[0]["id"].as_i64().unwrap();
    for list in [
        "favorites".to_owned(),
        "watchlist".to_owned(),
        favorites_id.to_string(),
    ] {
        assert_eq!(
            app.on_lists(Method::DELETE, &mine(&list), auth, None).await,
            builtin,
            "{list}"
        );
    }
    // A list of one's own can.
    assert_eq!(
        app.on_lists(Method::DELETE, &mine(id), auth, None).await,
        (204, Value::Null)
    );
    let not_found = (404, json!({"detail": "List not found."}));
    assert_eq!(
        app.on_lists(Method::DELETE, &mine(id), auth, None).await,
        not_found
    );
    assert_eq!(
        app.on_lists(
            Method::PATCH,
            &mine(id),
            auth,
            Some(json!({"public": false}))
        )
        .await,
        not_found
    );
    let names: Vec<_> = names_and_kinds(&app.list_read(MINE, auth).await)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["Favorites", "Watchlist", "Comedy"]);
    // Its name is free again.
    app.new_list(&ann, "scary", false).await;
    // `{list}` is an id or a built-in's word.
    let (status, body) = app
        .on_lists(Method::DELETE, &mine("custom"), auth, None)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["path", "list"]));
}

async fn movies_are_added_once_and_removed(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let auth = Some(ann.as_str());
    let a = app.created(&movie("Added", "2020-01-01")).await;
    let b = app.created(&movie("Also added", "2021-01-01")).await;

    app.put_movie(&ann, "favorites", a).await;
    // Idempotent.
    app.put_movie(&ann, "favorites", a).await;
    app.put_movie(&ann, "favorites", b).await;
    let watch = app.new_list(&ann, "Later", false).await;
    app.put_movie(&ann, watch, a).await;
    let lists = app.list_read(MINE, auth).await;
    let counts: Vec<&Value> = lists
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["movies"])
        .collect();
    assert_eq!(counts, [&json!(2), &json!(0), &json!(1)]);

    let movie_missing = (
        404,
        json!({"detail": "Movie with the given ID was not found."}),
    );
    for unknown in [999_999, 1 << 40] {
        assert_eq!(
            app.on_lists(Method::PUT, &mine_movie("favorites", unknown), auth, None)
                .await,
            movie_missing
        );
    }
    let list_missing = (404, json!({"detail": "List not found."}));
    assert_eq!(
        app.on_lists(Method::PUT, &mine_movie(999_999, a), auth, None)
            .await,
        list_missing
    );

    // Removing: once; then it is not in the list.
    let remove = mine_movie("favorites", a);
    assert_eq!(
        app.on_lists(Method::DELETE, &remove, auth, None).await,
        (204, Value::Null)
    );
    let not_in_list = (404, json!({"detail": "This movie is not in the list."}));
    assert_eq!(
        app.on_lists(Method::DELETE, &remove, auth, None).await,
        not_in_list
    );
    assert_eq!(
        app.on_lists(Method::DELETE, &mine_movie("watchlist", b), auth, None)
            .await,
        not_in_list
    );
    let ids: Vec<i64> =
        crate::movies::movie_ids(&app.list_read(&mine_movies("favorites"), auth).await);
    assert_eq!(ids, [b]);

    // Another user's lists are not found for every write, public or not.
    let bob = app.list_member("bob@example.com").await;
    let bobs = Some(bob.as_str());
    let anns_public = app.new_list(&ann, "Shared", true).await;
    let favorites_id = lists[0]["id"].as_i64().unwrap();
    for list in [watch, anns_public, favorites_id] {
        for (method, path, body) in [
            (Method::PUT, mine_movie(list, b), None),
            (Method::DELETE, mine_movie(list, b), None),
            (Method::PATCH, mine(list), Some(json!({"public": true}))),
            (Method::DELETE, mine(list), None),
            (Method::GET, mine_movies(list), None),
        ] {
            assert_eq!(
                app.on_lists(method.clone(), &path, bobs, body).await,
                list_missing,
                "{method} {path}"
            );
        }
    }
    // Bob's `favorites` is his own.
    app.put_movie(&bob, "favorites", a).await;
    assert_eq!(
        crate::movies::movie_ids(&app.list_read(&mine_movies("favorites"), auth).await),
        [b]
    );
    // Ann's lists are as they were.
    let after = app.list_read(MINE, auth).await;
    assert_eq!(after[2]["movies"], 1);
    assert_eq!(after.as_array().unwrap().len(), 4);
}

async fn the_community_summary_shows_favorite_and_watchlist(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let bob = app.list_member("bob@example.com").await;
    let id = app.created(&movie("Loved", "2020-01-01")).await;
    let community = format!("{}community/", movie_url(id));
    let me = |summary: Value| {
        (
            summary["me"]["favorite"].clone(),
            summary["me"]["watchlist"].clone(),
        )
    };
    assert_eq!(
        me(app.list_read(&community, Some(&ann)).await),
        (json!(false), json!(false))
    );
    // A list of one's own is neither.
    let custom = app.new_list(&ann, "Mine", false).await;
    app.put_movie(&ann, custom, id).await;
    assert_eq!(
        me(app.list_read(&community, Some(&ann)).await),
        (json!(false), json!(false))
    );
    app.put_movie(&ann, "favorites", id).await;
    assert_eq!(
        me(app.list_read(&community, Some(&ann)).await),
        (json!(true), json!(false))
    );
    app.put_movie(&ann, "watchlist", id).await;
    assert_eq!(
        me(app.list_read(&community, Some(&ann)).await),
        (json!(true), json!(true))
    );
    // Only the caller's own lists count.
    assert_eq!(
        me(app.list_read(&community, Some(&bob)).await),
        (json!(false), json!(false))
    );
    assert_eq!(app.list_read(&community, None).await["me"], Value::Null);
    let (status, _) = app
        .on_lists(
            Method::DELETE,
            &mine_movie("favorites", id),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        me(app.list_read(&community, Some(&ann)).await),
        (json!(false), json!(true))
    );
}

async fn a_deleted_movie_leaves_every_list(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let gone = app.created(&movie("Gone", "2020-01-01")).await;
    let kept = app.created(&movie("Kept", "2020-01-01")).await;
    let custom = app.new_list(&ann, "Mine", true).await;
    for list in ["favorites".to_owned(), custom.to_string()] {
        app.put_movie(&ann, &list, gone).await;
        app.put_movie(&ann, &list, kept).await;
    }
    assert_eq!(app.delete(&movie_url(gone)).await.status(), 204);
    let lists = app.list_read(MINE, Some(&ann)).await;
    assert_eq!(lists[0]["movies"], 1);
    assert_eq!(lists[2]["movies"], 1);
    for path in [mine_movies("favorites"), super::public_movies(custom)] {
        let page = app.list_read(&path, Some(&ann)).await;
        assert_eq!(crate::movies::movie_ids(&page), [kept], "{path}");
        assert_eq!(page["total_items"], 1);
    }
}

async fn concurrent_first_reads_make_exactly_two_built_ins(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let reads = (0..20).map(|_| app.on_lists(Method::GET, MINE, Some(&ann), None));
    for (status, lists) in futures::future::join_all(reads).await {
        assert_eq!(status, 200, "{lists}");
        assert_eq!(
            names_and_kinds(&lists),
            [
                pair("Favorites", "favorites"),
                pair("Watchlist", "watchlist")
            ]
        );
    }
    // The same through the other first uses: concurrent adds to a built-in of a new user.
    let bob = app.list_member("bob@example.com").await;
    let id = app.created(&movie("Raced", "2020-01-01")).await;
    let adds = (0..10).map(|i| {
        let list = if i % 2 == 0 { "favorites" } else { "watchlist" };
        let (app, bob) = (&app, &bob);
        async move {
            app.on_lists(Method::PUT, &mine_movie(list, id), Some(bob), None)
                .await
        }
    });
    for (status, body) in futures::future::join_all(adds).await {
        assert_eq!(status, 204, "{body}");
    }
    let lists = app.list_read(MINE, Some(&bob)).await;
    assert_eq!(lists.as_array().unwrap().len(), 2);
    assert_eq!(
        (&lists[0]["movies"], &lists[1]["movies"]),
        (&json!(1), &json!(1))
    );
    let rows = count_lists(&app).await;
    assert_eq!(rows, 4);
}

async fn count_lists(app: &crate::helpers::TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM user_lists",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn a_user_has_at_most_a_hundred_lists_of_their_own(backend: Backend) {
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    for n in 0..100 {
        app.new_list(&ann, &format!("List {n}"), false).await;
    }
    let (status, body) = app
        .on_lists(
            Method::POST,
            MINE,
            Some(&ann),
            Some(json!({"name": "One more"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": "You cannot have more than 100 lists of your own."})
        )
    );
    assert_eq!(
        app.list_read(MINE, Some(&ann))
            .await
            .as_array()
            .unwrap()
            .len(),
        102
    );
    // Another user is not affected; a deletion makes room.
    let bob = app.list_member("bob@example.com").await;
    app.new_list(&bob, "One more", false).await;
    let last = app.list_read(MINE, Some(&ann)).await[101]["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app
        .on_lists(Method::DELETE, &mine(last), Some(&ann), None)
        .await;
    assert_eq!(status, 204);
    app.new_list(&ann, "One more", false).await;
}

async fn a_list_holds_at_most_ten_thousand_movies(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn(backend).await;
    let ann = app.list_member("ann@example.com").await;
    let first = app.created(&movie("First", "2020-01-01")).await;
    let spare = app.created(&movie("Spare", "2020-01-01")).await;
    app.put_movie(&ann, "watchlist", first).await;
    // 9,999 more movies, straight into the tables, and into the list.
    let backend = app.db.get_database_backend();
    let run = |sql: String| {
        let db = &app.db;
        async move {
            db.execute_raw(Statement::from_string(backend, sql))
                .await
                .expect("seeding SQL");
        }
    };
    run(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) \
         INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
         SELECT 'Bulk ' || i, m.date, 50, 'o', 'Released', 1, 1, m.country_id \
         FROM n, movies m WHERE m.id = {first}"
    ))
    .await;
    let watchlist = app.list_read(MINE, Some(&ann)).await[1]["id"]
        .as_i64()
        .unwrap();
    run(format!(
        "INSERT INTO user_list_movies (list_id, movie_id) \
         SELECT {watchlist}, id FROM movies WHERE name LIKE 'Bulk %'"
    ))
    .await;
    assert_eq!(app.list_read(MINE, Some(&ann)).await[1]["movies"], 10_000);

    let add = mine_movie("watchlist", spare);
    assert_eq!(
        app.on_lists(Method::PUT, &add, Some(&ann), None).await,
        (409, json!({"detail": "A list holds at most 10000 movies."}))
    );
    // A movie already in the full list: still idempotent.
    app.put_movie(&ann, "watchlist", first).await;
    // Other lists are not affected; a removal makes room.
    app.put_movie(&ann, "favorites", spare).await;
    let (status, _) = app
        .on_lists(
            Method::DELETE,
            &mine_movie("watchlist", first),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(status, 204);
    app.put_movie(&ann, "watchlist", spare).await;
    let page = app.list_read(&mine_movies("watchlist"), Some(&ann)).await;
    assert_eq!(page["total_items"], 10_000);
    assert_eq!(page["total_pages"], 1_000);
    // The last added comes first.
    assert_eq!(crate::movies::movie_ids(&page)[0], spare);
}

async fn list_writes_count_against_the_community_write_limit(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        super::open(env);
        env.insert("COMMUNITY_RATE_LIMIT".into(), "3".into());
    })
    .await;
    let id = app.created(&movie("Busy", "2020-01-01")).await;
    let ann = app.list_member("ann@example.com").await;
    let bob = app.list_member("bob@example.com").await;
    // One budget: a rating and two list writes, then the fourth write is refused.
    let rating = format!("{}rating/", movie_url(id));
    let (status, _) = app
        .on_lists(Method::PUT, &rating, Some(&ann), Some(json!({"score": 7})))
        .await;
    assert_eq!(status, 200);
    app.put_movie(&ann, "favorites", id).await;
    app.new_list(&ann, "Mine", false).await;
    let response = app
        .request(Method::PUT, &mine_movie("watchlist", id))
        .header("Authorization", &ann)
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
    assert_eq!(
        json(response).await.1,
        json!({"detail": "Too many requests. Try again later."})
    );
    // The refused write did nothing; reads are not limited; another user has their own budget.
    let lists = app.list_read(MINE, Some(&ann)).await;
    assert_eq!(lists[1]["movies"], 0);
    app.list_read(&mine_movies("favorites"), Some(&ann)).await;
    app.put_movie(&bob, "watchlist", id).await;
}

db_tests!(
    a_new_user_has_the_two_built_ins_first,
    lists_are_created_renamed_published_and_deleted,
    movies_are_added_once_and_removed,
    the_community_summary_shows_favorite_and_watchlist,
    a_deleted_movie_leaves_every_list,
    concurrent_first_reads_make_exactly_two_built_ins,
    a_user_has_at_most_a_hundred_lists_of_their_own,
    a_list_holds_at_most_ten_thousand_movies,
    list_writes_count_against_the_community_write_limit,
);
