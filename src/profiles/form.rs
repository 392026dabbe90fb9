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

use std::collections::HashMap;

use axum::{
    body::HttpBody,
    extract::{FromRequest, Multipart, Request, multipart::Field},
    http::StatusCode,
};
use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};

use super::domain::{Avatar, too_long};
use crate::{
    error::{Error, FieldError},
    validation::{FromInput, Invalid},
};

/// Longest text value kept from a part.
pub const TEXT_MAX_BYTES: usize = 64 * 1024;

/// The route's whole-body limit: room for a full avatar, every text field at its limit and the
/// multipart framing, so the per-field checks (422) always come first; only bodies padded with
/// repeated or unknown parts reach it (413).
pub const BODY_LIMIT: usize = Avatar::MAX_BYTES + 16 * TEXT_MAX_BYTES + 64 * 1024;

/// The file part, as received (the avatar is validated later, with the other fields).
#[derive(Debug)]
pub struct FilePart {
    /// At most `Avatar::MAX_BYTES` + one chunk.
    pub bytes: Bytes,
    pub file_name: Option<String>,
}

#[derive(Debug)]
struct TextPart {
    value: String,
    too_long: bool,
    /// A file was sent where text was expected.
    is_file: bool,
}

/// A form as received, before validation.
#[derive(Debug, Default)]
pub struct RawForm {
    text: HashMap<String, TextPart>,
    file: Option<FilePart>,
    /// Reading stopped early: absent fields may simply not have been read.
    cut_short: bool,
}

/// The one file field of the profile form.
const FILE_FIELD: &str = "avatar";

impl RawForm {
    /// A text-only form (tests, urlencoded bodies).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            form.text.insert(
                name.to_owned(),
                TextPart {
                    value: value.to_owned(),
                    too_long: false,
                    is_file: false,
                },
            );
        }
        form
    }
}

/// A request type read from a [`RawForm`], collecting every failure.
pub trait FromForm: Sized {
    fn from_form(form: &mut FormFields) -> Option<Self>;
}

/// Field-by-field reader over a [`RawForm`] (the form counterpart of `validation::Fields`).
pub struct FormFields {
    form: RawForm,
    errors: Vec<FieldError>,
    avatar_seen: bool,
}

fn loc(name: &str) -> Vec<Value> {
    vec![json!("body"), json!(name)]
}

impl FormFields {
    pub fn new(form: RawForm) -> Self {
        Self {
            form,
            errors: Vec::new(),
            avatar_seen: false,
        }
    }

    /// A text field that must be present, non-empty and valid.
    pub fn required<T: FromInput>(&mut self, name: &str) -> Option<T> {
        if self.is_absent(name) {
            self.missing(name);
            return None;
        }
        self.parse(name)
    }

    /// A text field whose empty value is still a value (FastAPI would call it missing, but the
    /// contract gives `info` its own message for it).
    pub fn required_keep_empty<T: FromInput>(&mut self, name: &str) -> Option<T> {
        if !self.form.text.contains_key(name) {
            self.missing(name);
            return None;
        }
        self.parse(name)
    }

    /// A text field that may be absent or empty; other values must be valid.
    pub fn optional<T: FromInput>(&mut self, name: &str) -> Option<T> {
        if self.is_absent(name) {
            return None;
        }
        self.parse(name)
    }

    /// A text field that may be absent; an empty value is validated.
    pub fn optional_keep_empty<T: FromInput>(&mut self, name: &str) -> Option<T> {
        if !self.form.text.contains_key(name) {
            return None;
        }
        self.parse(name)
    }

