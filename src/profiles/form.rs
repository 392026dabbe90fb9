//! Reading the profile form (`multipart/form-data`, or `application/x-www-form-urlencoded` for the
//! text fields) with FastAPI's semantics and bounded memory.
//!
//! - Every part is read chunk by chunk. The avatar is kept up to [`Avatar::MAX_BYTES`] + 1 bytes:
//!   reading stops there, so a 50 MB upload costs about 1 MB and is answered at once with the 422.
//!   Fields after that point are never seen, so only the failures found so far are reported.
//! - Text parts keep at most [`TEXT_MAX_BYTES`]; the rest of such a part is skipped and the field
//!   reported as too long (pydantic's `string_too_long`).
//! - As Starlette does, a body of any other content type is an empty form (every field missing),
//!   an empty text value is a missing value, and the last of repeated fields wins. A malformed
//!   multipart body is a 422 too (FastAPI answers 400 there).
//!
//! A body left unread is dealt with by [`super::body::hold_unread_body`].

use axum::{
    body::HttpBody,
    extract::{FromRequest, Multipart, Request, multipart::Field},
    http::StatusCode,
};
use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value, json};

use super::{domain::Avatar, error::ProfileError};
use crate::{
    error::{Error, FieldError},
    validation::{Fields, FilePart, FormInput, FromFields, Invalid},
};

/// Longest text value kept from a part.
pub const TEXT_MAX_BYTES: usize = 64 * 1024;

/// The route's whole-body limit: room for a full avatar, every text field at its limit and the
/// multipart framing, so the per-field checks (422) always come first; only bodies padded with
/// repeated or unknown parts reach it (413).
pub const BODY_LIMIT: usize = Avatar::MAX_BYTES + 16 * TEXT_MAX_BYTES + 64 * 1024;

/// A form as received, before validation: the text values, the parts that failed as received and
/// the file, ready to be read by `validation::Fields` like any other input.
#[derive(Debug, Default)]
pub struct RawForm {
    text: Map<String, Value>,
    rest: FormInput,
}

/// The one file field of the profile form.
const FILE_FIELD: &str = "avatar";

impl RawForm {
    /// A text-only form (tests, urlencoded bodies).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            form.text_part(name.to_owned(), value.to_owned(), false, false);
        }
        form
    }

    /// A text part; the last of repeated parts wins. A file sent where text was expected is
    /// pydantic's `string_type`; a value cut at [`TEXT_MAX_BYTES`] is `string_too_long`.
    fn text_part(&mut self, name: String, value: String, too_long: bool, is_file: bool) {
        // `swap_remove`, not `shift_remove`: a body of many small parts repeating earlier names
        // would make each removal move every later entry (quadratic in the part count). The order
        // of the text fields is never read: a form's fields are read by name.
        self.text.swap_remove(&name);
        self.rest.failed.remove(&name);
        if is_file {
            let invalid = Invalid::new("string_type", "Input should be a valid string");
            self.rest.failed.insert(name, (invalid, Value::Null));
        } else if too_long {
            let invalid = super::domain::too_long(TEXT_MAX_BYTES);
            self.rest
                .failed
                .insert(name, (invalid, Value::String(value)));
        } else {
            self.text.insert(name, Value::String(value));
        }
    }

    /// The reader of this form, for `Fields::read`.
    pub fn into_fields(self) -> Fields {
        Fields::form(self.text, self.rest)
    }
}

/// Axum extractor: the request's form read into `T`.
#[derive(Debug)]
pub struct ProfileForm<T>(pub T);

impl<S: Send + Sync, T: FromFields> FromRequest<S> for ProfileForm<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = read_form(req, state).await?;
        form.into_fields().read().map(ProfileForm)
    }
}

/// Reads the body into a [`RawForm`].
async fn read_form<S: Send + Sync>(req: Request, state: &S) -> Result<RawForm, Error> {
    // No body is no field, whatever the content type says (multer would call it incomplete).
    let Some(media_type) =
        crate::http::extract::media_type(req.headers()).filter(|_| !req.body().is_end_stream())
    else {
        return Ok(RawForm::default());
    };
    match (media_type.type_(), media_type.subtype()) {
        (mime::MULTIPART, mime::FORM_DATA) => {
            let multipart = Multipart::from_request(req, state)
                .await
                .map_err(|_| parse_error())?;
            read_multipart(multipart).await
        }
        (mime::APPLICATION, mime::WWW_FORM_URLENCODED) => {
            let body = Bytes::from_request(req, state)
                .await
                .map_err(|r| Error::detail(r.status(), r.body_text()))?;
            let pairs: Vec<(String, String)> =
                url::form_urlencoded::parse(&body).into_owned().collect();
            Ok(RawForm::from_pairs(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ))
        }
        _ => Ok(RawForm::default()),
    }
}

/// The multipart body could not be parsed.
fn parse_error() -> Error {
    Error::field(FieldError::new(
        "value_error",
        vec![json!("body")],
        "Value error, There was an error parsing the body",
        Value::Null,
    ))
}

