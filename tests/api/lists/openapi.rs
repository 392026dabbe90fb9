//! `GET /openapi.json`: every lists endpoint documented with its statuses, and a list's movies with
//! every parameter of the catalog's list.

use serde_json::{Value, json};

use super::spawn;
use crate::{
    db_tests,
    helpers::{Backend, json},
};

fn param_names(operation: &Value) -> Vec<&str> {
    operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

async fn openapi_documents_every_lists_endpoint(backend: Backend) {
    let app = spawn(backend).await;
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    let paths = &doc["paths"];
    let mine = "/api/v1/users/me/lists/";
    let one = "/api/v1/users/me/lists/{list}/";
    let movies = "/api/v1/users/me/lists/{list}/movies/";
    let movie = "/api/v1/users/me/lists/{list}/movies/{movie_id}/";
    let public = "/api/v1/lists/{list_id}/";
    let public_movies = "/api/v1/lists/{list_id}/movies/";
    let expected = [
        (mine, "get", vec!["200", "401", "500", "503"]),
        (
            mine,
            "post",
            vec!["201", "401", "409", "413", "422", "429", "500", "503"],
        ),
        (
            one,
            "patch",
            vec![
                "200", "400", "401", "404", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            one,
            "delete",
            vec!["204", "400", "401", "404", "422", "429", "500", "503"],
        ),
        (
            movies,
            "get",
            vec!["200", "401", "404", "422", "500", "503"],
        ),
        (
            movie,
            "put",
            vec!["204", "401", "404", "409", "422", "429", "500", "503"],
        ),
        (
            movie,
            "delete",
            vec!["204", "401", "404", "422", "429", "500", "503"],
        ),
        (
            public,
            "get",
            vec!["200", "401", "404", "422", "500", "503"],
        ),
        (
            public_movies,
            "get",
            vec!["200", "401", "404", "422", "500", "503"],
        ),
    ];
    for (path, method, statuses) in expected {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is missing");
        let mut documented: Vec<&String> =
            operation["responses"].as_object().unwrap().keys().collect();
        documented.sort();
        assert_eq!(documented, statuses, "{method} {path}");
        assert_eq!(operation["tags"], json!(["lists"]), "{method} {path}");
        assert!(
            operation["security"].to_string().contains("bearer"),
            "{method} {path}"
        );
    }
    // The public reads also go without a token.
    assert!(
        paths[public]["get"]["security"][0]
            .as_object()
            .unwrap()
            .is_empty()
    );
    let texts = paths[one]["delete"]["responses"]["400"]["description"].to_string();
    assert!(
        texts.contains("Built-in lists cannot be deleted."),
        "{texts}"
    );
    let texts = paths[movie]["delete"]["responses"]["404"]["description"].to_string();
    assert!(
        texts.contains("List not found.") && texts.contains("not in the list"),
        "{texts}"
    );

    // Every parameter of the catalog's list, after the path's; `sort` also takes `added`.
    let catalog = param_names(&paths["/api/v1/theater/movies/"]["get"]);
    for (path, first) in [(movies, "list"), (public_movies, "list_id")] {
        let operation = &paths[path]["get"];
        let names = param_names(operation);
        assert_eq!(names[0], first);
        assert_eq!(names[1..], catalog[..], "{path}");
        let sort = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "sort")
            .unwrap();
        let pattern = sort["schema"]["pattern"].as_str().unwrap();
        assert!(pattern.contains("added"), "{sort}");
    }
    let catalog_sort = paths["/api/v1/theater/movies/"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sort")
        .unwrap()
        .to_string();
    assert!(!catalog_sort.contains("|added"), "{catalog_sort}");
    let list = &doc["components"]["schemas"]["UserList"]["properties"];
    for key in ["id", "name", "kind", "public", "movies", "created_at"] {
        assert!(list[key].is_object(), "UserList.{key}");
    }
    assert_eq!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == "lists")
            .count(),
        1
    );
}

db_tests!(openapi_documents_every_lists_endpoint,);
