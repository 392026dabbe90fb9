//! The profiles' request and response types: the path, the response, and the form's documentation
//! for OpenAPI (the form itself is read into the service's `NewProfile`/`ProfileChanges`).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{entities::user_profile, storage::Storage, validation::FromFields};

/// `{user_id}` in the path.
#[derive(Debug, FromFields)]
pub struct UserPath {
    pub user_id: i64,
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
