//! User profiles: `/api/v1/profiles/users/{user_id}/profile/` — create (the contract's seven
//! outcomes, in its order), read and change a profile, with the avatar in object storage.
//!
//! The order of checks is the contract's: token (401, the `Authenticated` extractor) → form
//! (422, [`form::ProfileForm`]) → permission (403) → target user (401) → existing profile (400) →
//! upload (500) → 201.

mod body;
pub mod domain;
pub mod form;
pub mod service;

use axum::{
    Json,
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    domain::{BirthDate, Gender, PersonName, ProfileInfo},
    form::{FormFields, FromForm, ProfileForm},
    service::{NewProfile, ProfileChanges},
};
use crate::{
    auth::Authenticated,
    entities::user_profile,
    error::{Error, ErrorBody, ValidationErrorBody},
    http::extract::PathParams,
    state::AppState,
    storage::Storage,
    validation::FromFields,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_profile, get_profile, update_profile))
        // An avatar may be 1 MB, more than the service-wide JSON limit; the form reader bounds
        // every part itself, so this only stops bodies padded with extra parts.
        .layer(DefaultBodyLimit::max(form::BODY_LIMIT))
        .layer(axum::middleware::from_fn(body::hold_unread_body))
}

/// `{user_id}` in the path.
#[derive(Debug, FromFields)]
pub struct UserPath {
    pub user_id: i64,
}

impl FromForm for NewProfile {
    fn from_form(f: &mut FormFields) -> Option<Self> {
        let first_name = f.required::<PersonName>("first_name");
        let last_name = f.required::<PersonName>("last_name");
        let gender = f.required::<Gender>("gender");
        let date_of_birth = f.required::<BirthDate>("date_of_birth");
        let info = f.required_keep_empty::<ProfileInfo>("info");
        let avatar = f.avatar();
        Some(Self {
            first_name: first_name?,
            last_name: last_name?,
            gender: gender?,
            date_of_birth: date_of_birth?,
            info: info?,
            avatar: avatar?,
        })
    }
}

impl FromForm for ProfileChanges {
    fn from_form(f: &mut FormFields) -> Option<Self> {
        Some(Self {
            first_name: f.optional("first_name"),
            last_name: f.optional("last_name"),
            gender: f.optional("gender"),
            date_of_birth: f.optional("date_of_birth"),
            info: f.optional_keep_empty("info"),
            avatar: f.optional_avatar(),
        })
    }
}

/// A profile; `avatar` is the URL the image is served at.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    #[schema(example = 1)]
    pub id: i32,
    #[schema(example = 1)]
    pub user_id: i32,
    #[schema(example = "john")]
    pub first_name: Option<String>,
    #[schema(example = "doe")]
    pub last_name: Option<String>,
    #[schema(example = "man")]
    pub gender: Option<String>,
    #[schema(example = "1990-01-01")]
    pub date_of_birth: Option<NaiveDate>,
    #[schema(example = "This is a test profile.")]
    pub info: Option<String>,
    #[schema(example = "http://127.0.0.1:8000/media/avatars/1_avatar.jpg")]
    pub avatar: Option<String>,
}

impl ProfileResponse {
    pub fn new(profile: user_profile::Model, storage: &Storage) -> Self {
        Self {
            id: profile.id,
            user_id: profile.user_id,
            first_name: profile.first_name,
            last_name: profile.last_name,
            gender: profile.gender,
            date_of_birth: profile.date_of_birth,
            info: profile.info,
            avatar: profile.avatar.map(|key| storage.url(&key)),
        }
    }
}

/// The profile form (documentation of the `multipart/form-data` body).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProfileCreateForm {
    /// English letters only; stored lower-cased.
    #[schema(example = "John")]
    first_name: String,
    /// English letters only; stored lower-cased.
    #[schema(example = "Doe")]
    last_name: String,
    #[schema(example = "man", pattern = "^(man|woman)$")]
    gender: String,
    /// `YYYY-MM-DD`, in 1900 or later, at least 18 years ago.
    #[schema(example = "1990-01-01")]
    date_of_birth: NaiveDate,
    /// Not empty or blank.
    #[schema(example = "This is a test profile.")]
    info: String,
    /// A JPEG or PNG image (recognised by content) of at most 1 MB.
    #[schema(value_type = String, format = Binary)]
    avatar: Vec<u8>,
}

/// Any subset of the profile form's fields, with the same rules.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProfileUpdateForm {
    #[schema(example = "John")]
    first_name: Option<String>,
    #[schema(example = "Doe")]
    last_name: Option<String>,
    #[schema(example = "woman", pattern = "^(man|woman)$")]
    gender: Option<String>,
    date_of_birth: Option<NaiveDate>,
    info: Option<String>,
    /// Replaces the avatar (the old image is deleted).
    // A plain binary string, not nullable: Swagger UI shows a file picker only for that.
    #[schema(value_type = String, format = Binary, required = false)]
    avatar: Option<Vec<u8>>,
}

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
async fn create_profile(
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
async fn get_profile(
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
async fn update_profile(
    State(state): State<AppState>,
    auth: Authenticated,
    PathParams(path): PathParams<UserPath>,
    ProfileForm(changes): ProfileForm<ProfileChanges>,
) -> Result<Json<ProfileResponse>, Error> {
    let user_id = service::authorize_write(&state.db, auth.user_id, path.user_id).await?;
    let profile = service::update_profile(&state.db, &state.storage, user_id, changes).await?;
    Ok(Json(ProfileResponse::new(profile, &state.storage)))
}
