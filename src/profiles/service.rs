//! The profile rules and their data access: who may touch a profile, and how a profile row and its
//! avatar object are written so that neither exists without the other.
//!
//! Consistency. The contract fixes the object key (`avatars/{user_id}_{file name}`), so two
//! writers for one user may target the *same* object. Every profile write for a user therefore
//! runs under a per-user in-process lock, from the existence check to the last database write.
//! The lock is taken before any pooled connection is checked out, and no connection or
//! transaction is held while waiting for it or during the upload: a hanging object store then
//! stalls only the profile writes (each bounded by `STORAGE_TIMEOUT_SECONDS`), never the pool,
//! `/health` or other requests.
//!
//! Under the lock: check → upload → one short row write (on PostgreSQL a transaction holding the
//! user's advisory lock, which serialises the row writes of every instance). A failed upload
//! writes no row; a failed row write deletes the object it just stored (unless that key is still
//! the row's); a replaced avatar is deleted only after the new row is committed. The whole sequence
//! runs in its own task, so a client hanging up (which cancels the handler) cannot stop it
//! half-way.
//!
//! Across instances only the row writes are serialised. A writer outside this process's lock (another
//! instance, another process on the same SQLite file, an older release) is stopped by the unique
//! `user_profiles.user_id`: it gets the 400, and its object is removed unless the winner's row names
//! the same key. Left open: two instances uploading the same user's avatar under the same file name
//! at the same moment may leave the row naming the object the other one wrote last (both images are
//! that user's own uploads).

use std::future::Future;

use axum::extract::FromRef;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseExecutor, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
};

use super::{
    domain::Avatar,
    error::ProfileError,
    wire::{NewProfile, ProfileChanges},
};
use crate::{
    auth::{AuthError, Group, find_account},
    entities::user_profile,
    error::is_unique_violation,
    state::AppState,
    storage::Storage,
};

type Result<T, E = ProfileError> = std::result::Result<T, E>;

/// What the profile rules use: the database and the avatar storage. Handlers take it as their state.
#[derive(Clone)]
pub struct Profiles {
    db: DatabaseConnection,
    storage: Storage,
}

impl FromRef<AppState> for Profiles {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            storage: state.storage.clone(),
        }
    }
}

/// A profile write: a whole new profile, or changes to one.
#[derive(Debug)]
pub enum Write {
    Create(NewProfile),
    Update(ProfileChanges),
}

impl Profiles {
    /// The storage the avatars are in (responses link to them).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Contract step 3: a user may touch only their own profile; an `admin` anyone's.
    async fn ensure_owner_or_admin(&self, caller: i32, target: i64) -> Result<()> {
        if i64::from(caller) == target {
            return Ok(());
        }
        match find_account(&self.db, caller).await? {
            Some(account) if account.group == Group::Admin => Ok(()),
            _ => Err(ProfileError::Forbidden),
        }
    }

    /// Contract steps 3 and 4 for writes: permission (403), then an existing, active target (401).
    async fn authorize_write(&self, caller: i32, target: i64) -> Result<i32> {
        self.ensure_owner_or_admin(caller, target).await?;
        // An id beyond `i32` names no user.
        let Ok(target) = i32::try_from(target) else {
            return Err(AuthError::UserNotActive.into());
        };
        match find_account(&self.db, target).await? {
            Some(account) if account.is_active => Ok(target),
            _ => Err(AuthError::UserNotActive.into()),
        }
    }

    /// `GET`: the profile of `target`, for its owner or an admin.
    pub async fn get(&self, caller: i32, target: i64) -> Result<user_profile::Model> {
        self.ensure_owner_or_admin(caller, target).await?;
        find_profile(&self.db, target)
            .await?
            .ok_or(ProfileError::NotFound)
    }

    /// `POST` (`Write::Create`, contract steps 3–7) or `PATCH` (`Write::Update`, 404 when there is
    /// no profile): the checks of a write, then the write (see the module doc for the consistency
    /// rules).
    pub async fn write(
        &self,
        caller: i32,
        target: i64,
        write: Write,
    ) -> Result<user_profile::Model> {
        let user_id = self.authorize_write(caller, target).await?;
        let (db, storage) = (&self.db, &self.storage);
        match write {
            Write::Create(new) => create_profile(db, storage, user_id, new).await,
            Write::Update(changes) => update_profile(db, storage, user_id, changes).await,
        }
    }
}

