//! The notifications' value types: what a notification is about, the signed token of a one-click
//! unsubscribe link, and what `POST …/notifications/read/` marks.

use blake2::{
    Blake2bMac,
    digest::{KeyInit, Mac},
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::{
    mail::EmailKind,
    validation::{Fields, FromFields, FromInput, Invalid, JsonBool},
};

/// What happened to the recipient's review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotificationKind {
    /// Someone replied to it.
    ReviewReply,
    /// Someone liked it.
    ReviewLike,
}

impl NotificationKind {
    /// As stored in `notifications.kind`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "review_reply" => Some(Self::ReviewReply),
            "review_like" => Some(Self::ReviewLike),
            _ => None,
        }
    }

    /// The `notification_settings` column that turns its e-mail on or off. Only ever one of these
    /// texts, so it is safe inside SQL.
    pub fn setting_column(self) -> &'static str {
        match self {
            Self::ReviewReply => "email_review_replies",
            Self::ReviewLike => "email_review_likes",
        }
    }

    pub fn email(self) -> EmailKind {
        match self {
            Self::ReviewReply => EmailKind::ReviewReply,
            Self::ReviewLike => EmailKind::ReviewLike,
        }
    }

    /// Its word in an unsubscribe token.
    fn token_word(self) -> &'static str {
        match self {
            Self::ReviewReply => "replies",
            Self::ReviewLike => "likes",
        }
    }

    fn from_token_word(s: &str) -> Option<Self> {
        match s {
            "replies" => Some(Self::ReviewReply),
            "likes" => Some(Self::ReviewLike),
            _ => None,
        }
    }
}

/// The signature's length: 128 bits.
type Signature = Blake2bMac<blake2::digest::consts::U16>;

/// "Turn off this kind of e-mail for this user", signed: `{user_id}-{replies|likes}-{32 hex
/// digits}`, the digits a keyed BLAKE2b of the rest under [`crate::auth::Tokens::link_key`]. It
/// carries no expiry — an unsubscribe link must keep working (RFC 8058) — and it can do nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsubscribeToken {
    pub user_id: i32,
    pub kind: NotificationKind,
}

impl UnsubscribeToken {
    fn mac(key: &[u8; 64], payload: &str) -> Signature {
        // BLAKE2b's key is up to 64 bytes: this one is typed to fit, so nothing can fail.
        let mut mac = <Signature as KeyInit>::new(&(*key).into());
        mac.update(b"unsubscribe\0");
        mac.update(payload.as_bytes());
        mac
    }

    pub fn sign(self, key: &[u8; 64]) -> String {
        let payload = format!("{}-{}", self.user_id, self.kind.token_word());
        let tag = Self::mac(key, &payload).finalize().into_bytes();
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        format!("{payload}-{hex}")
    }

    /// The token's claim when its signature holds (compared in constant time), else `None`.
    pub fn verify(key: &[u8; 64], token: &str) -> Option<Self> {
        if token.len() > 64 {
            return None;
        }
        let (payload, hex) = token.rsplit_once('-')?;
        let (user, word) = payload.split_once('-')?;
        let user_id: i32 = user.parse().ok().filter(|id| *id > 0)?;
        let kind = NotificationKind::from_token_word(word)?;
        if hex.len() != 32 {
            return None;
        }
        let tag: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        Self::mac(key, payload).verify_slice(&tag).ok()?;
        Some(Self { user_id, kind })
    }
}

/// The most ids one `POST …/read/` takes.
pub const MAX_READ_IDS: usize = 100;

/// What `POST …/notifications/read/` marks as read: the given ids (the caller's own; others'
/// and unknown ids change nothing), or everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadRequest {
    Ids(Vec<i32>),
    All,
}

/// `ids`: a list of at most [`MAX_READ_IDS`] integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdList(pub Vec<i32>);

