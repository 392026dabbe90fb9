//! The lists' rules over their store: every user has the two built-ins (made on first use, so they
//! are never missing), who may read a list (its owner; anyone when it is public), what a built-in
//! may change, the limits, and the per-user write limit shared with the community's writes.

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use super::{
    domain::{ListKind, ListRef},
    error::ListsError,
    store::{self, AddError, CreateError, UpdateOutcome},
    wire::{ListUpdate, NewList, UserList},
};
use crate::{
    community::service::write_quota,
    movies::{
        domain::RowId,
        service::uncached_page,
        wire::{ListQuery, MovieList, Scope},
    },
    rate_limit::{self, Quota},
    state::AppState,
};

type Result<T, E = ListsError> = std::result::Result<T, E>;

/// The database and the community write limit, for the lists endpoints.
#[derive(Clone)]
pub struct Lists {
    db: DatabaseConnection,
    /// `COMMUNITY_RATE_LIMIT` per `COMMUNITY_RATE_WINDOW_SECONDS` (one budget with ratings and
    /// reactions); `None`: off.
    writes: Option<Quota>,
}

impl FromRef<AppState> for Lists {
    fn from_ref(state: &AppState) -> Self {
        Self::new(state.db.clone(), write_quota(state))
    }
}

impl Lists {
    pub fn new(db: DatabaseConnection, writes: Option<Quota>) -> Self {
        Self { db, writes }
    }

    /// Counts one community write of `user_id`; 429 when over the limit.
    async fn spend_write(&self, user_id: i32) -> Result<()> {
        match rate_limit::community_write(&self.db, self.writes, user_id).await? {
            None => Ok(()),
            Some(retry_after) => Err(ListsError::TooManyWrites(retry_after)),
        }
    }

    /// Makes the user's built-ins if they are missing: a read, and a write only the first time.
    async fn ensure_built_ins(&self, user_id: i32) -> Result<()> {
        if !store::has_built_ins(&self.db, user_id).await? {
            store::insert_built_ins(&self.db, user_id).await?;
        }
        Ok(())
    }

    /// `GET /users/me/lists/`: the built-ins first, then the user's own in the order made.
    pub async fn mine(&self, user_id: i32) -> Result<Vec<UserList>> {
        let lists = store::lists_of(&self.db, user_id).await?;
        let built_ins = lists.iter().filter(|l| l.kind.is_built_in()).count();
        if built_ins == ListKind::BUILT_IN.len() {
            return Ok(lists);
        }
        store::insert_built_ins(&self.db, user_id).await?;
        Ok(store::lists_of(&self.db, user_id).await?)
    }

    /// The caller's list that `list` names; another user's is not found, whether public or not.
    async fn resolve(&self, user_id: i32, list: ListRef) -> Result<UserList> {
        match list {
            ListRef::Id(id) => {
                let id = id.as_i32().ok_or(ListsError::ListNotFound)?;
                store::list_by_id(&self.db, user_id, id)
                    .await?
                    .ok_or(ListsError::ListNotFound)
            }
            ListRef::BuiltIn(kind) => {
                if let Some(list) = store::built_in(&self.db, user_id, kind).await? {
                    return Ok(list);
                }
                store::insert_built_ins(&self.db, user_id).await?;
                store::built_in(&self.db, user_id, kind)
                    .await?
                    .ok_or(ListsError::ListNotFound)
            }
        }
    }

    /// `POST /users/me/lists/`.
    pub async fn create(&self, user_id: i32, new: &NewList) -> Result<UserList> {
        self.spend_write(user_id).await?;
        // The built-ins first: their names are then taken.
        self.ensure_built_ins(user_id).await?;
        match store::create(&self.db, user_id, &new.name, new.public.0).await {
            Ok(list) => Ok(list),
            Err(CreateError::Duplicate) => Err(ListsError::DuplicateName),
            Err(CreateError::TooMany) => Err(ListsError::TooManyLists),
            Err(CreateError::Db(e)) => Err(e.into()),
        }
    }

