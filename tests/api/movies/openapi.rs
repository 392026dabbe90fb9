//! `GET /openapi.json`: every movie endpoint documented, with its statuses and parameters.

use serde_json::json;

use super::{MOVIES, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn openapi_documents_every_movie_endpoint(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    let paths = &doc["paths"];
    let expected = [
        (MOVIES, "get", vec!["200", "404", "422", "500", "503"]),
        (
            MOVIES,
            "post",
            vec![
                "201", "400", "401", "403", "409", "413", "422", "500", "503",
            ],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "get",
            vec!["200", "404", "422", "500", "503"],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "patch",
            vec![
                "200", "400", "401", "403", "404", "413", "422", "500", "503",
            ],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "delete",
            vec!["204", "401", "403", "404", "422", "500", "503"],
        ),
    ];
    for (path, method, statuses) in expected {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is missing");
        let mut documented: Vec<&String> =
            operation["responses"].as_object().unwrap().keys().collect();
        documented.sort();
        assert_eq!(documented, statuses, "{method} {path}");
        assert_eq!(operation["tags"], json!(["movies"]));
        let writes = method != "get";
        assert_eq!(
            operation["security"].to_string().contains("bearer"),
            writes,
            "{method} {path}"
        );
    }
    let params: Vec<&str> = paths[MOVIES]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "page",
            "per_page",
            "search",
            "genre",
            "actor",
            "language",
            "country",
            "year",
            "year_from",
            "year_to",
            "min_score",
            "max_score",
            "min_rating",
            "sort"
        ]
    );
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["NewMovie"]["properties"]["genres"].is_object());
    assert!(schemas["MovieDetail"]["properties"]["budget"].is_object());
}

db_tests!(openapi_documents_every_movie_endpoint,);
