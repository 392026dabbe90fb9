//! `GET /api/v1/theater/movies/`: pages newest first, the exact original body, query validation.

use serde_json::{Value, json};

use super::{
    MOVIES, an_integer, at_least, at_most, field_error, movie, one_error, one_of, rule,
    spawn_open_app,
};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn an_empty_catalog_is_404(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, body) = json(app.get(MOVIES).await).await;
    assert_eq!((status, body), (404, json!({"detail": "No movies found."})));
}

async fn list_pages_newest_first(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            app.created(&movie(&format!("Movie {i:02}"), "2020-01-01"))
                .await,
        );
    }
    ids.reverse();

    let (status, page) = json(app.get(MOVIES).await).await;
    assert_eq!(status, 200);
    let listed: Vec<i64> = page["movies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, ids[..10]);
    assert_eq!(page["prev_page"], Value::Null);
    assert_eq!(page["next_page"], "/theater/movies/?page=2&per_page=10");
    assert_eq!(page["total_pages"], 3);
    assert_eq!(page["total_items"], 25);
    let item = &page["movies"][0];
    assert_eq!(
        // In the order the original sends them (objects keep their order since serde_json's
        // `preserve_order`).
        item.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "name", "date", "score", "overview"]
    );
    assert_eq!(item["name"], "Movie 24");

    let (status, page) = json(app.get(&format!("{MOVIES}?page=3&per_page=10")).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["movies"].as_array().unwrap().len(), 5);
    assert_eq!(page["movies"][4]["id"].as_i64(), ids.last().copied());
    assert_eq!(page["prev_page"], "/theater/movies/?page=2&per_page=10");
    assert_eq!(page["next_page"], Value::Null);

    let (status, page) = json(app.get(&format!("{MOVIES}?page=2&per_page=20")).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["movies"].as_array().unwrap().len(), 5);
    assert_eq!(page["prev_page"], "/theater/movies/?page=1&per_page=20");
    assert_eq!(page["total_pages"], 2);

    for past_the_end in [
        "?page=4",
        "?page=3&per_page=20",
        "?page=9223372036854775807",
    ] {
        let (status, body) = json(app.get(&format!("{MOVIES}{past_the_end}")).await).await;
        assert_eq!(
            (status, body),
            (404, json!({"detail": "No movies found."})),
            "{past_the_end}"
        );
    }
}

async fn list_without_filters_is_byte_identical_to_the_original(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Exact", "2023-03-02")).await;
    let text = app.get_text(&format!("{MOVIES}?page=1&per_page=1")).await;
    assert_eq!(
        text,
        format!(
            r#"{{"movies":[{{"id":{id},"name":"Exact","date":"2023-03-02","score":73.0,"overview":"Overview of Exact."}}],"prev_page":null,"next_page":null,"total_pages":1,"total_items":1}}"#
        )
    );
    // Unknown parameters and blank filters change nothing.
    let other = app
        .get_text(&format!("{MOVIES}?page=1&per_page=1&search=&utm=x"))
        .await;
    assert_eq!(other, text);
}

async fn list_query_validation_is_422(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let sorts = "'id', '-id', 'name', '-name', 'date', '-date', 'score', '-score', 'rating', \
                 '-rating' or 'relevance'";
    let a_number = rule(
        "float_parsing",
        "Input should be a valid number, unable to parse string as a number",
    );
    // The parameter, its value, the rule it breaks.
    let cases = [
        ("page", "0", at_least(1)),
        ("per_page", "21", at_most(20)),
        ("per_page", "0", at_least(1)),
        ("page", "abc", an_integer()),
        ("sort", "ratings", one_of("literal_error", sorts)),
        ("min_rating", "0", at_least(1)),
        ("min_rating", "10.5", at_most(10)),
        ("year", "twenty", an_integer()),
        ("min_score", "high", a_number.clone()),
        ("max_score", "high", a_number),
        ("year_from", "0", at_least(1)),
        ("year_to", "10000", at_most(9999)),
    ];
    // 20 separators: more than 20 values, even if some are empty.
    let names = format!("{}|", vec!["g"; 20].join("|"));
    let too_many = rule("value_error", "Value error, a filter has at most 20 values");
    let cases = cases.into_iter().chain([
        ("genre", names.as_str(), too_many.clone()),
        ("country", ",,,,,,,,,,,,,,,,,,,,", too_many),
    ]);
    for (name, value, rule) in cases {
        let query = format!("?{name}={value}");
        let expected = field_error(json!(["query", name]), json!(value), rule);
        let (status, body) = json(app.get(&format!("{MOVIES}{query}")).await).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(one_error(&body), &expected, "{query}");
    }
    let (status, body) = json(app.get(&format!("{MOVIES}?page=0&per_page=50")).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"].as_array().unwrap().len(), 2);
}

db_tests!(
    an_empty_catalog_is_404,
    list_pages_newest_first,
    list_without_filters_is_byte_identical_to_the_original,
    list_query_validation_is_422,
);