    /// `PATCH /users/me/lists/{list}/`: a built-in's `public` only (its own name again is no
    /// change, so a client may send the list back as it got it).
    pub async fn update(
        &self,
        user_id: i32,
        list: ListRef,
        update: &ListUpdate,
    ) -> Result<UserList> {
        self.spend_write(user_id).await?;
        let current = self.resolve(user_id, list).await?;
        let rename = update
            .name
            .as_ref()
            .filter(|name| name.as_str() != current.name);
        if rename.is_some() && current.kind.is_built_in() {
            return Err(ListsError::BuiltInRename);
        }
        match store::update(
            &self.db,
            user_id,
            current.id,
            rename,
            update.public.map(|p| p.0),
        )
        .await?
        {
            UpdateOutcome::Updated => {}
            UpdateOutcome::NotFound => return Err(ListsError::ListNotFound),
            UpdateOutcome::Duplicate => return Err(ListsError::DuplicateName),
        }
        store::list_by_id(&self.db, user_id, current.id)
            .await?
            .ok_or(ListsError::ListNotFound)
    }

    /// `DELETE /users/me/lists/{list}/`.
    pub async fn delete(&self, user_id: i32, list: ListRef) -> Result<()> {
        self.spend_write(user_id).await?;
        let current = self.resolve(user_id, list).await?;
        if current.kind.is_built_in() {
            return Err(ListsError::BuiltInDelete);
        }
        if store::delete(&self.db, user_id, current.id).await? {
            Ok(())
        } else {
            Err(ListsError::ListNotFound)
        }
    }

    /// `PUT /users/me/lists/{list}/movies/{movie_id}/`: idempotent.
    pub async fn add(&self, user_id: i32, list: ListRef, movie: RowId) -> Result<()> {
        self.spend_write(user_id).await?;
        let current = self.resolve(user_id, list).await?;
        let movie_id = movie.as_i32().ok_or(ListsError::MovieNotFound)?;
        match store::add_movie(&self.db, current.id, movie_id).await {
            Ok(()) => Ok(()),
            Err(AddError::ListNotFound) => Err(ListsError::ListNotFound),
            Err(AddError::MovieNotFound) => Err(ListsError::MovieNotFound),
            Err(AddError::Full) => Err(ListsError::ListFull),
            Err(AddError::Db(e)) => Err(e.into()),
        }
    }

    /// `DELETE /users/me/lists/{list}/movies/{movie_id}/`.
    pub async fn remove(&self, user_id: i32, list: ListRef, movie: RowId) -> Result<()> {
        self.spend_write(user_id).await?;
        let current = self.resolve(user_id, list).await?;
        // An id no movie can have is in no list.
        let movie_id = movie.as_i32().ok_or(ListsError::NotInList)?;
        if store::remove_movie(&self.db, current.id, movie_id).await? {
            Ok(())
        } else {
            Err(ListsError::NotInList)
        }
    }

    /// `GET /users/me/lists/{list}/movies/`: the catalog's listing within the list; links keep
    /// `{list}` as it was given.
    pub async fn my_movies(
        &self,
        user_id: i32,
        list: ListRef,
        query: ListQuery,
    ) -> Result<MovieList> {
        let current = self.resolve(user_id, list).await?;
        let path = format!("/users/me/lists/{list}/movies/");
        self.movies_of(current.id, &path, query).await
    }

    /// `GET /lists/{list_id}/`: a public list, or the viewer's own.
    pub async fn visible(&self, viewer: Option<i32>, list_id: RowId) -> Result<UserList> {
        let id = list_id.as_i32().ok_or(ListsError::ListNotFound)?;
        store::visible_list(&self.db, id, viewer)
            .await?
            .ok_or(ListsError::ListNotFound)
    }

    /// `GET /lists/{list_id}/movies/`.
    pub async fn visible_movies(
        &self,
        viewer: Option<i32>,
        list_id: RowId,
        query: ListQuery,
    ) -> Result<MovieList> {
        let list = self.visible(viewer, list_id).await?;
        let path = format!("/lists/{}/movies/", list.id);
        self.movies_of(list.id, &path, query).await
    }

    /// A page of a list's movies by the catalog's SQL, straight from the database: list changes
    /// are not catalog writes, so the catalog's caches would not know of them.
    async fn movies_of(&self, list_id: i32, path: &str, mut query: ListQuery) -> Result<MovieList> {
        query.filters.scope = Scope::List(list_id);
        Ok(uncached_page(&self.db, path, &query).await?)
    }
}
