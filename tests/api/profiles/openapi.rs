//! `GET /openapi.json`: the profile endpoints documented, with their security and forms.

use serde_json::json;

use crate::{
    db_tests,
    helpers::{Backend, json, spawn_app},
};

async fn the_endpoints_are_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    let path = &doc["paths"]["/api/v1/profiles/users/{user_id}/profile/"];
    for method in ["post", "get", "patch"] {
        let op = &path[method];
        assert!(op.is_object(), "{method} is documented");
        // A pasted token, or one Swagger UI's password flow obtained.
        assert_eq!(
            op["security"],
            json!([{"bearer": []}, {"password": []}]),
            "{method}"
        );
        assert!(op["responses"]["403"].is_object());
    }
    for method in ["post", "patch"] {
        let body = &path[method]["requestBody"]["content"]["multipart/form-data"];
        assert!(body.is_object(), "{method} takes a multipart form");
        assert!(path[method]["responses"]["422"].is_object());
        assert!(path[method]["responses"]["500"].is_object());
    }
    for status in ["201", "400", "401", "403", "422", "500"] {
        assert!(path["post"]["responses"][status].is_object(), "{status}");
    }
    assert!(path["get"]["responses"]["404"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ProfileCreateForm"]["properties"]["avatar"]["format"],
        "binary"
    );
    assert!(schemas["ProfileResponse"]["properties"]["avatar"].is_object());
}

db_tests!(the_endpoints_are_documented,);
