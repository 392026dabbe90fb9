//! `/api/v1/users/me/notifications/…`, `/api/v1/users/me/notification-settings/`, the reply and
//! like e-mails in the outbox and the one-click unsubscribe page.

mod flow;
