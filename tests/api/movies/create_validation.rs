//! `POST /api/v1/theater/movies/`: every validation failure, in the original's 422 shape.

use chrono::Datelike;
use serde_json::{Value, json};

use super::{MOVIES, movie, one_error, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, MOVIE_FIELDS, json},
};

async fn create_validation_is_422(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let next_year = chrono::Utc::now().year() + 1;

    let (status, body) = app.create_movie(&json!({})).await;
    assert_eq!(status, 422);
    let missing: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "missing");
            assert_eq!(e["msg"], "Field required");
            &e["loc"][1]
        })
        .collect();
    assert_eq!(missing, MOVIE_FIELDS);

    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "date",
            json!(format!("{}-01-01", next_year + 1)),
            json!({
                "type": "value_error", "loc": ["body", "date"],
                "msg": format!("Value error, The year in 'date' cannot be greater than {next_year}."),
                "input": format!("{}-01-01", next_year + 1), "ctx": {"error": {}},
            }),
        ),
        (
            "score",
            json!(100.5),
            json!({
                "type": "less_than_equal", "loc": ["body", "score"],
                "msg": "Input should be less than or equal to 100", "input": 100.5, "ctx": {"le": 100},
            }),
        ),
        (
            "score",
            json!(-1),
            json!({
                "type": "greater_than_equal", "loc": ["body", "score"],
                "msg": "Input should be greater than or equal to 0", "input": -1, "ctx": {"ge": 0},
            }),
        ),
        (
            "budget",
            json!(-0.01),
            json!({
                "type": "greater_than_equal", "loc": ["body", "budget"],
                "msg": "Input should be greater than or equal to 0", "input": -0.01, "ctx": {"ge": 0},
            }),
        ),
        (
            "revenue",
            json!(-5),
            json!({
                "type": "greater_than_equal", "loc": ["body", "revenue"],
                "msg": "Input should be greater than or equal to 0", "input": -5, "ctx": {"ge": 0},
            }),
        ),
        (
            "status",
            json!("Released "),
            json!({
                "type": "enum", "loc": ["body", "status"],
                "msg": "Input should be 'Released', 'Post Production' or 'In Production'",
                "input": "Released ",
                "ctx": {"expected": "'Released', 'Post Production' or 'In Production'"},
            }),
        ),
        (
            "name",
            json!("n".repeat(256)),
            json!({
                "type": "string_too_long", "loc": ["body", "name"],
                "msg": "String should have at most 255 characters", "input": "n".repeat(256),
                "ctx": {"max_length": 255},
            }),
        ),
        (
            "country",
            json!("USAX"),
            json!({
                "type": "string_too_long", "loc": ["body", "country"],
                "msg": "String should have at most 3 characters", "input": "USAX",
                "ctx": {"max_length": 3},
            }),
        ),
        (
            "genres",
            json!("Drama"),
            json!({
                "type": "list_type", "loc": ["body", "genres"],
                "msg": "Input should be a valid list", "input": "Drama",
            }),
        ),
        (
            "actors",
            json!(["ok", 7]),
            json!({
                "type": "string_type", "loc": ["body", "actors", 1],
                "msg": "Input should be a valid string", "input": ["ok", 7],
            }),
        ),
        (
            "date",
            json!("03/02/2023"),
            json!(null), // shape checked below: a date parsing error at ["body", "date"]
        ),
    ];
    for (field, value, expected) in cases {
        let mut body = movie("Validation", "2020-01-01");
        body[field] = value;
        let (status, response) = app.create_movie(&body).await;
        assert_eq!(status, 422, "{field}: {response}");
        let error = one_error(&response);
        if expected.is_null() {
            assert_eq!(error["loc"], json!(["body", field]));
            assert_eq!(error["type"], "date_parsing");
        } else {
            assert_eq!(error, &expected, "{field}");
        }
    }
    // Next year itself is fine.
    app.created(&movie("Next year", &format!("{next_year}-12-31")))
        .await;

    // Malformed JSON and a wrong content type are 422 too.
    let response = app
        .client
        .post(app.url(MOVIES))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["type"], "json_invalid");
    let response = app
        .client
        .post(app.url(MOVIES))
        .header("Content-Type", "text/plain")
        .body(movie("x", "2020-01-01").to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["type"], "model_attributes_type");
    assert_eq!(app.count("movies").await, 1);
}

db_tests!(create_validation_is_422,);
