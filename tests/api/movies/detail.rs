//! `GET /api/v1/theater/movies/{movie_id}/`: missing and malformed ids.

use serde_json::json;

use super::{movie, movie_url, one_error, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn detail_errors(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Here", "2020-01-01")).await;
    let not_found = json!({"detail": "Movie with the given ID was not found."});
    for missing in [
        (id + 1).to_string(),
        "0".into(),
        "-3".into(),
        "2147483648".into(),
        "99999999999999".into(),
    ] {
        let (status, body) = json(app.get(&movie_url(&missing)).await).await;
        assert_eq!((status, &body), (404, &not_found), "{missing}");
    }
    let (status, body) = json(app.get(&movie_url("abc")).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        one_error(&body),
        &json!({"type": "int_parsing", "loc": ["path", "movie_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc"})
    );
}

db_tests!(detail_errors,);
