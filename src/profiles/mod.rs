//! User profiles: `/api/v1/profiles/users/{user_id}/profile/` with avatars in object storage.

use utoipa_axum::router::OpenApiRouter;

use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
