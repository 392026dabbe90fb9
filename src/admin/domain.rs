//! The administration's value types: what a staff member may do ([`Permission`]), the order of the
//! user list ([`UserSort`]), its e-mail search ([`EmailSearch`]), a group as a parameter
//! ([`GroupName`]) and an audit action filter ([`ActionName`]).

use serde_json::{Value, json};

use crate::{
    auth::Group,
    http::openapi::string,
    movies::domain::string_too_long,
    validation::{FromInput, Invalid, at_most_chars, text},
};

/// What an `/admin/` endpoint does, and so who may (EXTENSIONS.md: moderators read users and
/// moderate reviews; everything else is for admins). The `Display` text is the 403's `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum Permission {
    ReadUsers,
    ChangeUsers,
    RevokeSessions,
    DeleteUsers,
    ModerateReviews,
    ReadAudit,
}

impl Permission {
    /// The least group that has it.
    pub fn needs(self) -> Group {
        match self {
            Self::ReadUsers | Self::ModerateReviews => Group::Moderator,
            Self::ChangeUsers | Self::RevokeSessions | Self::DeleteUsers | Self::ReadAudit => {
                Group::Admin
            }
        }
    }

    pub fn allows(self, group: Group) -> bool {
        group >= self.needs()
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ReadUsers => "Only moderators and admins can read users.",
            Self::ChangeUsers => "Only admins can change users.",
            Self::RevokeSessions => "Only admins can revoke sessions.",
            Self::DeleteUsers => "Only admins can delete users.",
            Self::ModerateReviews => "Only moderators and admins can moderate reviews.",
            Self::ReadAudit => "Only admins can read the audit log.",
        })
    }
}

/// The order of `GET /admin/users/`: `-id` (newest accounts first, the default), `id`, `email`,
/// `created_at`, `-created_at`. Ties fall to the id, so pages never overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, strum::VariantArray)]
pub enum UserSort {
    Id,
    #[default]
    IdDesc,
    Email,
    CreatedAt,
    CreatedAtDesc,
}

impl UserSort {
    const EXPECTED: &'static str = "'id', '-id', 'email', 'created_at' or '-created_at'";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::IdDesc => "-id",
            Self::Email => "email",
            Self::CreatedAt => "created_at",
            Self::CreatedAtDesc => "-created_at",
        }
    }

    /// The `ORDER BY` over `users u`. Only ever one of these texts.
    pub fn order_by(self) -> &'static str {
        match self {
            Self::Id => "u.id ASC",
            Self::IdDesc => "u.id DESC",
            Self::Email => "u.email ASC, u.id ASC",
            Self::CreatedAt => "u.created_at ASC, u.id ASC",
            Self::CreatedAtDesc => "u.created_at DESC, u.id DESC",
        }
    }
}

impl FromInput for UserSort {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        use strum::VariantArray;
        value
            .as_str()
            .and_then(|s| Self::VARIANTS.iter().copied().find(|v| v.as_str() == s))
            .ok_or_else(|| {
                Invalid::new("enum", format!("Input should be {}", Self::EXPECTED))
                    .with_ctx(json!({ "expected": Self::EXPECTED }))
            })
    }
}

crate::value_schema!(UserSort => string()
    .enum_values(Some(["id", "-id", "email", "created_at", "-created_at"]))
    .default(Some(json!("-id"))));

/// The longest e-mail search (an address is at most 254 characters).
pub const SEARCH_MAX_CHARS: usize = 254;

/// A part of an e-mail address to look for, case-insensitively: 1 to [`SEARCH_MAX_CHARS`]
/// characters, taken as given (no trimming: what the schema states is what is checked), kept in
/// lower case (addresses are stored in lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailSearch(String);

impl EmailSearch {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `LIKE … ESCAPE '\'` pattern matching the text anywhere: `%` and `_` in it are literal.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

impl FromInput for EmailSearch {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let s = text(value)?;
        if s.is_empty() {
            return Err(crate::movies::domain::string_too_short(1));
        }
        if !at_most_chars(s, SEARCH_MAX_CHARS) {
            return Err(string_too_long(SEARCH_MAX_CHARS));
        }
        Ok(Self(s.to_lowercase()))
    }
}

