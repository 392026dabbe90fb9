//! `GET /openapi.json`: every account endpoint documented, in the order a person uses them.

use serde_json::json;

use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{
            ACTIVATE, LOGIN, LOGOUT, PASSWORD_CHANGE, REFRESH, REGISTER, RESEND, RESET_COMPLETE,
            RESET_REQUEST,
        },
        json,
        mail::spawn_mail_app,
    },
};

async fn openapi_lists_every_account_endpoint(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    for path in [
        REGISTER,
        ACTIVATE,
        RESEND,
        RESET_REQUEST,
        RESET_COMPLETE,
        LOGIN,
        REFRESH,
        LOGOUT,
        PASSWORD_CHANGE,
    ] {
        let post = &doc["paths"][path]["post"];
        assert!(post.is_object(), "{path} is not documented");
        assert!(post["responses"]["422"].is_object(), "{path} lacks its 422");
    }
    assert!(doc["paths"][LOGIN]["post"]["responses"]["429"].is_object());
    assert!(doc["paths"][PASSWORD_CHANGE]["post"]["security"].is_array());

    // In the order a person uses them (Swagger UI keeps the document's order).
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let at = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert!(at(REGISTER) < at(ACTIVATE), "{paths:?}");
    assert!(at(ACTIVATE) < at(LOGIN), "{paths:?}");
    assert!(at(LOGIN) < at(REFRESH), "{paths:?}");
    assert!(at(LOGIN) < at(PASSWORD_CHANGE), "{paths:?}");
    assert!(at(PASSWORD_CHANGE) < at(RESET_REQUEST), "{paths:?}");
    assert!(at(RESET_REQUEST) < at(RESET_COMPLETE), "{paths:?}");
    assert!(
        at(RESET_COMPLETE) < at("/api/v1/theater/movies/"),
        "{paths:?}"
    );
    assert_eq!(paths[0], REGISTER, "{paths:?}");

    // Authorize signs in with the password flow at the login, which takes that form.
    let flow = &doc["components"]["securitySchemes"]["password"];
    assert_eq!(flow["type"], "oauth2", "{flow}");
    assert_eq!(flow["flows"]["password"]["tokenUrl"], LOGIN, "{flow}");
    assert!(
        doc["paths"][LOGIN]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
            .is_object()
    );
    let security = doc["paths"][PASSWORD_CHANGE]["post"]["security"]
        .as_array()
        .unwrap();
    assert!(security.contains(&json!({"password": []})), "{security:?}");
    assert!(security.contains(&json!({"bearer": []})), "{security:?}");
}

db_tests!(openapi_lists_every_account_endpoint,);