/// The profile of `user_id`, if any.
pub async fn find_profile(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<user_profile::Model>, DbErr> {
    let Ok(user_id) = i32::try_from(user_id) else {
        return Ok(None);
    };
    user_profile::Entity::find()
        .filter(user_profile::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Contract steps 5–7: 400 when a profile exists, the avatar upload (500), the row.
async fn create_profile(
    db: &DatabaseConnection,
    storage: &Storage,
    user_id: i32,
    new: NewProfile,
) -> Result<user_profile::Model> {
    let (db, storage) = (db.clone(), storage.clone());
    run_to_completion(async move {
        // The lock first: a writer waiting for it holds no connection.
        let _lock = local_lock(user_id).lock().await;
        if find_profile(&db, user_id.into()).await?.is_some() {
            return Err(ProfileError::AlreadyExists);
        }
        let key = new.avatar.key(user_id);
        upload(&storage, &key, &new.avatar).await?;
        match insert_row(&db, user_id, new, &key).await {
            Ok(profile) => Ok(profile),
            Err(Failure::LostRace) => {
                // Only a writer outside this process's lock gets here. Its row may name this very
                // key (then the object is its too, and stays); any other key of ours is an orphan.
                match find_profile(&db, user_id.into()).await {
                    Ok(Some(winner)) if winner.avatar.as_deref() == Some(key.as_str()) => {}
                    Ok(_) => storage.delete_or_log(&key).await,
                    Err(e) => tracing::error!(key, error = %e, "cannot tell whether an object is an orphan"),
                }
                Err(ProfileError::AlreadyExists)
            }
            Err(Failure::Error(e)) => {
                storage.delete_or_log(&key).await;
                Err(e)
            }
        }
    })
    .await
}

/// Applies `changes` to the profile of `user_id` (404 when there is none).
async fn update_profile(
    db: &DatabaseConnection,
    storage: &Storage,
    user_id: i32,
    changes: ProfileChanges,
) -> Result<user_profile::Model> {
    let (db, storage) = (db.clone(), storage.clone());
    run_to_completion(async move {
        let _lock = local_lock(user_id).lock().await;
        // 404 before anything is uploaded.
        if find_profile(&db, user_id.into()).await?.is_none() {
            return Err(ProfileError::NotFound);
        }
        let new_key = match &changes.avatar {
            Some(avatar) => {
                let key = avatar.key(user_id);
                upload(&storage, &key, avatar).await?;
                Some(key)
            }
            None => None,
        };
        let (profile, old_key) = match update_row(&db, user_id, changes, new_key.as_deref()).await {
            Ok(updated) => updated,
            Err(e) => {
                // The row still names its old key: a new object under another key is garbage
                // (under the same key the old object was overwritten in place and stays named).
                if let Some(new) = &new_key
                    && find_profile(&db, user_id.into())
                        .await
                        .ok()
                        .flatten()
                        .is_none_or(|row| row.avatar.as_ref() != Some(new))
                {
                    storage.delete_or_log(new).await;
                }
                return Err(e);
            }
        };
        // The row now names the new object; the old one is garbage.
        if let (Some(old), Some(new)) = (&old_key, &new_key)
            && old != new
        {
            storage.delete_or_log(old).await;
        }
        Ok(profile)
    })
    .await
}

/// How a row write failed.
enum Failure {
    /// A concurrent insert won the unique `user_id` (possible only outside this process's lock).
    LostRace,
    Error(ProfileError),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Self::Error(e.into())
    }
}

/// The row part of a write, after the upload and holding a connection only for its queries.
/// PostgreSQL: one short transaction that first takes the user's advisory lock, so the row writes
/// of several instances for one user are serialised too (the lock lives only as long as this
/// transaction, never across an upload). SQLite: the pool itself — one process owns the file and
/// its in-process lock already serialises, and a read-then-write SQLite transaction would fail at
/// once (`SQLITE_BUSY`) whenever another writer commits in between.
struct RowWrite {
    txn: Option<DatabaseTransaction>,
}

impl RowWrite {
    async fn begin(db: &DatabaseConnection, user_id: i32) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self { txn: None });
        }
        let txn = crate::db::begin_write(db).await?;
        crate::db::execute(
            &txn,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [PROFILE_LOCK_SPACE.into(), user_id.into()],
        )
        .await?;
        Ok(Self { txn: Some(txn) })
    }

    fn conn<'a>(&'a self, db: &'a DatabaseConnection) -> DatabaseExecutor<'a> {
        match &self.txn {
            Some(txn) => txn.into(),
            None => db.into(),
        }
    }

    async fn commit(self) -> Result<(), DbErr> {
        match self.txn {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

async fn insert_row(
    db: &DatabaseConnection,
    user_id: i32,
    new: NewProfile,
    key: &str,
) -> Result<user_profile::Model, Failure> {
    let write = RowWrite::begin(db, user_id).await?;
    let conn = write.conn(db);
    if find_profile(&conn, user_id.into()).await?.is_some() {
        return Err(Failure::LostRace);
    }
    let row = user_profile::ActiveModel {
        first_name: Set(Some(new.first_name.into_inner())),
        last_name: Set(Some(new.last_name.into_inner())),
        avatar: Set(Some(key.to_owned())),
        gender: Set(Some(new.gender.as_str().to_owned())),
        date_of_birth: Set(Some(new.date_of_birth.date())),
        info: Set(Some(new.info.into_inner())),
        user_id: Set(user_id),
        ..Default::default()
    };
    match row.insert(&conn).await {
        Ok(profile) => {
            drop(conn);
            write.commit().await?;
            Ok(profile)
        }
        Err(e) if is_unique_violation(&e) => Err(Failure::LostRace),
        Err(e) => Err(e.into()),
    }
}

/// Writes `changes` (and the new avatar key) to the row; returns the profile and the avatar key it
/// had before. 404 when the row went away meanwhile.
async fn update_row(
    db: &DatabaseConnection,
    user_id: i32,
    changes: ProfileChanges,
    new_key: Option<&str>,
) -> Result<(user_profile::Model, Option<String>)> {
    let write = RowWrite::begin(db, user_id).await?;
    let conn = write.conn(db);
    let current = find_profile(&conn, user_id.into())
        .await?
        .ok_or(ProfileError::NotFound)?;
    let mut row: user_profile::ActiveModel = current.clone().into();
    if let Some(v) = changes.first_name {
        row.first_name = Set(Some(v.into_inner()));
    }
    if let Some(v) = changes.last_name {
        row.last_name = Set(Some(v.into_inner()));
    }
    if let Some(v) = changes.gender {
        row.gender = Set(Some(v.as_str().to_owned()));
    }
    if let Some(v) = changes.date_of_birth {
        row.date_of_birth = Set(Some(v.date()));
    }
    if let Some(v) = changes.info {
        row.info = Set(Some(v.into_inner()));
    }
    if let Some(key) = new_key {
        row.avatar = Set(Some(key.to_owned()));
    }
    if !row.is_changed() {
        return Ok((current, None));
    }
    let profile = row.update(&conn).await?;
    drop(conn);
    write.commit().await?;
    Ok((profile, current.avatar))
}

/// First key of the advisory locks taken here ("prof"), so they cannot collide with others.
const PROFILE_LOCK_SPACE: i32 = 0x7072_6f66;

/// Striped in-process locks: a user's writes always take the same stripe. Two users may share a
/// stripe and then wait for each other briefly, which is harmless.
fn local_lock(user_id: i32) -> &'static tokio::sync::Mutex<()> {
    static STRIPES: [tokio::sync::Mutex<()>; 64] =
        [const { tokio::sync::Mutex::const_new(()) }; 64];
    &STRIPES[user_id.unsigned_abs() as usize % STRIPES.len()]
}

async fn upload(storage: &Storage, key: &str, avatar: &Avatar) -> Result<()> {
    storage
        .put(key, avatar.bytes().clone(), avatar.kind().content_type())
        .await
        .map_err(|e| ProfileError::UploadFailed(e.into()))
}

/// Runs `work` in its own task and waits for it: dropping the caller (a client that hangs up)
/// does not cancel it between an upload and the database write that goes with it.
async fn run_to_completion<T: Send + 'static>(
    work: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work)
        .await
        .unwrap_or_else(|e| Err(ProfileError::Internal(e.into())))
}
