//! The one-click unsubscribe page every notification e-mail links to (RFC 8058), with no login: a
//! `GET` (a person's click, or a mail scanner's) only shows a confirmation with a button; a `POST`
//! to the same URL — the button, or the mail client's one-click request with its
//! `List-Unsubscribe=One-Click` body — turns that kind of e-mail off. The signed token in the URL is
//! the only credential and can do nothing else.

use axum::{
    Router,
    extract::{RawQuery, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use minijinja::context;

use super::{
    domain::NotificationKind,
    service::{Notifications, UNSUBSCRIBE_PATH},
};
use crate::{
    accounts::pages::{page, with_page_headers},
    state::AppState,
};

const INVALID: &str = "This unsubscribe link is not valid. Open the link from the e-mail again, \
     or change your notification settings after signing in.";

pub fn router() -> Router<AppState> {
    with_page_headers(Router::new().route(UNSUBSCRIBE_PATH, get(confirm).post(unsubscribe)))
}

/// The `token` of the query string, as given (empty when absent).
fn token(query: Option<String>) -> String {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What the page calls a kind of e-mail.
fn described(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::ReviewReply => "replies to your reviews",
        NotificationKind::ReviewLike => "likes of your reviews",
    }
}

fn invalid() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "result.html",
        context! { title => "Unsubscribe", errors => [INVALID] },
    )
}

async fn confirm(
    State(notifications): State<Notifications>,
    RawQuery(query): RawQuery,
) -> Response {
    let token = token(query);
    let Some(claim) = notifications.verify_unsubscribe(&token) else {
        return invalid();
    };
    let action = url::form_urlencoded::Serializer::new(format!("{UNSUBSCRIBE_PATH}?"))
        .append_pair("token", &token)
        .finish();
    page(
        StatusCode::OK,
        "unsubscribe.html",
        context! { title => "Unsubscribe", kind => described(claim.kind), action => action },
    )
}

async fn unsubscribe(
    State(notifications): State<Notifications>,
    RawQuery(query): RawQuery,
) -> Response {
    match notifications.unsubscribe(&token(query)).await {
        Ok(Some(kind)) => {
            let message = format!(
                "You will no longer get e-mails about {}. You can turn them on again in your \
                 notification settings.",
                described(kind)
            );
            page(
                StatusCode::OK,
                "result.html",
                context! { title => "Unsubscribed", message => message },
            )
        }
        Ok(None) => invalid(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "one-click unsubscribe failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "result.html",
                context! { title => "Unsubscribe", errors => ["Something went wrong. Try again later."] },
            )
        }
    }
}
