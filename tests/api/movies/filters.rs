//! `GET /api/v1/theater/movies/` with filters and sorting, and pagination links that keep them.

use serde_json::{Value, json};

use super::{MOVIES, movie, movie_ids, spawn_open_app};
use crate::helpers::TestApp;
use crate::{
    db_tests,
    helpers::{Backend, json},
};

/// Seeds four movies for the filter tests.
async fn filter_catalog(app: &TestApp) -> [i64; 4] {
    let list = |items: &str| json!(items.split(',').collect::<Vec<_>>());
    let rows = [
        // name | date | genres | actors | country | score
        "War of the Worlds|2005-06-29|science fiction,thriller|tom cruise|us|65.0",
        "Peace Talks|2005-01-01|drama|tom cruise,jane doe|gb|80.0",
        "Amélie|2001-04-25|comedy,romance|audrey tautou|fr|83.5",
        "Zulu|1964-01-22|drama,war|michael caine|gb|72.0",
    ];
    let mut ids = [0; 4];
    for (id, row) in ids.iter_mut().zip(rows) {
        let [name, date, genres, actors, country, score] = row.split('|').collect::<Vec<_>>()[..]
        else {
            panic!("six columns: {row}");
        };
        let mut body = movie(name, date);
        body["genres"] = list(genres);
        body["actors"] = list(actors);
        body["country"] = json!(country);
        body["score"] = json!(score.parse::<f64>().unwrap());
        if name == "Peace Talks" {
            body["overview"] = json!("Overview: a quiet WAR story. 100% true_ish.");
        }
        *id = app.created(&body).await;
    }
    ids
}

const SIXTEEN_WARS_AND_ZULU: &str = "search=war%20war%20war%20war%20war%20war%20war%20war%20war%20\
    war%20war%20war%20war%20war%20war%20war%20zulu";

