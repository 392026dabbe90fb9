//! `Email` and `Password`: account input parsed once, at the edge, with the original's messages, so
//! everything downstream holds only valid values ("parse, don't validate").

use email_address::{EmailAddress, Options};
use serde_json::{Value, json};
use utoipa::openapi::KnownFormat;

use crate::validation::{FromInput, Invalid};

/// A syntactically valid e-mail address, lower-cased (the original lower-cases every e-mail field).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

/// The longest address SMTP can carry (RFC 5321 path limit less the angle brackets).
const MAX_EMAIL_LEN: usize = 254;

impl Email {
    /// The address the API documents use.
    pub(crate) fn example() -> Self {
        Self("user@example.com".to_owned())
    }

    /// Parses an address; the error is the reason pydantic's `EmailStr` would give (email-validator's
    /// wording where it has an equivalent).
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.chars().count() > MAX_EMAIL_LEN {
            return Err(format!(
                "The email address is too long ({} characters too many).",
                input.chars().count() - MAX_EMAIL_LEN
            ));
        }
        // pydantic (email-validator) wants a dotted domain name: no `user@localhost`, no
        // `user@[127.0.0.1]`, no display names.
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        EmailAddress::parse_with_options(input, options)
            .map(|address| Self(address.email().to_lowercase()))
            .map_err(|e| {
                use email_address::Error as E;
                match e {
                    E::MissingSeparator => "An email address must have an @-sign.".to_owned(),
                    E::LocalPartEmpty => "There must be something before the @-sign.".to_owned(),
                    E::DomainEmpty => "There must be something after the @-sign.".to_owned(),
                    E::DomainTooFew => {
                        "The part after the @-sign is not valid. It should have a period."
                            .to_owned()
                    }
                    other => other.to_string(),
                }
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

crate::value_schema!(Email => crate::http::openapi::string_as(KnownFormat::Email)
    .example(Some(serde_json::json!("user@example.com")))
    .pattern(Some(crate::http::openapi::NO_NUL)));

impl FromInput for Email {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let text = String::from_input(value)?;
        Self::parse(&text).map_err(|reason| {
            Invalid::new(
                "value_error",
                format!("value is not a valid email address: {reason}"),
            )
            .with_ctx(json!({ "reason": reason }))
        })
    }
}

/// A password that satisfies the original's five rules. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// The characters the original's last rule accepts.
const SPECIAL: &[char] = &['@', '$', '!', '%', '*', '?', '#', '&'];

impl Password {
    /// The shortest password the rules allow.
    pub const MIN_CHARS: usize = 8;

    /// Checks the rules in the original's order and reports the first that fails.
    pub fn parse(input: String) -> Result<Self, &'static str> {
        let has = |test: fn(char) -> bool| input.chars().any(test);
        if input.chars().count() < Self::MIN_CHARS {
            Err("Password must contain at least 8 characters.")
        } else if !has(|c| c.is_ascii_uppercase()) {
            Err("Password must contain at least one uppercase letter.")
        } else if !has(|c| c.is_ascii_lowercase()) {
            Err("Password must contain at least one lower letter.")
        } else if !has(char::is_numeric) {
            Err("Password must contain at least one digit.")
        } else if !has(|c| SPECIAL.contains(&c)) {
            Err("Password must contain at least one special character: @, $, !, %, *, ?, #, &.")
        } else {
            Ok(Self(input))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

crate::value_schema!(Password => crate::http::openapi::string_as(KnownFormat::Password)
    .description(Some(
        "At least 8 characters, with an uppercase and a lowercase letter (A-Z, a-z), a digit and \
         one of `@ $ ! % * ? # &`; no NUL. A 422 never echoes it: its `input` is `\"[redacted]\"`.",
    ))
    .example(Some(json!("Str0ng#Pass")))
    .min_length(Some(Password::MIN_CHARS))
    .pattern(Some(crate::http::openapi::PASSWORD_PATTERN)));

impl FromInput for Password {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let text = String::from_input(value)?;
        Self::parse(text).map_err(Invalid::value_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(input: &str) -> &'static str {
        Password::parse(input.to_owned()).unwrap_err()
    }

    #[test]
    fn password_rules_are_checked_in_the_original_order() {
        // Each input breaks every rule from the one expected onwards, so a reordering shows up.
        assert_eq!(rule("a"), "Password must contain at least 8 characters.");
        assert_eq!(
            rule("abcdefgh"),
            "Password must contain at least one uppercase letter."
        );
        assert_eq!(
            rule("ABCDEFGH"),
            "Password must contain at least one lower letter."
        );
        assert_eq!(
            rule("ABCDefgh"),
            "Password must contain at least one digit."
        );
        assert_eq!(
            rule("ABCDefg1"),
            "Password must contain at least one special character: @, $, !, %, *, ?, #, &."
        );
        assert!(Password::parse("ABCDef1#".into()).is_ok());
        // Length counts characters, not bytes.
        assert_eq!(
            rule("Aé1#ééé"),
            "Password must contain at least 8 characters."
        );
    }

    #[test]
    fn password_errors_are_pydantic_value_errors_and_hidden_from_debug() {
        let e = Password::from_input(&json!("short")).unwrap_err();
        assert_eq!(e.kind, "value_error");
        assert_eq!(
            e.msg,
            "Value error, Password must contain at least 8 characters."
        );
        assert_eq!(
            Password::from_input(&json!(12345678)).unwrap_err().kind,
            "string_type"
        );
        let p = Password::parse("Secret#123".into()).unwrap();
        assert!(!format!("{p:?}").contains("Secret"));
    }

    #[test]
    fn emails_are_validated_and_lower_cased() {
        assert_eq!(
            Email::parse("John.Doe@Example.COM").unwrap().as_str(),
            "john.doe@example.com"
        );
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@[127.0.0.1]",
            "A <a@b.io>",
            "a b@c.io",
            "a@@b.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            Email::parse("plain").unwrap_err(),
            "An email address must have an @-sign."
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().contains("too long"));
    }

    #[test]
    fn email_errors_look_like_pydantic_emailstr() {
        let e = Email::from_input(&json!("nope")).unwrap_err();
        assert_eq!(e.kind, "value_error");
        assert_eq!(
            e.msg,
            "value is not a valid email address: An email address must have an @-sign."
        );
        assert_eq!(
            e.ctx.as_deref(),
            Some(&json!({"reason": "An email address must have an @-sign."}))
        );
        assert_eq!(
            Email::from_input(&json!(null)).unwrap_err().kind,
            "string_type"
        );
    }
}