    fn parse<T: FromInput>(&mut self, name: &str) -> Option<T> {
        let part = self.form.text.get(name)?;
        if part.is_file {
            self.errors.push(FieldError::new(
                "string_type",
                loc(name),
                "Input should be a valid string",
                Value::Null,
            ));
            return None;
        }
        let input = Value::String(part.value.clone());
        let result = if part.too_long {
            Err(too_long(TEXT_MAX_BYTES))
        } else {
            T::from_input(&input)
        };
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(name, e, input);
                None
            }
        }
    }

    /// The avatar, required.
    pub fn avatar(&mut self) -> Option<Avatar> {
        let avatar = self.optional_avatar();
        if avatar.is_none() && !self.avatar_seen {
            self.missing(FILE_FIELD);
        }
        avatar
    }

    /// The avatar, if one was sent.
    pub fn optional_avatar(&mut self) -> Option<Avatar> {
        let file = self.form.file.take()?;
        self.avatar_seen = true;
        let input = file
            .file_name
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null);
        match Avatar::parse(file.bytes, file.file_name.as_deref()) {
            Ok(avatar) => Some(avatar),
            Err(e) => {
                self.push(FILE_FIELD, e, input);
                None
            }
        }
    }

    /// FastAPI treats an empty form value as no value.
    fn is_absent(&self, name: &str) -> bool {
        self.form
            .text
            .get(name)
            .is_none_or(|p| p.value.is_empty() && !p.is_file && !p.too_long)
    }

    /// Records a missing field, unless reading stopped before it could have been seen.
    fn missing(&mut self, name: &str) {
        if self.form.cut_short {
            return;
        }
        self.errors.push(FieldError::new(
            "missing",
            loc(name),
            "Field required",
            Value::Null,
        ));
    }

    fn push(&mut self, name: &str, invalid: Invalid, input: Value) {
        let mut location = loc(name);
        location.extend(invalid.sub_loc);
        self.errors.push(FieldError {
            kind: invalid.kind,
            loc: location,
            msg: invalid.msg,
            input,
            ctx: invalid.ctx.map(|ctx| *ctx),
        });
    }

    /// Reads a whole request type: the value, or the 422 with every failure.
    pub fn read<T: FromForm>(mut self) -> Result<T, Error> {
        let value = T::from_form(&mut self);
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if !self.errors.is_empty() => Err(Error::Validation(self.errors)),
            _ => Err(Error::internal(
                crate::error::INTERNAL_ERROR,
                anyhow::anyhow!("a form type returned no value and recorded no error"),
            )),
        }
    }
}

/// Axum extractor: the request's form read into `T`.
#[derive(Debug)]
pub struct ProfileForm<T>(pub T);

impl<S: Send + Sync, T: FromForm> FromRequest<S> for ProfileForm<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = read_form(req, state).await?;
        FormFields::new(form).read().map(ProfileForm)
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
        Error::detail(StatusCode::PAYLOAD_TOO_LARGE, e.body_text())
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
            form.cut_short = true;
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
    while let Some(chunk) = field.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > Avatar::MAX_BYTES {
            form.file = Some(FilePart {
                bytes: bytes.freeze(),
                file_name,
            });
            return Ok(PartEnd::StopReading);
        }
    }
    form.file = Some(FilePart {
        bytes: bytes.freeze(),
        file_name,
    });
    Ok(PartEnd::Complete)
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
    form.text.insert(
        name,
        TextPart {
            value,
            too_long,
            is_file,
        },
    );
    Ok(PartEnd::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::domain::{Gender, PersonName, ProfileInfo};

    #[derive(Debug)]
    struct Sample {
        name: PersonName,
        gender: Option<Gender>,
        info: ProfileInfo,
    }

    impl FromForm for Sample {
        fn from_form(f: &mut FormFields) -> Option<Self> {
            let name = f.required("first_name");
            let gender = f.optional("gender");
            let info = f.required_keep_empty("info");
            Some(Self {
                name: name?,
                gender,
                info: info?,
            })
        }
    }

    fn errors(form: RawForm) -> Vec<FieldError> {
        match FormFields::new(form).read::<Sample>() {
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
        let ok = FormFields::new(RawForm::from_pairs([
            ("first_name", "Ann"),
            ("gender", ""),
            ("info", "x"),
        ]))
        .read::<Sample>()
        .unwrap();
        assert_eq!(ok.gender, None);
        assert_eq!(ok.name.as_str(), "ann");
        assert_eq!(ok.info.as_str(), "x");
    }

    #[test]
    fn cut_short_forms_report_only_what_was_read() {
        let mut form = RawForm::from_pairs([("first_name", "B0b")]);
        form.cut_short = true;
        let e = errors(form);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].loc[1], json!("first_name"));
    }
}