impl FromInput for IdList {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let Value::Array(items) = value else {
            return Err(Invalid::new("list_type", "Input should be a valid list"));
        };
        if items.len() > MAX_READ_IDS {
            return Err(Invalid::new(
                "too_long",
                format!("List should have at most {MAX_READ_IDS} items after validation, not {}", items.len()),
            )
            .with_ctx(json!({ "field_type": "List", "max_length": MAX_READ_IDS, "actual_length": items.len() })));
        }
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let id = i64::from_input(item).map_err(|mut e| {
                e.sub_loc.push(json!(i));
                e
            })?;
            // An id no row can have marks nothing.
            if let Ok(id) = i32::try_from(id) {
                ids.push(id);
            }
        }
        Ok(Self(ids))
    }
}

impl FromFields for ReadRequest {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let ids: Option<IdList> = f.optional("ids");
        let all: Option<JsonBool> = f.optional("all");
        // A value that failed to parse has been reported already.
        let given = |name: &str| f.raw(name).is_some_and(|v| !v.is_null());
        if (given("ids") && ids.is_none()) || (given("all") && all.is_none()) {
            return None;
        }
        match (ids, all.is_some_and(|JsonBool(all)| all)) {
            // `all` wins: everything is marked, the ids with the rest.
            (_, true) => Some(Self::All),
            (Some(IdList(ids)), false) => Some(Self::Ids(ids)),
            // Nothing asked, nothing marked (as `{"ids": []}`).
            (None, false) => Some(Self::Ids(Vec::new())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 64] = [7; 64];

    #[test]
    fn unsubscribe_tokens_verify_only_as_signed() {
        let token = UnsubscribeToken {
            user_id: 42,
            kind: NotificationKind::ReviewReply,
        };
        let signed = token.sign(&KEY);
        assert!(signed.starts_with("42-replies-"), "{signed}");
        assert_eq!(UnsubscribeToken::verify(&KEY, &signed), Some(token));
        // Another user, another kind, another key, a changed digit: all refused.
        let forged_user = signed.replacen("42-", "43-", 1);
        let forged_kind = signed.replacen("-replies-", "-likes-", 1);
        assert_eq!(UnsubscribeToken::verify(&KEY, &forged_user), None);
        assert_eq!(UnsubscribeToken::verify(&KEY, &forged_kind), None);
        assert_eq!(UnsubscribeToken::verify(&[8; 64], &signed), None);
        let mut digits = signed.clone();
        let last = digits.pop().unwrap();
        digits.push(if last == '0' { '1' } else { '0' });
        assert_eq!(UnsubscribeToken::verify(&KEY, &digits), None);
        for bad in [
            "",
            "42",
            "42-replies",
            "x-replies-00",
            "42-replies-zz",
            &"9".repeat(100),
        ] {
            assert_eq!(UnsubscribeToken::verify(&KEY, bad), None, "{bad}");
        }
    }

    fn read(body: Value) -> Result<ReadRequest, crate::error::Error> {
        Fields::from_body(body)?.read()
    }

    #[test]
    fn read_requests_take_ids_or_all() {
        assert_eq!(
            read(json!({"ids": [1, "2"]})).unwrap(),
            ReadRequest::Ids(vec![1, 2])
        );
        assert_eq!(read(json!({"all": true})).unwrap(), ReadRequest::All);
        assert_eq!(
            read(json!({"ids": [1], "all": true})).unwrap(),
            ReadRequest::All
        );
        assert_eq!(
            read(json!({"ids": [], "all": false})).unwrap(),
            ReadRequest::Ids(vec![])
        );
        // Ids no row can have are dropped, not an error.
        assert_eq!(
            read(json!({"ids": [99_999_999_999_i64]})).unwrap(),
            ReadRequest::Ids(vec![])
        );
        assert_eq!(read(json!({})).unwrap(), ReadRequest::Ids(vec![]));
        assert_eq!(
            read(json!({"ids": null, "all": false})).unwrap(),
            ReadRequest::Ids(vec![])
        );
        for bad in [
            json!({"all": 1}),
            json!({"ids": "1"}),
            json!({"ids": ["x"]}),
            json!({"ids": (0..101).collect::<Vec<_>>()}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }
}
