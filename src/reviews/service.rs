//! The reviews' rules over their store: who may write (signed in, within the per-user write limit
//! every community write shares), who may edit (the author) and delete (the author or staff), what a
//! missing movie, review or parent answers, and the pages with their links.

use axum::extract::FromRef;
use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::{
    domain::{ReportReason, ReviewSort, ReviewText},
    error::ReviewsError,
    store::{self, CreateError, Deleter, Outcome, Thread},
    wire::{Review, ReviewList, ReviewReaction},
};
use crate::{
    auth::Account,
    community::{domain::Reaction, service::write_quota},
    db::begin_write,
    http::paging::{offset_within, paged},
    movies::domain::{Page, PerPage, RowId},
    notifications::{domain::NotificationKind, service::Notifications, store::Event},
    rate_limit::{self, Quota},
    state::AppState,
};

type Result<T, E = ReviewsError> = std::result::Result<T, E>;

/// The database, the write limit and the notifications a reply or like causes.
#[derive(Clone)]
pub struct Reviews {
    db: DatabaseConnection,
    /// `COMMUNITY_RATE_LIMIT` per `COMMUNITY_RATE_WINDOW_SECONDS`; `None`: off.
    writes: Option<Quota>,
    notifications: Notifications,
}

impl FromRef<AppState> for Reviews {
    fn from_ref(state: &AppState) -> Self {
        Self::new(
            state.db.clone(),
            write_quota(state),
            Notifications::from_ref(state),
        )
    }
}

/// An id no row can have (beyond the column's type) names nothing.
fn row(id: RowId, missing: ReviewsError) -> Result<i32> {
    id.as_i32().ok_or(missing)
}

/// Which page to read, and how to link its neighbours.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: Page,
    pub per_page: PerPage,
}

/// The active parameters of a review page's links: `sort` unless it is the default.
fn sort_param(sort: Option<ReviewSort>) -> String {
    sort.filter(|s| *s != ReviewSort::default())
        .map(|s| format!("sort={}", s.as_str()))
        .unwrap_or_default()
}

impl Reviews {
    pub fn new(
        db: DatabaseConnection,
        writes: Option<Quota>,
        notifications: Notifications,
    ) -> Self {
        Self {
            db,
            writes,
            notifications,
        }
    }

    /// Commits a write, and wakes the outbox when it queued an e-mail.
    async fn commit(&self, txn: DatabaseTransaction, mailed: bool) -> Result<()> {
        if mailed {
            self.notifications.mail().commit_and_send(txn).await?;
        } else {
            txn.commit().await?;
        }
        Ok(())
    }

    async fn spend_write(&self, user_id: i32) -> Result<()> {
        match rate_limit::community_write(&self.db, self.writes, user_id).await? {
            None => Ok(()),
            Some(wait) => Err(ReviewsError::TooManyWrites(wait)),
        }
    }

    /// `POST /movies/{movie_id}/reviews/`: a review, or a reply to `parent`.
    pub async fn post(
        &self,
        author: i32,
        movie: RowId,
        parent: Option<RowId>,
        text: &ReviewText,
    ) -> Result<Review> {
        let movie_id = row(movie, ReviewsError::MovieNotFound)?;
        let parent_id = match parent {
            None => None,
            Some(id) => Some(id.as_i32().ok_or(ReviewsError::BadParent(id.get()))?),
        };
        self.spend_write(author).await?;
        let txn = begin_write(&self.db).await?;
        let created = match store::create(&txn, author, movie_id, parent_id, text).await {
            Ok(created) => created,
            Err(CreateError::MovieNotFound) => return Err(ReviewsError::MovieNotFound),
            Err(CreateError::BadParent) => {
                return Err(ReviewsError::BadParent(
                    parent.map(RowId::get).unwrap_or_default(),
                ));
            }
            Err(CreateError::Db(e)) => return Err(e.into()),
        };
        // The parent's author hears of the reply in the reply's own transaction.
        let mut mailed = false;
        if let Some(recipient) = created.parent_author {
            let event = Event {
                recipient,
                kind: NotificationKind::ReviewReply,
                movie_id,
                review_id: created.review.id,
                actor: author,
            };
            mailed = self.notifications.record(&txn, event).await?;
        }
        self.commit(txn, mailed).await?;
        Ok(created.review)
    }

    /// `GET /reviews/{review_id}/`.
    pub async fn get(&self, id: RowId) -> Result<Review> {
        let id = row(id, ReviewsError::ReviewNotFound)?;
        store::find(&self.db, id)
            .await?
            .ok_or(ReviewsError::ReviewNotFound)
    }

    /// `GET /movies/{movie_id}/reviews/`: top-level reviews (tombstones with replies included).
    pub async fn of_movie(
        &self,
        movie: RowId,
        sort: ReviewSort,
        paging: Paging,
    ) -> Result<ReviewList> {
        let movie_id = row(movie, ReviewsError::MovieNotFound)?;
        let path = format!("/theater/movies/{movie_id}/reviews/");
        let list = self
            .page(
                Thread::Movie(movie_id, sort),
                paging,
                &path,
                &sort_param(Some(sort)),
            )
            .await?;
        // An empty page of a movie that does not exist is its 404 (one query only then).
        if list.total_items == 0 && !store::movie_exists(&self.db, movie_id).await? {
            return Err(ReviewsError::MovieNotFound);
        }
        Ok(list)
    }

