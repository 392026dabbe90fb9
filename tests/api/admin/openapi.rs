//! `GET /openapi.json`: the admin operations under their own tag, with the bearer security (so
//! Swagger UI's Authorize works for them), every parameter and every failure documented.

use serde_json::Value;

use crate::{
    db_tests,
    helpers::{Backend, json, spawn_app},
};

async fn the_admin_operations_are_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "admin"),
        "no admin tag"
    );
    let operations: [(&str, &str, &[&str], &[&str]); 7] = [
        (
            "/api/v1/admin/users/",
            "get",
            &["page", "per_page", "search", "group", "is_active", "sort"],
            &["200", "401", "403", "422"],
        ),
        (
            "/api/v1/admin/users/{user_id}/",
            "get",
            &["user_id"],
            &["200", "401", "403", "404", "422"],
        ),
        (
            "/api/v1/admin/users/{user_id}/",
            "patch",
            &["user_id"],
            &["200", "401", "403", "404", "409", "422"],
        ),
        (
            "/api/v1/admin/users/{user_id}/sessions/revoke/",
            "post",
            &["user_id"],
            &["204", "401", "403", "404"],
        ),
        (
            "/api/v1/admin/reviews/",
            "get",
            &["page", "per_page", "reported"],
            &["200", "401", "403", "422"],
        ),
        (
            "/api/v1/admin/reviews/{review_id}/dismiss-reports/",
            "post",
            &["review_id"],
            &["204", "401", "403", "404"],
        ),
        (
            "/api/v1/admin/audit/",
            "get",
            &["page", "per_page", "actor_id", "action"],
            &["200", "401", "403", "422"],
        ),
    ];
    for (path, method, params, statuses) in operations {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert_eq!(op["tags"], serde_json::json!(["admin"]), "{method} {path}");
        let security = op["security"].as_array().expect("security");
        assert!(
            security.iter().any(|s| s.get("bearer").is_some()),
            "{method} {path}"
        );
        assert!(
            security
                .iter()
                .all(|s| s.as_object().is_some_and(|o| !o.is_empty())),
            "no anonymous access: {method} {path}"
        );
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, params, "{method} {path}");
        for status in statuses {
            assert!(
                op["responses"][status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
    }
    let patch = &doc["paths"]["/api/v1/admin/users/{user_id}/"]["patch"];
    assert_eq!(
        patch["responses"]["409"]["content"]["application/json"]["example"]["detail"],
        "The last active admin cannot be removed."
    );
    let forbidden = &patch["responses"]["403"]["description"];
    assert_eq!(forbidden, &Value::from("`Only admins can change users.`"));
    assert!(doc["paths"]["/api/v1/users/me/"]["get"]["security"].is_array());

    // Every response schema is the one its endpoint answers: no two types share a component name
    // (the users page and a user's movie list once did, and the page was documented as a list).
    let users = &doc["paths"]["/api/v1/admin/users/"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"];
    let name = users
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .expect("a $ref");
    let page = &doc["components"]["schemas"][name]["properties"];
    for key in [
        "users",
        "prev_page",
        "next_page",
        "total_pages",
        "total_items",
    ] {
        assert!(page[key].is_object(), "{name}.{key}: {page}");
    }
}

db_tests!(the_admin_operations_are_documented);
