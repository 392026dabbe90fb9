//! The notifications' rules: a reply to your review or a like of it notifies you — never your own
//! acts — in the transaction of that reply or like, with an e-mail through the outbox when that kind
//! is on (each with its one-click unsubscribe link); and the reading, marking and settings of your
//! own.

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{
    domain::{NotificationKind, ReadRequest, UnsubscribeToken},
    error::NotificationsError,
    store::{self, Event},
    wire::{NotificationList, NotificationSettings, SettingsPatch},
};
use crate::{
    db::begin_write,
    http::paging::{offset_within, paged},
    mail::{Mail, templates::NotificationMail},
    movies::domain::{Page, PerPage},
    state::AppState,
};

type Result<T, E = NotificationsError> = std::result::Result<T, E>;

/// Where a one-click unsubscribe link points (below `APP_BASE_URL`): a page that confirms on `GET`
/// and turns the e-mail off on `POST` (RFC 8058), with no login.
pub const UNSUBSCRIBE_PATH: &str = "/notifications/unsubscribe";

/// The most characters of a review an e-mail quotes.
const QUOTE_MAX_CHARS: usize = 500;

/// The database, the outbox and the key of unsubscribe links.
#[derive(Clone)]
pub struct Notifications {
    db: DatabaseConnection,
    mail: Arc<Mail>,
    link_key: [u8; 64],
}

impl FromRef<AppState> for Notifications {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            mail: state.mail.clone(),
            link_key: *state.tokens.link_key(),
        }
    }
}

/// At most [`QUOTE_MAX_CHARS`] characters of `text`, with an ellipsis when cut.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

impl Notifications {
    pub fn mail(&self) -> &Mail {
        &self.mail
    }

    /// The one-click unsubscribe URL of `kind` for `user_id`.
    pub fn unsubscribe_url(&self, user_id: i32, kind: NotificationKind) -> String {
        let token = UnsubscribeToken { user_id, kind }.sign(&self.link_key);
        format!("{}{UNSUBSCRIBE_PATH}?token={token}", self.mail.base_url())
    }

    /// The claim of an unsubscribe link's token, when it is one of ours.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<UnsubscribeToken> {
        UnsubscribeToken::verify(&self.link_key, token)
    }

    /// Records `event` through `txn` (the transaction of the reply or like), and its e-mail when
    /// the recipient wants one. Nothing for one's own acts. Returns whether an e-mail was queued
    /// (the caller wakes the outbox after its commit).
    pub async fn record(&self, txn: &impl ConnectionTrait, event: Event) -> anyhow::Result<bool> {
        if event.recipient == event.actor {
            return Ok(false);
        }
        let Some(to) = store::notify(txn, event).await? else {
            return Ok(false);
        };
        // The reply's text, or the liked review's: what the e-mail quotes.
        let Some((movie, text)) = store::mail_details(txn, event.review_id).await? else {
            return Ok(false);
        };
        let actor = store::public_user(txn, event.actor).await?;
        let link = format!(
            "{}/api/v1/theater/reviews/{}/",
            self.mail.base_url(),
            event.review_id
        );
        let unsubscribe = self.unsubscribe_url(event.recipient, event.kind);
        let text = quote(&text);
        let mail = NotificationMail {
            recipient: &to.email,
            link: &link,
            unsubscribe: &unsubscribe,
            actor: &actor.name,
            movie: &movie,
            text: &text,
        };
        self.mail
            .enqueue_notification(txn, event.kind.email(), &mail)
            .await?;
        Ok(true)
    }

    /// `GET /users/me/notifications/`: newest first, with the unread count.
    pub async fn list(
        &self,
        user_id: i32,
        unread_only: bool,
        page: Page,
        per_page: PerPage,
    ) -> Result<NotificationList> {
        let (page, per_page) = (page.get(), per_page.get());
        let (all, unread) = store::counts(&self.db, user_id).await?;
        let total_items = if unread_only { unread } else { all };
        let notifications = match offset_within(page, per_page, total_items) {
            Some(offset) => store::page(&self.db, user_id, unread_only, per_page, offset).await?,
            None => Vec::new(),
        };
        let filter = if unread_only { "unread=true" } else { "" };
        let links = paged(
            "/users/me/notifications/",
            page,
            per_page,
            total_items,
            filter,
        );
        Ok(NotificationList {
            notifications,
            prev_page: links.prev_page,
            next_page: links.next_page,
            total_pages: links.total_pages,
            total_items,
            unread,
        })
    }

    /// `POST /users/me/notifications/read/`.
    pub async fn mark_read(&self, user_id: i32, request: &ReadRequest) -> Result<()> {
        store::mark_read(&self.db, user_id, request).await?;
        Ok(())
    }

    /// `GET /users/me/notification-settings/`.
    pub async fn settings(&self, user_id: i32) -> Result<NotificationSettings> {
        Ok(store::settings(&self.db, user_id).await?)
    }

    /// `PATCH /users/me/notification-settings/`: read, change and store in one write transaction,
    /// so two concurrent patches of different settings both hold.
    pub async fn update_settings(
        &self,
        user_id: i32,
        patch: SettingsPatch,
    ) -> Result<NotificationSettings> {
        let txn = begin_write(&self.db).await.map_err(anyhow::Error::from)?;
        let settings = store::settings(&txn, user_id).await?.with(patch);
        store::save_settings(&txn, user_id, settings).await?;
        txn.commit().await.map_err(anyhow::Error::from)?;
        Ok(settings)
    }

    /// The one-click unsubscribe: turns that kind of e-mail off and says which; `None` when the
    /// token is not ours (or names a user who is gone).
    pub async fn unsubscribe(&self, token: &str) -> Result<Option<NotificationKind>> {
        let Some(claim) = self.verify_unsubscribe(token) else {
            return Ok(None);
        };
        let done = store::turn_off(&self.db, claim.user_id, claim.kind).await?;
        Ok(done.then_some(claim.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_stop_at_500_characters() {
        assert_eq!(quote("short"), "short");
        let long = "é".repeat(600);
        let q = quote(&long);
        assert_eq!(q.chars().count(), 501);
        assert!(q.ends_with('…'));
        assert_eq!(quote(&"x".repeat(500)), "x".repeat(500));
    }
}
