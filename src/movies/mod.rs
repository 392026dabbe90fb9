//! The movie catalog: `/api/v1/theater/movies/` (list, create, detail, update, delete) and the IMDb
//! CSV importer behind `theater seed`.

pub mod import;

use utoipa_axum::router::OpenApiRouter;

use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
