//! The administration's rules over its store: the user list and detail, the changes of group and
//! active flag with the last-admin guard, session revocation, the moderation queue and the audit
//! log. Every write records its audit entry in its own transaction (`crate::audit::record`) and
//! revokes through `crate::revocation` (the one mechanism: a row written in the transaction, applied
//! to this instance after commit, polled by the others). The command line (`admin::cli`) calls the
//! same methods with `Actor::cli()`.

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};
use url::form_urlencoded;

use super::{
    error::AdminError,
    store::{self, UserFilter},
    wire::{
        AdminUser, AdminUserList, AuditList, AuditParams, ModerationParams, ReportedList,
        ReportedReview, UserChanges, UserDetail, UserListParams,
    },
};
use crate::{
    audit::{self, Actor, action},
    auth::Group,
    db::begin_write,
    http::paging::{offset_within, paged},
    movies::domain::RowId,
    profiles::wire::ProfileResponse,
    rate_limit::now_ms,
    revocation::{self, Revocations},
    state::AppState,
    storage::Storage,
    validation::JsonBool,
};

type Result<T, E = AdminError> = std::result::Result<T, E>;

/// What the administration needs: the database, the storage (avatar URLs in a user's detail) and
/// this instance's revocations.
#[derive(Clone)]
pub struct Admin {
    db: DatabaseConnection,
    storage: Storage,
    revocations: Arc<Revocations>,
}

impl FromRef<AppState> for Admin {
    fn from_ref(state: &AppState) -> Self {
        Self::new(
            state.db.clone(),
            state.storage.clone(),
            state.revocations.clone(),
        )
    }
}

/// An id no row can have (beyond the column's type) names nothing.
fn row(id: RowId, missing: AdminError) -> Result<i32> {
    id.as_i32().ok_or(missing)
}

fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        encoded.append_pair(key, &value);
    }
    encoded.finish()
}

