//! `GET /theater/search/suggest/`: genres, then movies and actors in turn, by word prefixes.

use serde_json::{Value, json};

use super::browse_catalog;
use crate::movies::spawn_open_app;
use crate::{
    db_tests,
    helpers::{Backend, json},
};

const SUGGEST: &str = "/api/v1/theater/search/suggest/";

async fn suggestions_follow_word_prefixes(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let [alpha, beta, gamma] = browse_catalog(&app).await;
    let suggest = |query: &'static str| {
        let app = &app;
        async move {
            let (status, body) = json(app.get(&format!("{SUGGEST}?{query}")).await).await;
            assert_eq!(status, 200, "{query}: {body}");
            body["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["kind"].as_str().unwrap().to_owned(), s["name"].clone()))
                .collect::<Vec<(String, Value)>>()
        }
    };
    let s = |kind: &str, name: &str| (kind.to_owned(), json!(name));
    assert_eq!(suggest("q=DR").await, [s("genre", "Drama")]);
    assert_eq!(suggest("q=al").await, [s("movie", "Alpha")]);
    // Movies newest first, actors by name, in turn.
    assert_eq!(
        suggest("q=a").await,
        Vec::<(String, Value)>::new(),
        "one letter: genres only, and no genre begins with a"
    );
    assert_eq!(suggest("q=c").await, [s("genre", "Comedy")]);
    assert_eq!(suggest("q=mar%C3%8D").await, [s("actor", "María Evoli")]);
    assert_eq!(suggest("q=lee%20an").await, [s("actor", "Ann Lee")]);
    assert_eq!(suggest("q=gam").await, [s("movie", "Gamma")]);
    assert_eq!(suggest("q=%20").await, Vec::<(String, Value)>::new());
    let (_, body) = json(app.get(&format!("{SUGGEST}?q=gamma")).await).await;
    assert_eq!(
        body,
        json!({"suggestions": [{"kind": "movie", "id": gamma, "name": "Gamma"}]})
    );
    let _ = (alpha, beta);

    for query in [
        "",
        "q=a&limit=0",
        "q=a&limit=21",
        &format!("q={}", "x".repeat(101)),
    ] {
        let (status, body) = json(app.get(&format!("{SUGGEST}?{query}")).await).await;
        assert_eq!(status, 422, "{query}: {body}");
    }
}

async fn suggestions_stop_at_the_limit(backend: Backend) {
    let app = spawn_open_app(backend).await;
    for n in 0..5 {
        let mut body = crate::movies::movie(&format!("Star {n}"), "2020-01-01");
        body["actors"] = json!([format!("Star Actor {n}")]);
        app.created(&body).await;
    }
    let (_, body) = json(app.get(&format!("{SUGGEST}?q=sta&limit=3")).await).await;
    let kinds: Vec<&str> = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["movie", "actor", "movie"]);
    assert_eq!(body["suggestions"][0]["name"], "Star 4");
    assert_eq!(body["suggestions"][1]["name"], "Star Actor 0");
}

db_tests!(
    suggestions_follow_word_prefixes,
    suggestions_stop_at_the_limit
);