crate::value_schema!(EmailSearch => string()
    .min_length(Some(1))
    .max_length(Some(SEARCH_MAX_CHARS))
    .description(Some("Part of the e-mail address, any case"))
    .example(Some(json!("example.com"))));

/// A group named in a request: `user`, `moderator` or `admin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupName(pub Group);

impl FromInput for GroupName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        const EXPECTED: &str = "'user', 'moderator' or 'admin'";
        value
            .as_str()
            .and_then(|s| s.parse().ok())
            .map(Self)
            .ok_or_else(|| {
                Invalid::new("enum", format!("Input should be {EXPECTED}"))
                    .with_ctx(json!({ "expected": EXPECTED }))
            })
    }
}

crate::value_schema!(GroupName => string()
    .enum_values(Some(["user", "moderator", "admin"])));

/// The longest action name filtered by.
pub const ACTION_MAX_CHARS: usize = 64;

/// An audit action to filter by (`user.update`, …): 1 to [`ACTION_MAX_CHARS`] characters, matched
/// exactly. Not a closed list: entries written by a newer release stay findable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionName(String);

impl ActionName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromInput for ActionName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let s = text(value)?;
        if s.is_empty() {
            return Err(crate::movies::domain::string_too_short(1));
        }
        if !at_most_chars(s, ACTION_MAX_CHARS) {
            return Err(string_too_long(ACTION_MAX_CHARS));
        }
        Ok(Self(s.to_owned()))
    }
}

crate::value_schema!(ActionName => string()
    .min_length(Some(1))
    .max_length(Some(ACTION_MAX_CHARS))
    .example(Some(json!("user.update"))));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moderators_read_users_and_moderate_reviews_and_admins_do_everything() {
        use strum::VariantArray;
        for p in Permission::VARIANTS {
            assert!(p.allows(Group::Admin), "{p:?}");
            assert!(!p.allows(Group::User), "{p:?}");
        }
        assert!(Permission::ReadUsers.allows(Group::Moderator));
        assert!(Permission::ModerateReviews.allows(Group::Moderator));
        for p in [
            Permission::ChangeUsers,
            Permission::RevokeSessions,
            Permission::ReadAudit,
        ] {
            assert!(!p.allows(Group::Moderator), "{p:?}");
        }
        assert_eq!(
            Permission::ChangeUsers.to_string(),
            "Only admins can change users."
        );
    }

    #[test]
    fn sorts_parse_and_order() {
        assert_eq!(UserSort::default(), UserSort::IdDesc);
        assert_eq!(
            UserSort::from_input(&json!("-created_at")),
            Ok(UserSort::CreatedAtDesc)
        );
        assert_eq!(
            UserSort::from_input(&json!("email")).map(UserSort::as_str),
            Ok("email")
        );
        let e = UserSort::from_input(&json!("name")).unwrap_err();
        assert_eq!(e.kind, "enum");
        assert!(e.msg.contains("'-id'"), "{}", e.msg);
        assert!(UserSort::Email.order_by().ends_with("u.id ASC"));
    }

    #[test]
    fn searches_are_lower_case_and_literal() {
        let s = EmailSearch::from_input(&json!("Ad_Min%\\")).unwrap();
        assert_eq!(s.as_str(), "ad_min%\\");
        assert_eq!(s.like_pattern(), "%ad\\_min\\%\\\\%");
        assert_eq!(
            EmailSearch::from_input(&json!("")).unwrap_err().kind,
            "string_too_short"
        );
        assert_eq!(EmailSearch::from_input(&json!(" ")).unwrap().as_str(), " ");
        assert_eq!(
            EmailSearch::from_input(&json!("x".repeat(255)))
                .unwrap_err()
                .kind,
            "string_too_long"
        );
    }

    #[test]
    fn groups_and_actions_parse() {
        assert_eq!(
            GroupName::from_input(&json!("moderator")),
            Ok(GroupName(Group::Moderator))
        );
        assert_eq!(
            GroupName::from_input(&json!("root")).unwrap_err().kind,
            "enum"
        );
        assert_eq!(GroupName::from_input(&json!(3)).unwrap_err().kind, "enum");
        assert_eq!(
            ActionName::from_input(&json!("user.update"))
                .unwrap()
                .as_str(),
            "user.update"
        );
        assert_eq!(
            ActionName::from_input(&json!("")).unwrap_err().kind,
            "string_too_short"
        );
    }
}
