//! The OpenAPI document's frame: metadata, tags, shared schemas and the bearer security scheme. The
//! paths themselves are contributed by each domain router (`utoipa_axum::routes!`), so a handler and
//! its documentation never drift apart.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::{ErrorBody, FieldError, ValidationErrorBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Theater",
        description = "Movie catalog and accounts API, wire-compatible with the FastAPI Movie Theater API.",
    ),
    components(schemas(ErrorBody, ValidationErrorBody, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, activation, login, tokens and password reset"),
        (name = "profiles", description = "User profiles with avatars"),
        (name = "movies", description = "The movie catalog"),
        (name = "health", description = "Service health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
