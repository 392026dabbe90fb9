//! `GET/PATCH /admin/users/…` and `POST /admin/users/{id}/sessions/revoke/`: rights, filters, the
//! detail, deactivation and revocation, and the last-admin guard (also under concurrency).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use theater::auth::Group;

use super::{ADMIN_AUDIT, ADMIN_REVIEWS, ADMIN_USERS, admin_user_url, revoke_url};
use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::{LOGIN, PASSWORD, REFRESH},
        json, spawn_app, spawn_instance_on,
    },
};

fn detail(text: &str) -> Value {
    json!({ "detail": text })
}

fn ids(list: &Value) -> Vec<i64> {
    list["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect()
}

async fn every_endpoint_checks_the_token_and_the_group(backend: Backend) {
    let app = spawn_app(backend).await;
    let crew = app.crew().await;
    let target = app
        .insert_user("target@example.com", Group::User, true)
        .await;
    let endpoints: [(Method, String, Option<Value>, bool, &str); 7] = [
        (
            Method::GET,
            ADMIN_USERS.into(),
            None,
            true,
            "Only moderators and admins can read users.",
        ),
        (
            Method::GET,
            admin_user_url(target),
            None,
            true,
            "Only moderators and admins can read users.",
        ),
        (
            Method::PATCH,
            admin_user_url(target),
            Some(json!({"group": "moderator"})),
            false,
            "Only admins can change users.",
        ),
        (
            Method::POST,
            revoke_url(target),
            None,
            false,
            "Only admins can revoke sessions.",
        ),
        (
            Method::GET,
            ADMIN_REVIEWS.into(),
            None,
            true,
            "Only moderators and admins can moderate reviews.",
        ),
        (
            Method::POST,
            format!("{ADMIN_REVIEWS}999/dismiss-reports/"),
            None,
            true,
            "Only moderators and admins can moderate reviews.",
        ),
        (
            Method::GET,
            ADMIN_AUDIT.into(),
            None,
            false,
            "Only admins can read the audit log.",
        ),
    ];
    let inactive = app
        .insert_user("off@example.com", Group::Admin, false)
        .await;
    for (method, path, body, moderators, forbidden) in endpoints {
        let call = |auth: Option<String>, body: Option<Value>| {
            let (method, path) = (method.clone(), path.clone());
            let app = &app;
            async move { app.call(method, &path, auth.as_deref(), body).await }
        };
        let (status, answer) = call(None, body.clone()).await;
        assert_eq!(
            (status, answer),
            (401, detail("Authorization header is missing")),
            "{method} {path}"
        );
        let (status, answer) = call(Some(app.bearer(inactive)), body.clone()).await;
        assert_eq!(
            (status, answer),
            (401, detail("User not found or not active.")),
            "{method} {path}"
        );
        // The group is checked before the input: a user's bad body is still a 403.
        let bad = body.as_ref().map(|_| json!({"group": "root"}));
        let (status, answer) = call(Some(crew.user.1.clone()), bad).await;
        assert_eq!(
            (status, answer),
            (403, detail(forbidden)),
            "{method} {path}"
        );
        let (status, answer) = call(Some(crew.moderator.1.clone()), body.clone()).await;
        if moderators {
            assert_ne!(status, 403, "moderators may: {method} {path}: {answer}");
            assert!(status < 500, "{method} {path}: {answer}");
        } else {
            assert_eq!(
                (status, answer),
                (403, detail(forbidden)),
                "{method} {path}"
            );
        }
        let (status, answer) = call(Some(crew.admin.1.clone()), body).await;
        assert!(
            matches!(status, 200 | 204 | 404),
            "{method} {path}: {status} {answer}"
        );
    }
    // Unknown users.
    let admin = crew.admin.1.as_str();
    for (method, path, body) in [
        (Method::GET, admin_user_url(9999), None),
        (
            Method::PATCH,
            admin_user_url(9999),
            Some(json!({"is_active": false})),
        ),
        (Method::POST, revoke_url(9999), None),
        (Method::GET, admin_user_url(i64::MAX), None),
    ] {
        let (status, answer) = app.call(method.clone(), &path, Some(admin), body).await;
        assert_eq!(
            (status, answer),
            (404, detail("User not found.")),
            "{method} {path}"
        );
    }
    // Input errors are the FastAPI-shaped 422.
    let (status, answer) = app
        .patch_user(
            admin,
            target,
            json!({"group": "root", "is_active": "maybe"}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    let locs: Vec<&Value> = answer["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"])
        .collect();
    assert_eq!(
        locs,
        [&json!(["body", "group"]), &json!(["body", "is_active"])]
    );
    let (status, answer) = app
        .call(
            Method::GET,
            &format!("{ADMIN_USERS}abc/"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(
        (status, answer["detail"][0]["loc"].clone()),
        (422, json!(["path", "user_id"]))
    );
}

async fn the_list_filters_sorts_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let crew = app.crew().await;
    let admin = crew.admin.1.as_str();
    let a = app
        .insert_user("alice@movies.example", Group::User, true)
        .await;
    let b = app
        .insert_user("bob@movies.example", Group::User, false)
        .await;
    let c = app
        .insert_user("carol_x@other.example", Group::Moderator, true)
        .await;
    let all = [crew.admin.0, crew.moderator.0, crew.user.0, a, b, c];
    let desc: Vec<i64> = all.iter().rev().map(|i| i64::from(*i)).collect();

    let list = app.admin_read(admin, ADMIN_USERS).await;
    assert_eq!(ids(&list), desc, "newest accounts first by default");
    assert_eq!(
        (list["total_items"].clone(), list["total_pages"].clone()),
        (json!(6), json!(1))
    );
    let first = &list["users"][0];
    assert_eq!(first["email"], "carol_x@other.example");
    assert_eq!(first["group"], "moderator");
    assert_eq!(
        (first["is_active"].clone(), first["has_profile"].clone()),
        (json!(true), json!(false))
    );
    for key in ["created_at", "updated_at"] {
        assert!(first[key].as_str().unwrap().ends_with('Z'), "{first}");
    }

    let path = |q: &str| format!("{ADMIN_USERS}?{q}");
    assert_eq!(
        ids(&app.admin_read(admin, &path("search=MOVIES.example")).await),
        [b, a].map(i64::from)
    );
    // `_` is a literal, not a wildcard.
    assert_eq!(
        ids(&app.admin_read(admin, &path("search=_")).await),
        [c].map(i64::from)
    );
    assert_eq!(
        ids(&app.admin_read(admin, &path("search=%25")).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&app
            .admin_read(admin, &path("group=moderator&sort=id"))
            .await),
        [crew.moderator.0, c].map(i64::from)
    );
    assert_eq!(
        ids(&app.admin_read(admin, &path("is_active=false")).await),
        [b].map(i64::from)
    );
    let by_email = app.admin_read(admin, &path("sort=email")).await;
    let emails: Vec<&str> = by_email["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    let mut sorted = emails.clone();
    sorted.sort_unstable();
    assert_eq!(emails, sorted);
    let ascending = app.admin_read(admin, &path("sort=created_at")).await;
    let mut reversed = ids(&app.admin_read(admin, &path("sort=-created_at")).await);
    reversed.reverse();
    assert_eq!(ids(&ascending), reversed);

    // Paging, with the active parameters kept in the links.
    let page = app
        .admin_read(admin, &path("page=2&per_page=2&is_active=true&sort=id"))
        .await;
    assert_eq!(ids(&page), [crew.user.0, a].map(i64::from));
    assert_eq!(page["total_items"], 5);
    assert_eq!(page["total_pages"], 3);
    assert_eq!(
        page["prev_page"],
        "/admin/users/?page=1&per_page=2&is_active=true&sort=id"
    );
    assert_eq!(
        page["next_page"],
        "/admin/users/?page=3&per_page=2&is_active=true&sort=id"
    );
    let past = app.admin_read(admin, &path("page=9")).await;
    assert_eq!(
        (past["users"].clone(), past["next_page"].clone()),
        (json!([]), Value::Null)
    );
    let none = app.admin_read(admin, &path("search=nobody")).await;
    assert_eq!(
        (none["users"].clone(), none["total_pages"].clone()),
        (json!([]), json!(0))
    );
    for bad in [
        "per_page=21",
        "page=0",
        "sort=name",
        "group=root",
        "is_active=perhaps",
        "search=",
    ] {
        let (status, body) = app.call(Method::GET, &path(bad), Some(admin), None).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

async fn the_detail_shows_profile_sessions_ratings_and_reviews(backend: Backend) {
    let app = spawn_app(backend).await;
    let crew = app.crew().await;
    let id = app
        .account_with_password("critic@example.com", Group::User)
        .await;
    let (access, _) = app.session_of("critic@example.com").await;
    let _second = app.session_of("critic@example.com").await;
    let auth = format!("Bearer {access}");
    let movie = app.catalog_movie(&crew.admin.1, "Counted").await;
    let rating = format!("/api/v1/theater/movies/{movie}/rating/");
    let (status, _) = app
        .call(Method::PUT, &rating, Some(&auth), Some(json!({"score": 7})))
        .await;
    assert_eq!(status, 200);
    let reviews = format!("/api/v1/theater/movies/{movie}/reviews/");
    for text in ["One.", "Two."] {
        let (status, _) = app
            .call(
                Method::POST,
                &reviews,
                Some(&auth),
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let user = app.admin_read(&crew.moderator.1, &admin_user_url(id)).await;
    assert_eq!(user["email"], "critic@example.com");
    assert_eq!(user["group"], "user");
    assert_eq!(user["profile"], Value::Null);
    assert_eq!(user["has_profile"], false);
    assert_eq!(
        (
            user["sessions"].clone(),
            user["ratings"].clone(),
            user["reviews"].clone()
        ),
        (json!(2), json!(1), json!(2))
    );
}

async fn deactivation_signs_the_user_out_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let crew = app.crew().await;
    let id = app
        .account_with_password("leaving@example.com", Group::User)
        .await;
    let (access, refresh) = app.session_of("leaving@example.com").await;
    let auth = format!("Bearer {access}");
    assert_eq!(app.me_with(&auth).await.0, 200);

    let (status, user) = app
        .patch_user(&crew.admin.1, id, json!({"is_active": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        (
            user["id"].clone(),
            user["is_active"].clone(),
            user["group"].clone()
        ),
        (json!(id), json!(false), json!("user"))
    );
    assert_eq!(
        app.me_with(&auth).await,
        (401, detail("Token has been revoked."))
    );
    let (status, body) = json(
        app.post_json(REFRESH, &json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    assert_eq!((status, body), (401, detail("Refresh token not found.")));
    // A token minted after the revocation still finds an inactive user.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        app.me_with(&app.bearer(id)).await,
        (401, detail("User not found or not active."))
    );
    let login = json!({"email": "leaving@example.com", "password": PASSWORD});
    assert_eq!(json(app.post_json(LOGIN, &login).await).await.0, 403);
    assert_eq!(
        app.admin_read(&crew.admin.1, &admin_user_url(id)).await["sessions"],
        0
    );

    let (status, user) = app
        .patch_user(
            &crew.admin.1,
            id,
            json!({"is_active": true, "group": "moderator"}),
        )
        .await;
    assert_eq!(
        (status, user["is_active"].clone(), user["group"].clone()),
        (200, json!(true), json!("moderator"))
    );
    let (access, _) = app.session_of("leaving@example.com").await;
    assert_eq!(
        app.me_with(&format!("Bearer {access}")).await.1["group"],
        "moderator"
    );
    // A body that changes nothing answers the user as they are, and records nothing.
    let before = app
        .audit_entries(&crew.admin.1, "action=user.update")
        .await
        .len();
    let (status, same) = app.patch_user(&crew.admin.1, id, json!({})).await;
    assert_eq!((status, same["group"].clone()), (200, json!("moderator")));
    assert_eq!(
        app.audit_entries(&crew.admin.1, "action=user.update")
            .await
            .len(),
        before
    );
}

async fn revoked_sessions_end_on_every_instance_and_a_new_login_works(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = spawn_instance_on(&app, |_| {}, |_| {}).await;
    let crew = app.crew().await;
    let id = app
        .account_with_password("stolen@example.com", Group::User)
        .await;
    let (access, refresh) = app.session_of("stolen@example.com").await;
    let (second, _) = other.session_of("stolen@example.com").await;
    let (old, old_second) = (format!("Bearer {access}"), format!("Bearer {second}"));
    assert_eq!(other.me_with(&old).await.0, 200);

    let (status, body) = app
        .call(Method::POST, &revoke_url(id), Some(&crew.admin.1), None)
        .await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(
        app.me_with(&old).await,
        (401, detail("Token has been revoked."))
    );
    assert_eq!(
        app.me_with(&old_second).await,
        (401, detail("Token has been revoked."))
    );
    let start = std::time::Instant::now();
    while other.me_with(&old).await.0 == 200 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the other instance still accepts it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        other.me_with(&old).await,
        (401, detail("Token has been revoked."))
    );
    let (status, _) = json(
        app.post_json(REFRESH, &json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        app.admin_read(&crew.admin.1, &admin_user_url(id)).await["sessions"],
        0
    );

    // Signing in again works at once, on both instances.
    let (fresh, _) = app.session_of("stolen@example.com").await;
    let fresh = format!("Bearer {fresh}");
    assert_eq!(app.me_with(&fresh).await.0, 200);
    assert_eq!(other.me_with(&fresh).await.0, 200);
    assert_eq!(
        app.admin_read(&crew.admin.1, &admin_user_url(id)).await["sessions"],
        1
    );
}

async fn the_last_active_admin_cannot_be_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, first_auth) = app.member("first@example.com", Group::Admin).await;
    let last = (409, detail("The last active admin cannot be removed."));
    // An inactive admin does not count.
    let (dormant, _) = app.member("dormant@example.com", Group::Admin).await;
    assert_eq!(
        app.patch_user(&first_auth, dormant, json!({"is_active": false}))
            .await
            .0,
        200
    );
    for change in [
        json!({"group": "moderator"}),
        json!({"is_active": false}),
        json!({"group": "user", "is_active": false}),
    ] {
        assert_eq!(
            app.patch_user(&first_auth, first, change.clone()).await,
            last,
            "{change}"
        );
    }
    // What keeps them an active admin is fine.
    let (status, body) = app
        .patch_user(
            &first_auth,
            first,
            json!({"group": "admin", "is_active": true}),
        )
        .await;
    assert_eq!((status, body["group"].clone()), (200, json!("admin")));
    // With a second admin, either may go, but not both.
    let (second, second_auth) = app.member("second@example.com", Group::User).await;
    assert_eq!(
        app.patch_user(&first_auth, second, json!({"group": "admin"}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.patch_user(&first_auth, first, json!({"group": "user"}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.patch_user(&second_auth, second, json!({"is_active": false}))
            .await,
        last
    );
    // Reactivating the dormant admin makes room again.
    assert_eq!(
        app.patch_user(&second_auth, dormant, json!({"is_active": true}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.patch_user(&second_auth, second, json!({"group": "moderator"}))
            .await
            .0,
        200
    );
    assert_eq!(app.active_admins().await, 1);
    // Refusals changed nothing and recorded nothing.
    let dormant_auth = app.bearer(dormant);
    let updates = app.audit_entries(&dormant_auth, "action=user.update").await;
    assert_eq!(updates.len(), 5, "{updates:?}");
}

/// Two admins demoting (or deactivating) each other at the same moment: exactly one succeeds, and
/// one active admin remains. Repeated, so that the requests really overlap. The loser is refused by
/// the guard (409) when both requests got past the sign-in check before either committed — what the
/// row locks decide; when the winner committed first, the loser is no admin any more (403) or, after
/// a deactivation, signed out (401).
async fn two_admins_removing_each_other_at_once_leave_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, _) = app.member("a@example.com", Group::Admin).await;
    let (b, _) = app.member("b@example.com", Group::Admin).await;
    let mut guarded = 0;
    for round in 0..12 {
        // Fresh tokens each round (a deactivation revoked the earlier ones), minted after it.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (a_auth, b_auth) = (app.bearer(a), app.bearer(b));
        let change = if round % 2 == 0 {
            json!({"group": "user"})
        } else {
            json!({"is_active": false})
        };
        let (first, second) = tokio::join!(
            app.patch_user(&a_auth, b, change.clone()),
            app.patch_user(&b_auth, a, change.clone()),
        );
        let (winner, loser) = if first.0 == 200 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        assert_eq!(winner.0, 200, "round {round}: {first:?} {second:?}");
        assert!(
            matches!(loser.0, 401 | 403 | 409),
            "round {round}: {first:?} {second:?}"
        );
        if loser.0 == 409 {
            assert_eq!(loser.1, detail("The last active admin cannot be removed."));
            guarded += 1;
        }
        assert_eq!(app.active_admins().await, 1, "round {round}");
        // The survivor restores the other.
        let (survivor, removed) = if first.0 == 200 {
            (&a_auth, b)
        } else {
            (&b_auth, a)
        };
        let restore = json!({"group": "admin", "is_active": true});
        let (status, body) = app.patch_user(survivor, removed, restore).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(app.active_admins().await, 2);
    }
    eprintln!("{guarded} of 12 rounds were decided by the guard");
    assert!(
        guarded > 0,
        "the requests never overlapped: the guard was not exercised"
    );
}

impl TestApp {
    async fn active_admins(&self) -> i64 {
        use sea_orm::ConnectionTrait;
        let sql = "SELECT COUNT(*) FROM users u JOIN user_groups g ON g.id = u.group_id \
                   WHERE g.name = 'admin' AND u.is_active";
        let statement = sea_orm::Statement::from_string(self.db.get_database_backend(), sql);
        let row = self
            .db
            .query_one_raw(statement)
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index(0).expect("a count")
    }
}

db_tests!(
    every_endpoint_checks_the_token_and_the_group,
    the_list_filters_sorts_and_pages,
    the_detail_shows_profile_sessions_ratings_and_reviews,
    deactivation_signs_the_user_out_everywhere,
    revoked_sessions_end_on_every_instance_and_a_new_login_works,
    the_last_active_admin_cannot_be_removed,
    two_admins_removing_each_other_at_once_leave_one,
);