/// A multipart failure: over the route's limit (413, as for any body) or malformed (422).
fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ProfileError::BodyTooLarge.into()
    } else {
        tracing::debug!(error = %e, "malformed multipart body");
        parse_error()
    }
}

/// Why a part's reading ended.
enum PartEnd {
    Complete,
    /// The part went past its limit; the rest of the body is left unread.
    StopReading,
}

/// Reads parts until the end, or until a part goes past its limit (the rest is left unread).
async fn read_multipart(mut multipart: Multipart) -> Result<RawForm, Error> {
    let mut form = RawForm::default();
    loop {
        let Some(field) = multipart.next_field().await.map_err(multipart_error)? else {
            return Ok(form);
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let end = if name == FILE_FIELD {
            read_file(field, file_name, &mut form).await
        } else {
            read_text(field, name, file_name.is_some(), &mut form).await
        }
        .map_err(multipart_error)?;
        if let PartEnd::StopReading = end {
            form.rest.cut_short = true;
            return Ok(form);
        }
    }
}

async fn read_file(
    mut field: Field<'_>,
    file_name: Option<String>,
    form: &mut RawForm,
) -> Result<PartEnd, axum::extract::multipart::MultipartError> {
    let mut bytes = BytesMut::new();
    let mut end = PartEnd::Complete;
    while let Some(chunk) = field.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > Avatar::MAX_BYTES {
            end = PartEnd::StopReading;
            break;
        }
    }
    let file = FilePart {
        bytes: bytes.freeze(),
        file_name,
    };
    form.rest.files.insert(FILE_FIELD.to_owned(), file);
    Ok(end)
}

async fn read_text(
    mut field: Field<'_>,
    name: String,
    is_file: bool,
    form: &mut RawForm,
) -> Result<PartEnd, axum::extract::multipart::MultipartError> {
    let mut bytes = BytesMut::new();
    let mut too_long = false;
    // Unknown parts are skipped, but still read within the same bound.
    while let Some(chunk) = field.chunk().await? {
        let room = TEXT_MAX_BYTES.saturating_sub(bytes.len());
        if chunk.len() > room {
            too_long = true;
        }
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    let value = String::from_utf8_lossy(&bytes).into_owned();
    form.text_part(name, value, too_long, is_file);
    Ok(PartEnd::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::domain::{Gender, PersonName, ProfileInfo};

    #[derive(Debug, FromFields)]
    struct Sample {
        #[field(rename = "first_name")]
        name: PersonName,
        gender: Option<Gender>,
        #[field(keep_empty)]
        info: ProfileInfo,
    }

    fn errors(form: RawForm) -> Vec<FieldError> {
        match form.into_fields().read::<Sample>() {
            Err(Error::Validation(e)) => e,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn missing_and_empty_fields_are_missing_except_info() {
        let e = errors(RawForm::from_pairs([("first_name", ""), ("info", "")]));
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].kind.as_ref(), e[0].msg.as_str()),
            ("missing", "Field required")
        );
        assert_eq!(e[0].loc, vec![json!("body"), json!("first_name")]);
        assert_eq!(e[0].input, Value::Null);
        assert_eq!(
            e[1].msg,
            "Value error, Info field cannot be empty or contain only spaces."
        );
        assert_eq!(e[1].loc, vec![json!("body"), json!("info")]);
    }

    #[test]
    fn every_failure_is_reported_in_field_order() {
        let e = errors(RawForm::from_pairs([
            ("info", " "),
            ("gender", "x"),
            ("first_name", "Jöhn"),
        ]));
        let fields: Vec<&Value> = e.iter().map(|e| &e.loc[1]).collect();
        assert_eq!(
            fields,
            [&json!("first_name"), &json!("gender"), &json!("info")]
        );
        assert_eq!(e[0].input, json!("Jöhn"));
    }

    #[test]
    fn optional_fields_may_be_absent_or_empty() {
        let ok = RawForm::from_pairs([("first_name", "Ann"), ("gender", ""), ("info", "x")])
            .into_fields()
            .read::<Sample>()
            .unwrap();
        assert_eq!(ok.gender, None);
        assert_eq!(ok.name.as_str(), "ann");
        assert_eq!(ok.info.as_str(), "x");
    }

    #[test]
    fn the_last_of_repeated_parts_wins_whatever_came_between() {
        let mut form = RawForm::from_pairs([("first_name", "Ann"), ("info", "x")]);
        for i in 0..100 {
            form.text_part(format!("extra{i}"), "y".into(), false, false);
        }
        form.text_part("first_name".into(), "B0b".into(), false, true);
        form.text_part("first_name".into(), "Bob".into(), false, false);
        let ok = form.into_fields().read::<Sample>().unwrap();
        assert_eq!(ok.name.as_str(), "bob");
    }

    #[test]
    fn cut_short_forms_report_only_what_was_read() {
        let mut form = RawForm::from_pairs([("first_name", "B0b")]);
        form.rest.cut_short = true;
        let e = errors(form);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].loc[1], json!("first_name"));
    }
}