impl Admin {
    pub fn new(db: DatabaseConnection, storage: Storage, revocations: Arc<Revocations>) -> Self {
        Self {
            db,
            storage,
            revocations,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// `GET /admin/users/`.
    pub async fn users(&self, params: &UserListParams) -> Result<AdminUserList> {
        let (page, per_page) = (params.page.get(), params.per_page.get());
        let filter = UserFilter {
            search: params.search.clone(),
            group: params.group.map(|g| g.0),
            is_active: params.is_active,
        };
        let total_items = store::count_users(&self.db, &filter).await?;
        let users = match offset_within(page, per_page, total_items) {
            Some(offset) => {
                let order = params.sort.order_by();
                store::page_users(&self.db, &filter, order, per_page, offset).await?
            }
            None => Vec::new(),
        };
        let mut active = Vec::new();
        if let Some(search) = &params.search {
            active.push(("search", search.as_str().to_owned()));
        }
        if let Some(group) = params.group {
            active.push(("group", group.0.as_str().to_owned()));
        }
        if let Some(is_active) = params.is_active {
            active.push(("is_active", is_active.to_string()));
        }
        if params.sort != super::domain::UserSort::default() {
            active.push(("sort", params.sort.as_str().to_owned()));
        }
        let links = paged(
            "/admin/users/",
            page,
            per_page,
            total_items,
            &encode(active),
        );
        Ok(AdminUserList {
            users,
            prev_page: links.prev_page,
            next_page: links.next_page,
            total_pages: links.total_pages,
            total_items,
        })
    }

    /// The user with this id, for the command line's `--id`.
    pub async fn find(&self, id: i32) -> Result<AdminUser> {
        store::find_user(&self.db, id)
            .await?
            .ok_or(AdminError::UserNotFound)
    }

    /// The id of the user with this e-mail, for the command line's `--email`.
    pub async fn id_by_email(&self, email: &str) -> Result<i32> {
        store::user_id_by_email(&self.db, email)
            .await?
            .ok_or(AdminError::UserNotFound)
    }

    /// `GET /admin/users/{user_id}/`.
    pub async fn user(&self, id: RowId) -> Result<UserDetail> {
        let id = row(id, AdminError::UserNotFound)?;
        let user = self.find(id).await?;
        let profile = crate::profiles::service::find_profile(&self.db, i64::from(id))
            .await?
            .map(|p| ProfileResponse::new(p, &self.storage));
        let (sessions, ratings, reviews) = store::counts(&self.db, id).await?;
        Ok(UserDetail {
            user,
            profile,
            sessions,
            ratings,
            reviews,
        })
    }

    /// `PATCH /admin/users/{user_id}/`: a new group and/or active flag. The last active admin can
    /// be neither demoted nor deactivated (409), also under concurrent changes (see `store`).
    /// Deactivation signs the user out everywhere. A change that changes nothing writes nothing
    /// (and records nothing).
    pub async fn update(
        &self,
        actor: &Actor,
        id: RowId,
        changes: &UserChanges,
    ) -> Result<AdminUser> {
        let id = row(id, AdminError::UserNotFound)?;
        let txn = begin_write(&self.db).await?;
        let admins = store::lock_active_admins(&txn).await?;
        let Some((group, active)) = store::lock_user(&txn, id).await? else {
            return Err(AdminError::UserNotFound);
        };
        let new_group = changes.group.map_or(group, |g| g.0);
        let new_active = changes.is_active.map_or(active, |JsonBool(b)| b);
        let removes_an_admin =
            group == Group::Admin && active && !(new_group == Group::Admin && new_active);
        if removes_an_admin && admins.iter().all(|admin| *admin == id) {
            return Err(AdminError::LastAdmin);
        }
        let mut details = Map::new();
        if new_group != group {
            details.insert(
                "group".into(),
                json!({"from": group.as_str(), "to": new_group.as_str()}),
            );
        }
        if new_active != active {
            details.insert(
                "is_active".into(),
                json!({"from": active, "to": new_active}),
            );
        }
        if details.is_empty() {
            drop(txn);
            return self.find(id).await;
        }
        store::set_group_and_active(&txn, id, new_group, new_active).await?;
        let revoked = if active && !new_active {
            details.insert("sessions_revoked".into(), Value::Bool(true));
            Some(revocation::revoke_user_tokens(&txn, id, now_ms()).await?)
        } else {
            None
        };
        let target = audit::target("user", id);
        audit::record(
            &txn,
            actor,
            action::USER_UPDATE,
            &target,
            Value::Object(details),
        )
        .await?;
        let user = store::find_user(&txn, id)
            .await?
            .ok_or(AdminError::UserNotFound)?;
        txn.commit().await?;
        if let Some(revoked) = revoked {
            self.revocations.apply(revoked);
        }
        Ok(user)
    }

    /// `DELETE /admin/users/{user_id}/` (and `DELETE /users/me/`, `theater users delete`): the user
    /// and all of theirs, in one transaction (`accounts::deletion`), never the last active admin
    /// (409, under the guard's lock). Audited as `user.delete` in that transaction. Their avatar
    /// object goes after the commit — at once when storage answers, else by the retrying job.
    pub async fn delete_user(&self, actor: &Actor, id: RowId) -> Result<()> {
        self.delete_user_row(actor, row(id, AdminError::UserNotFound)?)
            .await
    }

    /// [`Admin::delete_user`] by row id.
    pub async fn delete_user_row(&self, actor: &Actor, id: i32) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let admins = store::lock_active_admins(&txn).await?;
        let Some((group, active)) = store::lock_user(&txn, id).await? else {
            return Err(AdminError::UserNotFound);
        };
        if group == Group::Admin && active && admins.iter().all(|admin| *admin == id) {
            return Err(AdminError::LastAdmin);
        }
        let deleted = crate::accounts::deletion::delete_account(&txn, id)
            .await?
            .ok_or(AdminError::UserNotFound)?;
        let target = audit::target("user", id);
        let details = json!({
            "email": deleted.email,
            "group": group.as_str(),
            "reviews_deleted": deleted.reviews,
            "avatar": deleted.avatar,
        });
        audit::record(&txn, actor, action::USER_DELETE, &target, details).await?;
        txn.commit().await?;
        if deleted.avatar.is_some() {
            match crate::object_cleanup::purge_due(&self.db, &self.storage).await {
                Ok(round) if round.failed > 0 => tracing::warn!(
                    user_id = id,
                    "the avatar of a deleted user is kept for a retry: storage refused it"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(user_id = id, "object deletions: {e}"),
            }
        }
        Ok(())
    }

    /// `POST /admin/users/{user_id}/sessions/revoke/`: every refresh token gone, every access token
    /// issued until now refused (`Token has been revoked.`).
    pub async fn revoke_sessions(&self, actor: &Actor, id: RowId) -> Result<()> {
        let id = row(id, AdminError::UserNotFound)?;
        let txn = begin_write(&self.db).await?;
        if store::lock_user(&txn, id).await?.is_none() {
            return Err(AdminError::UserNotFound);
        }
        let refresh_tokens = store::count_refresh_tokens(&txn, id).await?;
        let revoked = revocation::revoke_user_tokens(&txn, id, now_ms()).await?;
        let target = audit::target("user", id);
        let details = json!({ "refresh_tokens": refresh_tokens });
        audit::record(&txn, actor, action::USER_SESSIONS_REVOKE, &target, details).await?;
        txn.commit().await?;
        self.revocations.apply(revoked);
        Ok(())
    }

    /// `GET /admin/reviews/`: the moderation queue, most reported first, with the reasons.
    pub async fn reported(&self, params: &ModerationParams) -> Result<ReportedList> {
        let (page, per_page) = (params.page.get(), params.per_page.get());
        let only = params.reported;
        let total_items = crate::reviews::store::count_by_reports(&self.db, only).await?;
        let rows = match offset_within(page, per_page, total_items) {
            Some(offset) => {
                crate::reviews::store::page_by_reports(&self.db, only, per_page, offset).await?
            }
            None => Vec::new(),
        };
        let ids: Vec<i32> = rows.iter().map(|(review, _)| review.id).collect();
        let mut reasons = store::report_reasons(&self.db, &ids).await?;
        let reviews = rows
            .into_iter()
            .map(|(review, reports)| ReportedReview {
                reasons: reasons.remove(&review.id).unwrap_or_default(),
                review,
                reports,
            })
            .collect();
        let extra = if only {
            String::new()
        } else {
            "reported=false".to_owned()
        };
        let links = paged("/admin/reviews/", page, per_page, total_items, &extra);
        Ok(ReportedList {
            reviews,
            prev_page: links.prev_page,
            next_page: links.next_page,
            total_pages: links.total_pages,
            total_items,
        })
    }

    /// `POST /admin/reviews/{review_id}/dismiss-reports/`: the review's reports are deleted.
    pub async fn dismiss_reports(&self, actor: &Actor, id: RowId) -> Result<()> {
        let id = row(id, AdminError::ReviewNotFound)?;
        let txn = begin_write(&self.db).await?;
        if !store::lock_review(&txn, id).await? {
            return Err(AdminError::ReviewNotFound);
        }
        let reports = store::delete_reports(&txn, id).await?;
        let target = audit::target("review", id);
        let details = json!({ "reports": reports });
        audit::record(
            &txn,
            actor,
            action::REVIEW_DISMISS_REPORTS,
            &target,
            details,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// `GET /admin/audit/`: newest first.
    pub async fn audit(&self, params: &AuditParams) -> Result<AuditList> {
        let (page, per_page) = (params.page.get(), params.per_page.get());
        // An actor id no row can have matches nothing, as any other unknown id does.
        let actor_id = params.actor_id.map(|id| id.as_i32().unwrap_or(-1));
        let filter = audit::Filter {
            actor_id,
            action: params.action.as_ref().map(|a| a.as_str().to_owned()),
        };
        let total_items = audit::count(&self.db, &filter).await?;
        let entries = match offset_within(page, per_page, total_items) {
            Some(offset) => audit::list(&self.db, &filter, per_page, offset).await?,
            None => Vec::new(),
        };
        let mut active = Vec::new();
        if let Some(id) = params.actor_id {
            active.push(("actor_id", id.get().to_string()));
        }
        if let Some(action) = &params.action {
            active.push(("action", action.as_str().to_owned()));
        }
        let links = paged(
            "/admin/audit/",
            page,
            per_page,
            total_items,
            &encode(active),
        );
        Ok(AuditList {
            entries,
            prev_page: links.prev_page,
            next_page: links.next_page,
            total_pages: links.total_pages,
            total_items,
        })
    }
}