async fn list_filters_and_sorts(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let [war, peace, amelie, zulu] = filter_catalog(&app).await;
    let cases: Vec<(&str, Vec<i64>)> = vec![
        // By relevance: a name match first.
        ("search=war", vec![war, peace]),
        ("search=WAR", vec![war, peace]),
        ("search=war&sort=relevance", vec![war, peace]),
        ("search=war&sort=-id", vec![peace, war]),
        ("search=war&sort=name", vec![peace, war]),
        // Stems, accents, the last word as a prefix, every word.
        ("search=world", vec![war]),
        ("search=Worlds%20wars", vec![war]),
        ("search=AM%C3%89LIE", vec![amelie]),
        ("search=amelie", vec![amelie]),
        ("search=ame", vec![amelie]),
        ("search=quiet%20wa", vec![peace]),
        ("search=war%20worlds", vec![war]),
        ("search=war%20zulu", vec![]),
        ("search=the%20worlds%20of", vec![war]),
        ("search=100%25", vec![peace]),
        ("search=r_o", vec![]),
        ("search=true_ish", vec![peace]),
        ("search=true_ish&country=us", vec![]),
        ("search=%20%2D%2D%20", vec![zulu, amelie, peace, war]),
        ("sort=relevance", vec![zulu, amelie, peace, war]),
        ("genre=drama", vec![zulu, peace]),
        ("genre=drama,war", vec![zulu]),
        ("genre=Drama%20,%20War,", vec![zulu]),
        ("genre=comedy|thriller", vec![amelie, war]),
        ("genre=drama,comedy|war", vec![zulu]),
        ("genre=drama,comedy", vec![]),
        ("actor=tom%20cruise,jane%20doe", vec![peace]),
        ("actor=jane%20doe|audrey%20tautou", vec![amelie, peace]),
        ("language=ENGLISH", vec![zulu, amelie, peace, war]),
        ("language=french|english", vec![zulu, amelie, peace, war]),
        ("language=french", vec![]),
        ("country=us|fr", vec![amelie, war]),
        ("country=us,fr", vec![]),
        ("country=|gb|", vec![zulu, peace]),
        ("country=gbr|usa", vec![]),
        // Words beyond the 16th are ignored ("zulu" would match neither).
        (SIXTEEN_WARS_AND_ZULU, vec![war, peace]),
        ("genre=Science%20Fiction", vec![war]),
        ("actor=TOM%20CRUISE", vec![peace, war]),
        ("country=gb", vec![zulu, peace]),
        ("year=2005", vec![peace, war]),
        ("min_score=80", vec![amelie, peace]),
        ("max_score=72", vec![zulu, war]),
        ("min_score=70&max_score=82", vec![zulu, peace]),
        ("min_score=90&max_score=10", vec![]),
        ("year_from=2002", vec![peace, war]),
        ("year_to=2001", vec![zulu, amelie]),
        ("year_from=2001&year_to=2004", vec![amelie]),
        ("year_from=2005&year_to=2005", vec![peace, war]),
        ("year_from=2006&year_to=2001", vec![]),
        ("year=2005&year_to=2004", vec![]),
        ("genre=drama&year_to=1999&max_score=72", vec![zulu]),
        ("country=GB&genre=drama&year=1964", vec![zulu]),
        ("sort=id", vec![war, peace, amelie, zulu]),
        ("sort=-id", vec![zulu, amelie, peace, war]),
        ("sort=name", vec![amelie, peace, war, zulu]),
        ("sort=-name", vec![zulu, war, peace, amelie]),
        ("sort=date", vec![zulu, amelie, peace, war]),
        ("sort=-date", vec![war, peace, amelie, zulu]),
        ("sort=score", vec![war, zulu, peace, amelie]),
        ("sort=-score", vec![amelie, peace, zulu, war]),
        ("genre=western", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = json(app.get(&format!("{MOVIES}?{query}")).await).await;
        if expected.is_empty() {
            assert_eq!(
                (status, page),
                (404, json!({"detail": "No movies found."})),
                "{query}"
            );
            continue;
        }
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(movie_ids(&page), expected, "{query}");
        assert_eq!(page["total_items"], json!(expected.len()), "{query}");
    }
}

async fn pagination_links_keep_filters(backend: Backend) {
    let app = spawn_open_app(backend).await;
    filter_catalog(&app).await;
    let (status, page) = json(
        app.get(&format!(
            "{MOVIES}?per_page=1&page=2&sort=-score&search=ov%20&country=gb&min_score=70&max_score=90&year_to=2010&year_from=1900&genre=drama|western,%20drama&language=english"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_items"], 2);
    assert_eq!(
        page["prev_page"],
        "/theater/movies/?page=1&per_page=1&search=ov&genre=drama%7Cwestern%2Cdrama&language=english&country=GB&year_from=1900&year_to=2010&min_score=70&max_score=90&sort=-score"
    );
    assert_eq!(page["next_page"], Value::Null);
    let (_, first) = json(
        app.get(&format!("{MOVIES}?per_page=1&genre=science%20fiction"))
            .await,
    )
    .await;
    assert_eq!(first["next_page"], Value::Null);
    let (_, first) = json(
        app.get(&format!("{MOVIES}?per_page=1&actor=tom%20cruise"))
            .await,
    )
    .await;
    assert_eq!(
        first["next_page"],
        "/theater/movies/?page=2&per_page=1&actor=tom+cruise"
    );
    // The link leads to the next page of the same selection.
    let next = first["next_page"]
        .as_str()
        .unwrap()
        .replace("/theater/", "/api/v1/theater/");
    let (status, second) = json(app.get(&next).await).await;
    assert_eq!(status, 200);
    assert_eq!(second["total_items"], 2);
    assert_ne!(second["movies"][0]["id"], first["movies"][0]["id"]);
}

db_tests!(list_filters_and_sorts, pagination_links_keep_filters,);
