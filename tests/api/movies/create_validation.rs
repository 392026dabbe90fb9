//! `POST /api/v1/theater/movies/`: every validation failure, in the original's 422 shape.

use chrono::Datelike;
use serde_json::{Value, json};

use super::{
    MOVIES, at_least, at_most, at_most_chars, field_error, movie, one_error, one_of, rule,
    spawn_open_app,
};
use crate::{
    db_tests,
    helpers::{Backend, MOVIE_FIELDS, json, response},
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

    // The field, its value, the error it gets (null: checked below).
    let bad = |field, value: Value, rule| {
        let error = field_error(json!(["body", field]), value.clone(), rule);
        (field, value, error)
    };
    let mut year_rule = rule(
        "value_error",
        &format!("Value error, The year in 'date' cannot be greater than {next_year}."),
    );
    year_rule["ctx"] = json!({"error": {}});
    let statuses = "'Released', 'Post Production' or 'In Production'";
    let cases: Vec<(&str, Value, Value)> = vec![
        bad("date", json!(format!("{}-01-01", next_year + 1)), year_rule),
        bad("score", json!(100.5), at_most(100)),
        bad("score", json!(-1), at_least(0)),
        bad("budget", json!(-0.01), at_least(0)),
        bad("revenue", json!(-5), at_least(0)),
        bad("status", json!("Released "), one_of("enum", statuses)),
        bad("name", json!("n".repeat(256)), at_most_chars(255)),
        bad("country", json!("USAX"), at_most_chars(3)),
        bad(
            "genres",
            json!("Drama"),
            rule("list_type", "Input should be a valid list"),
        ),
        (
            "actors",
            json!(["ok", 7]),
            field_error(
                json!(["body", "actors", 1]),
                json!(["ok", 7]),
                rule("string_type", "Input should be a valid string"),
            ),
        ),
        // Shape checked below: a date parsing error at ["body", "date"].
        ("date", json!("03/02/2023"), Value::Null),
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
    for (content_type, text, kind) in [
        ("application/json", "{\"name\": ".to_owned(), "json_invalid"),
        (
            "text/plain",
            movie("x", "2020-01-01").to_string(),
            "model_attributes_type",
        ),
    ] {
        let request = app.raw_post(MOVIES, content_type, text);
        let (status, body) = json(response(request).await).await;
        assert_eq!(status, 422, "{content_type}: {body}");
        assert_eq!(one_error(&body)["type"], kind, "{content_type}");
    }
    assert_eq!(app.count("movies").await, 1);
}

db_tests!(create_validation_is_422,);
