//! The reviews' value types: a review's text, a report's reason, the order of a movie's reviews,
//! and the name under which a user is shown to others.

use serde_json::{Value, json};

use crate::{
    http::openapi::string,
    movies::domain::{string_too_long, string_too_short},
    validation::{FromInput, Invalid, at_most_chars, text},
};

/// The most characters a review may have (EXTENSIONS.md: 1–5000, after trimming).
pub const REVIEW_MAX_CHARS: usize = 5000;
/// The most characters a report's reason may have.
pub const REASON_MAX_CHARS: usize = 500;
/// The largest body a review write is read from: 5000 characters, each at worst a JSON escape of a
/// UTF-16 surrogate pair (12 bytes for one 4-byte character), and the rest of the object. A larger
/// body is refused (413) while it arrives, before it is buffered whole.
pub const REVIEW_BODY_MAX_BYTES: usize = REVIEW_MAX_CHARS * 12 + 4096;

/// A string trimmed of surrounding white space, then 1 to `max` characters (pydantic's
/// `string_too_short` / `string_too_long`). The length is checked before the trim copies anything.
fn trimmed(value: &Value, max: usize) -> Result<String, Invalid> {
    let s = text(value)?.trim();
    if s.is_empty() {
        return Err(string_too_short(1));
    }
    if !at_most_chars(s, max) {
        return Err(string_too_long(max));
    }
    Ok(s.to_owned())
}

/// A review's text, trimmed, 1 to [`REVIEW_MAX_CHARS`] characters. Stored as written: escaping is
/// the business of whatever renders it as HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewText(String);

impl ReviewText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromInput for ReviewText {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        trimmed(value, REVIEW_MAX_CHARS).map(Self)
    }
}

crate::value_schema!(ReviewText => string()
    .min_length(Some(1))
    .max_length(Some(REVIEW_MAX_CHARS))
    .description(Some("Trimmed of surrounding white space, then 1 to 5000 characters"))
    .example(Some(json!("A quiet film that stays with you."))));

/// A report's reason, trimmed, 1 to [`REASON_MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportReason(String);

impl ReportReason {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromInput for ReportReason {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        trimmed(value, REASON_MAX_CHARS).map(Self)
    }
}

crate::value_schema!(ReportReason => string()
    .min_length(Some(1))
    .max_length(Some(REASON_MAX_CHARS))
    .description(Some("Trimmed of surrounding white space, then 1 to 500 characters"))
    .example(Some(json!("Spoilers in the first line."))));

/// The order of a movie's top-level reviews: `newest` (the default), `oldest`, or `top` (likes −
/// dislikes, then newest). Ties always fall to the id, so pages never overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum ReviewSort {
    #[default]
    Newest,
    Oldest,
    Top,
}

impl ReviewSort {
    /// The `ORDER BY` of the review list (ids grow with time). Only ever one of these texts.
    pub fn order_by(self) -> &'static str {
        match self {
            Self::Newest => "r.id DESC",
            Self::Oldest => "r.id ASC",
            Self::Top => "r.score DESC, r.id DESC",
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FromInput for ReviewSort {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        const EXPECTED: &str = "'newest', 'oldest' or 'top'";
        value.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
            Invalid::new("enum", format!("Input should be {EXPECTED}"))
                .with_ctx(json!({ "expected": EXPECTED }))
        })
    }
}

crate::value_schema!(ReviewSort => string()
    .enum_values(Some(["newest", "oldest", "top"]))
    .default(Some(json!("newest"))));

/// How a user is shown to others (EXTENSIONS.md): their profile's first and last name, else
/// `user {id}` — never anything from the e-mail address.
pub fn public_name(user_id: i32, first: Option<&str>, last: Option<&str>) -> String {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        format!("user {user_id}")
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_texts_are_trimmed_and_bounded() {
        let ok = ReviewText::from_input(&json!("  Great.\n")).unwrap();
        assert_eq!(ok.as_str(), "Great.");
        let blank = ReviewText::from_input(&json!(" \n\t ")).unwrap_err();
        assert_eq!(blank.kind, "string_too_short");
        let longest = "é".repeat(REVIEW_MAX_CHARS);
        assert!(ReviewText::from_input(&json!(longest)).is_ok());
        let long = format!("{longest}x");
        assert_eq!(
            ReviewText::from_input(&json!(long)).unwrap_err().kind,
            "string_too_long"
        );
        // Surrounding spaces do not count.
        assert!(ReviewText::from_input(&json!(format!("  {longest}  "))).is_ok());
        assert_eq!(
            ReviewText::from_input(&json!(5)).unwrap_err().kind,
            "string_type"
        );
        assert_eq!(
            ReviewText::from_input(&json!("a\0b")).unwrap_err().kind,
            "value_error"
        );
    }

    #[test]
    fn reasons_have_at_most_500_characters() {
        assert!(ReportReason::from_input(&json!("x".repeat(500))).is_ok());
        assert_eq!(
            ReportReason::from_input(&json!("x".repeat(501)))
                .unwrap_err()
                .kind,
            "string_too_long"
        );
        assert_eq!(
            ReportReason::from_input(&json!("")).unwrap_err().kind,
            "string_too_short"
        );
    }

    #[test]
    fn sorts_are_newest_oldest_or_top() {
        assert_eq!(ReviewSort::default(), ReviewSort::Newest);
        assert_eq!(ReviewSort::from_input(&json!("top")), Ok(ReviewSort::Top));
        assert_eq!(ReviewSort::Oldest.as_str(), "oldest");
        let e = ReviewSort::from_input(&json!("best")).unwrap_err();
        assert_eq!(e.msg, "Input should be 'newest', 'oldest' or 'top'");
    }

    #[test]
    fn public_names_never_come_from_the_email() {
        assert_eq!(
            public_name(7, Some("Ada"), Some("Lovelace")),
            "Ada Lovelace"
        );
        assert_eq!(public_name(7, Some(" Ada "), None), "Ada");
        assert_eq!(public_name(7, Some(""), Some("  ")), "user 7");
        assert_eq!(public_name(7, None, None), "user 7");
    }
}
