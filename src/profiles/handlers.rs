//! The profile endpoints: thin handlers over [`super::service`], each with its OpenAPI description.
//! Their input and output types are in [`super::wire`].

use axum::{Json, extract::State, http::StatusCode};

use super::{
    form::ProfileForm,
    service::{self, NewProfile, ProfileChanges},
    wire::{ProfileCreateForm, ProfileResponse, ProfileUpdateForm, UserPath},
};
use crate::{
    auth::Authenticated,
    error::{Error, ErrorBody, ValidationErrorBody},
    http::extract::PathParams,
    state::AppState,
};

/// Create a user's profile.
#[utoipa::path(
    post,
    path = "/users/{user_id}/profile/",
    tag = "profiles",
    params(("user_id" = i32, Path, description = "The user the profile belongs to")),
    request_body(content = ProfileCreateForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Profile created", body = ProfileResponse),
        (status = 400, description = "`User already has a profile.`", body = ErrorBody),
        (status = 401, description = "Missing, malformed, expired or invalid token; or `User not found or not active.`", body = ErrorBody),
        (status = 403, description = "`You don't have permission to edit this profile.`", body = ErrorBody),
        (status = 413, description = "The body is far beyond any valid form", body = ErrorBody),
        (status = 422, description = "Invalid form", body = ValidationErrorBody),
        (status = 500, description = "`Failed to upload avatar. Please try again later.`", body = ErrorBody),
    )
)]
pub async fn create_profile(
    State(state): State<AppState>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
    ProfileForm(new): ProfileForm<NewProfile>,
) -> Result<(StatusCode, Json<ProfileResponse>), Error> {
    let user_id = service::authorize_write(&state.db, auth.user_id, path.user_id).await?;
    let profile = service::create_profile(&state.db, &state.storage, user_id, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(ProfileResponse::new(profile, &state.storage)),
    ))
}

/// Read a user's profile (the owner or an admin).
#[utoipa::path(
    get,
    path = "/users/{user_id}/profile/",
    tag = "profiles",
    params(("user_id" = i32, Path, description = "The user the profile belongs to")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse),
        (status = 401, description = "Missing, malformed, expired or invalid token", body = ErrorBody),
        (status = 403, description = "`You don't have permission to edit this profile.`", body = ErrorBody),
        (status = 404, description = "`Profile not found.`", body = ErrorBody),
        (status = 422, description = "Invalid path", body = ValidationErrorBody),
    )
)]
pub async fn get_profile(
    State(state): State<AppState>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
) -> Result<Json<ProfileResponse>, Error> {
    service::ensure_owner_or_admin(&state.db, auth.user_id, path.user_id).await?;
    let profile = service::find_profile(&state.db, path.user_id)
        .await?
        .ok_or_else(|| Error::not_found(service::NOT_FOUND))?;
    Ok(Json(ProfileResponse::new(profile, &state.storage)))
}

/// Change any of a profile's fields (the owner or an admin); a new avatar replaces the old one.
#[utoipa::path(
    patch,
    path = "/users/{user_id}/profile/",
    tag = "profiles",
    params(("user_id" = i32, Path, description = "The user the profile belongs to")),
    request_body(content = Option<ProfileUpdateForm>, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed profile", body = ProfileResponse),
        (status = 401, description = "Missing, malformed, expired or invalid token; or `User not found or not active.`", body = ErrorBody),
        (status = 403, description = "`You don't have permission to edit this profile.`", body = ErrorBody),
        (status = 404, description = "`Profile not found.`", body = ErrorBody),
        (status = 413, description = "The body is far beyond any valid form", body = ErrorBody),
        (status = 422, description = "Invalid form", body = ValidationErrorBody),
        (status = 500, description = "`Failed to upload avatar. Please try again later.`", body = ErrorBody),
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
    ProfileForm(changes): ProfileForm<ProfileChanges>,
) -> Result<Json<ProfileResponse>, Error> {
    let user_id = service::authorize_write(&state.db, auth.user_id, path.user_id).await?;
    let profile = service::update_profile(&state.db, &state.storage, user_id, changes).await?;
    Ok(Json(ProfileResponse::new(profile, &state.storage)))
}