    /// `GET /reviews/{review_id}/replies/`: direct replies, oldest first.
    pub async fn replies(&self, review: RowId, paging: Paging) -> Result<ReviewList> {
        let review_id = row(review, ReviewsError::ReviewNotFound)?;
        let path = format!("/theater/reviews/{review_id}/replies/");
        let list = self
            .page(Thread::Replies(review_id), paging, &path, "")
            .await?;
        if list.total_items == 0 && store::find(&self.db, review_id).await?.is_none() {
            return Err(ReviewsError::ReviewNotFound);
        }
        Ok(list)
    }

    async fn page(
        &self,
        thread: Thread,
        paging: Paging,
        path: &str,
        extra: &str,
    ) -> Result<ReviewList> {
        let (page, per_page) = (paging.page.get(), paging.per_page.get());
        let total_items = store::count(&self.db, thread).await?;
        let reviews = match offset_within(page, per_page, total_items) {
            Some(offset) => store::page(&self.db, thread, per_page, offset).await?,
            None => Vec::new(),
        };
        let links = paged(path, page, per_page, total_items, extra);
        Ok(ReviewList {
            reviews,
            prev_page: links.prev_page,
            next_page: links.next_page,
            total_pages: links.total_pages,
            total_items,
        })
    }

    /// `PATCH /reviews/{review_id}/`: the author replaces the text.
    pub async fn edit(&self, caller: i32, id: RowId, text: &ReviewText) -> Result<Review> {
        let id = row(id, ReviewsError::ReviewNotFound)?;
        match store::edit(&self.db, id, caller, text).await? {
            Outcome::Done(review) => Ok(review),
            Outcome::NotFound => Err(ReviewsError::ReviewNotFound),
            Outcome::Forbidden => Err(ReviewsError::NotAuthor),
        }
    }

    /// `DELETE /reviews/{review_id}/`: by the author or staff; a tombstone when replies exist.
    /// Staff deleting someone else's review is audited, with the caller's address `client`.
    pub async fn delete(
        &self,
        caller: &Account,
        client: Option<std::net::IpAddr>,
        id: RowId,
    ) -> Result<store::Deleted> {
        let id = row(id, ReviewsError::ReviewNotFound)?;
        let by = Deleter {
            user_id: caller.id,
            staff: caller.group.is_staff(),
        };
        let actor = crate::audit::Actor::user(caller, client);
        match store::delete(&self.db, id, by, &actor).await? {
            Outcome::Done(deleted) => Ok(deleted),
            Outcome::NotFound => Err(ReviewsError::ReviewNotFound),
            Outcome::Forbidden => Err(ReviewsError::CannotDelete),
        }
    }

    /// `PUT /reviews/{review_id}/reaction/`.
    pub async fn react(&self, caller: i32, id: RowId, value: Reaction) -> Result<ReviewReaction> {
        let review_id = row(id, ReviewsError::ReviewNotFound)?;
        self.spend_write(caller).await?;
        let txn = begin_write(&self.db).await?;
        let reacted = match store::react(&txn, review_id, caller, value).await? {
            Outcome::Done(reacted) => reacted,
            Outcome::NotFound | Outcome::Forbidden => return Err(ReviewsError::ReviewNotFound),
        };
        // A new like (not a repeated one) is news for the author, in the like's transaction.
        let mut mailed = false;
        if let (Reaction::Like, Some(recipient)) = (value, reacted.author)
            && reacted.before != Some(Reaction::Like)
        {
            let event = Event {
                recipient,
                kind: NotificationKind::ReviewLike,
                movie_id: reacted.movie_id,
                review_id,
                actor: caller,
            };
            mailed = self.notifications.record(&txn, event).await?;
        }
        self.commit(txn, mailed).await?;
        Ok(ReviewReaction { review_id, value })
    }

    /// `DELETE /reviews/{review_id}/reaction/`.
    pub async fn unreact(&self, caller: i32, id: RowId) -> Result<()> {
        let review_id = row(id, ReviewsError::ReviewNotFound)?;
        self.spend_write(caller).await?;
        match store::unreact(&self.db, review_id, caller).await? {
            Outcome::Done(true) => Ok(()),
            Outcome::Done(false) => Err(ReviewsError::NoReaction),
            Outcome::NotFound | Outcome::Forbidden => Err(ReviewsError::ReviewNotFound),
        }
    }

    /// `POST /reviews/{review_id}/report/`: one report per user and review.
    pub async fn report(&self, caller: i32, id: RowId, reason: &ReportReason) -> Result<()> {
        let review_id = row(id, ReviewsError::ReviewNotFound)?;
        self.spend_write(caller).await?;
        if store::report(&self.db, review_id, caller, reason, Utc::now()).await? {
            Ok(())
        } else {
            Err(ReviewsError::ReviewNotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_a_sort_that_is_not_the_default() {
        let path = "/theater/movies/3/reviews/";
        // A link as the shared pager makes it: the previous page's link of the page after `page`.
        let link = |path: &str, page: i64, per_page: i64, sort: Option<ReviewSort>| {
            paged(path, page + 1, per_page, 1000, &sort_param(sort))
                .prev_page
                .unwrap_or_default()
        };
        assert_eq!(
            link(path, 2, 10, Some(ReviewSort::Top)),
            "/theater/movies/3/reviews/?page=2&per_page=10&sort=top"
        );
        assert_eq!(
            link(path, 1, 5, Some(ReviewSort::Newest)),
            "/theater/movies/3/reviews/?page=1&per_page=5"
        );
        assert_eq!(
            link(path, 1, 5, None),
            "/theater/movies/3/reviews/?page=1&per_page=5"
        );
    }
}
