//! `GET /theater/actors/` (paged, searchable) and `GET /theater/actors/{actor_id}/`.

use serde_json::{Value, json};

use super::{browse_catalog, name_counts};
use crate::movies::{movie_url, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

const ACTORS: &str = "/api/v1/theater/actors/";

async fn the_actor_index_pages_and_searches(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, empty) = json(app.get(ACTORS).await).await;
    assert_eq!(
        (status, empty),
        (
            200,
            json!({"actors": [], "prev_page": null, "next_page": null, "total_pages": 0, "total_items": 0})
        )
    );
    browse_catalog(&app).await;
    let (status, all) = json(app.get(ACTORS).await).await;
    assert_eq!(status, 200, "{all}");
    // By name, bytewise: "María" after "Ann" and before "Tom".
    let expected = [("Ann Lee", 2), ("María Evoli", 1), ("Tom Cruise", 1)];
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, c)| ((*n).to_owned(), *c))
        .collect();
    assert_eq!(name_counts(&all["actors"]), expected);
    assert_eq!(all["total_items"], 3);

    let (_, page) = json(app.get(&format!("{ACTORS}?per_page=1&page=2")).await).await;
    assert_eq!(
        name_counts(&page["actors"]),
        [("María Evoli".to_owned(), 1)]
    );
    assert_eq!(page["prev_page"], "/theater/actors/?page=1&per_page=1");
    assert_eq!(page["next_page"], "/theater/actors/?page=3&per_page=1");
    assert_eq!(page["total_pages"], 3);
    let (status, past) = json(app.get(&format!("{ACTORS}?page=9")).await).await;
    assert_eq!((status, past["actors"].clone()), (200, json!([])));

    let searched = |search: &'static str| {
        let app = &app;
        async move {
            let (status, body) = json(app.get(&format!("{ACTORS}?search={search}")).await).await;
            assert_eq!(status, 200, "{search}: {body}");
            name_counts(&body["actors"])
                .into_iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(searched("maria").await, ["María Evoli"]);
    assert_eq!(searched("LEE%20a").await, ["Ann Lee"]);
    assert_eq!(searched("t%20cru").await, ["Tom Cruise"]);
    assert_eq!(searched("ruise").await, Vec::<String>::new());
    assert_eq!(searched("%20").await.len(), 3);
    // "a" begins "Ann" only ("María" has an "a", but not at the start of a word).
    let (_, page) = json(
        app.get(&format!("{ACTORS}?search=a&per_page=1&page=2"))
            .await,
    )
    .await;
    assert_eq!(page["total_items"], 1);
    assert_eq!(page["actors"], json!([]));
    assert_eq!(
        page["prev_page"],
        "/theater/actors/?page=1&per_page=1&search=a"
    );

    let (status, body) = json(app.get(&format!("{ACTORS}?per_page=21")).await).await;
    assert_eq!(status, 422, "{body}");
}

async fn an_actor_has_their_movies_newest_first(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let [alpha, beta, _] = browse_catalog(&app).await;
    let (_, all) = json(app.get(ACTORS).await).await;
    let ann = all["actors"][0]["id"].as_i64().unwrap();
    let (status, detail) = json(app.get(&format!("{ACTORS}{ann}/")).await).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["name"], "Ann Lee");
    let ids: Vec<Value> = detail["movies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!(beta), json!(alpha)]);
    assert_eq!(
        detail["movies"][0],
        json!({"id": beta, "name": "Beta", "date": "2005-01-01", "score": 73.0,
               "overview": "Overview of Beta."})
    );
    // Without movies the actor is still there, with none.
    app.delete(&movie_url(alpha)).await;
    app.delete(&movie_url(beta)).await;
    let (status, detail) = json(app.get(&format!("{ACTORS}{ann}")).await).await;
    assert_eq!((status, detail["movies"].clone()), (200, json!([])));

    for id in ["999999", "99999999999"] {
        let (status, body) = json(app.get(&format!("{ACTORS}{id}/")).await).await;
        assert_eq!((status, body), (404, json!({"detail": "Actor not found."})));
    }
    let (status, _) = json(app.get(&format!("{ACTORS}abc/")).await).await;
    assert_eq!(status, 422);
}

db_tests!(
    the_actor_index_pages_and_searches,
    an_actor_has_their_movies_newest_first,
);
