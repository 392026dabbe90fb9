//! The profile endpoints: thin handlers over [`Profiles`], each with its OpenAPI description and
//! the failures it documents (from [`ProfileError`]). Their input and output types are in
//! [`super::wire`].

use axum::{Json, extract::State, http::StatusCode};

use super::{
    error::ProfileError,
    form::ProfileForm,
    service::{Profiles, Write},
    wire::{NewProfile, ProfileChanges, ProfileResponse, UserPath},
};
use crate::{
    auth::{AuthError, Authenticated},
    error::Error,
    error_responses,
    http::extract::PathParams,
};

error_responses! {
    struct CreateErrors = [
        ProfileError::AlreadyExists,
        ProfileError::BodyTooLarge,
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ProfileError::Forbidden,
        ProfileError::example_upload_failed(),
    ];
}

error_responses! {
    struct ReadErrors = [
        AuthError::TOKEN_FAILURES,
        ProfileError::Forbidden,
        ProfileError::NotFound,
    ];
}

error_responses! {
    struct UpdateErrors = [
        ProfileError::BodyTooLarge,
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ProfileError::Forbidden,
        ProfileError::NotFound,
        ProfileError::example_upload_failed(),
    ];
}

/// Create a user's profile.
#[utoipa::path(
    post,
    path = "/users/{user_id}/profile/",
    tag = "profiles",
    params(("user_id" = i32, Path, description = "The user the profile belongs to")),
    request_body(content = NewProfile, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Profile created", body = ProfileResponse),
        CreateErrors,
    )
)]
pub async fn create_profile(
    State(profiles): State<Profiles>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
    ProfileForm(new): ProfileForm<NewProfile>,
) -> Result<(StatusCode, Json<ProfileResponse>), Error> {
    let profile = profiles
        .write(auth.user_id, path.user_id, Write::Create(new))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProfileResponse::new(profile, profiles.storage())),
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
        ReadErrors,
    )
)]
pub async fn get_profile(
    State(profiles): State<Profiles>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
) -> Result<Json<ProfileResponse>, Error> {
    let profile = profiles.get(auth.user_id, path.user_id).await?;
    Ok(Json(ProfileResponse::new(profile, profiles.storage())))
}

/// Change any of a profile's fields (the owner or an admin); a new avatar replaces the old one.
#[utoipa::path(
    patch,
    path = "/users/{user_id}/profile/",
    tag = "profiles",
    params(("user_id" = i32, Path, description = "The user the profile belongs to")),
    request_body(content = Option<ProfileChanges>, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed profile", body = ProfileResponse),
        UpdateErrors,
    )
)]
pub async fn update_profile(
    State(profiles): State<Profiles>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
    ProfileForm(changes): ProfileForm<ProfileChanges>,
) -> Result<Json<ProfileResponse>, Error> {
    let profile = profiles
        .write(auth.user_id, path.user_id, Write::Update(changes))
        .await?;
    Ok(Json(ProfileResponse::new(profile, profiles.storage())))
}
