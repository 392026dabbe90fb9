//! The profiles' request and response types: the path, the form (`NewProfile` for a create,
//! `ProfileChanges` for a change; read by `form::ProfileForm` with FastAPI's form rules, documented
//! as `ProfileCreateForm`/`ProfileUpdateForm`) and the response.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::domain::{Avatar, BirthDate, Gender, PersonName, ProfileInfo};
use crate::{entities::user_profile, storage::Storage, validation::FromFields};

/// The profile form, complete and valid.
#[derive(Debug, FromFields, ToSchema)]
#[schema(as = ProfileCreateForm)]
pub struct NewProfile {
    #[schema(inline)]
    pub first_name: PersonName,
    #[schema(inline)]
    pub last_name: PersonName,
    #[schema(inline)]
    pub gender: Gender,
    #[schema(inline)]
    pub date_of_birth: BirthDate,
    // The contract has its own message for an empty `info`, so empty is a value here.
    #[field(keep_empty)]
    #[schema(inline)]
    pub info: ProfileInfo,
    #[field(file)]
    #[schema(inline)]
    pub avatar: Avatar,
}

/// Any subset of the profile form's fields, with the same rules. A form cannot send `null`, so the
/// fields are documented as their types (absent or empty means unchanged), not as nullable.
#[derive(Debug, Default, FromFields, ToSchema)]
#[schema(as = ProfileUpdateForm)]
pub struct ProfileChanges {
    #[schema(inline, nullable = false)]
    pub first_name: Option<PersonName>,
    #[schema(inline, nullable = false)]
    pub last_name: Option<PersonName>,
    #[schema(inline, nullable = false)]
    pub gender: Option<Gender>,
    #[schema(inline, nullable = false)]
    pub date_of_birth: Option<BirthDate>,
    #[field(keep_empty)]
    #[schema(inline, nullable = false)]
    pub info: Option<ProfileInfo>,
    /// Replaces the avatar (the old image is deleted).
    // A plain binary string, not nullable: Swagger UI shows a file picker only for that.
    #[field(file)]
    #[schema(value_type = String, format = Binary, required = false)]
    pub avatar: Option<Avatar>,
}
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
