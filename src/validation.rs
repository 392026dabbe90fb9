//! Input parsing with FastAPI's 422 semantics.
//!
//! The contract promises pydantic's error list: *every* failed field reported at once, each with its
//! `type`, `loc`, `msg` and `input`. serde stops at the first error, so request types are read field by
//! field from a JSON object (a body, a query string or path parameters turned into one): each field is
//! parsed into its domain type through [`FromInput`], failures are collected in [`Fields`], and a request
//! value exists only when every field parsed. Domain types (`Email`, `Password`, ...) implement
//! [`FromInput`] with the contract's messages, so handlers never see invalid input.

use std::{borrow::Cow, collections::HashMap};

use bytes::Bytes;
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::error::{Error, FieldError};

/// Why one value was rejected, before its location is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub kind: Cow<'static, str>,
    pub msg: String,
    /// Boxed: a `Value` object is an `IndexMap` (insertion order kept), and every parse result
    /// carries this type in its `Err`, so it stays small.
    pub ctx: Option<Box<Value>>,
    /// Location inside the value (array index, nested field), appended to the field's own location.
    pub sub_loc: Vec<Value>,
}

impl Invalid {
    pub fn new(kind: impl Into<Cow<'static, str>>, msg: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            msg: msg.into(),
            ctx: None,
            sub_loc: Vec::new(),
        }
    }

    /// A custom validator's failure, worded as pydantic words a `ValueError`: `Value error, {msg}`.
    pub fn value_error(msg: impl std::fmt::Display) -> Self {
        Self {
            kind: "value_error".into(),
            msg: format!("Value error, {msg}"),
            ctx: Some(Box::new(json!({ "error": {} }))),
            sub_loc: Vec::new(),
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(Box::new(ctx));
        self
    }

    /// pydantic's `greater_than_equal` error.
    pub fn ge(limit: impl std::fmt::Display + serde::Serialize) -> Self {
        Self::new(
            "greater_than_equal",
            format!("Input should be greater than or equal to {limit}"),
        )
        .with_ctx(json!({ "ge": limit }))
    }

    /// pydantic's `less_than_equal` error.
    pub fn le(limit: impl std::fmt::Display + serde::Serialize) -> Self {
        Self::new(
            "less_than_equal",
            format!("Input should be less than or equal to {limit}"),
        )
        .with_ctx(json!({ "le": limit }))
    }

    fn at(self, mut loc: Vec<Value>, input: &Value) -> FieldError {
        loc.extend(self.sub_loc);
        FieldError {
            kind: self.kind,
            loc,
            msg: self.msg,
            input: input.clone(),
            ctx: self.ctx.map(|ctx| *ctx),
        }
    }
}

/// A type that can be read from one JSON value (a body field, or a query/path/form string).
/// Implementations follow pydantic's lax mode: numbers may arrive as strings.
pub trait FromInput: Sized {
    fn from_input(value: &Value) -> Result<Self, Invalid>;
}

/// `#[derive(FromFields)]` writes the reading from the struct (see `theater-macros`); a type with a
/// rule across fields implements the trait by hand.
pub use theater_macros::FromFields;

/// A request type read field by field (see the module comment).
pub trait FromFields: Sized {
    /// Reads every field; returns `None` when any failed (the failures are recorded in `fields`).
    fn from_fields(fields: &mut Fields) -> Option<Self>;
}

/// A type that can be read from a form's file part.
pub trait FromFile: Sized {
    fn from_file(file: FilePart) -> Result<Self, Invalid>;
}

/// A file part of a form, as received (a reader may stop just past its type's limit).
#[derive(Debug)]
pub struct FilePart {
    pub bytes: Bytes,
    pub file_name: Option<String>,
}

/// What a form (`multipart/form-data`, urlencoded) adds to the object of its text fields.
#[derive(Debug, Default)]
pub struct FormInput {
    /// Text parts that failed as received (a file where text was expected, a value past the
    /// reader's limit), with the input their error shows.
    pub failed: HashMap<String, (Invalid, Value)>,
    pub files: HashMap<String, FilePart>,
    /// Reading stopped early: absent fields may simply not have been read.
    pub cut_short: bool,
}

/// Field-by-field reader over one JSON object, collecting failures: the one reader of JSON bodies,
/// query strings, path parameters and forms.
///
/// A form follows FastAPI's `Form()` rather than pydantic's JSON rules: an empty value is no value
/// (Starlette), except in a field read with `keep_empty`; a missing field's error shows `null`, not
/// the whole input; and a form whose reading stopped early reports no field missing.
#[derive(Debug)]
pub struct Fields {
    source: &'static str,
    input: Map<String, Value>,
    errors: Vec<FieldError>,
    form: Option<FormInput>,
}

impl Fields {
    /// `source` is the first `loc` element: `body`, `query`, `path` or `form`... FastAPI says `body`
    /// for multipart forms too.
    pub fn new(source: &'static str, input: Map<String, Value>) -> Self {
        Self {
            source,
            input,
            errors: Vec::new(),
            form: None,
        }
    }

    /// A form: its text fields and what else came with them (FastAPI's `loc` is `body`).
    pub fn form(text: Map<String, Value>, form: FormInput) -> Self {
        Self {
            form: Some(form),
            ..Self::new("body", text)
        }
    }

    /// Reads a whole JSON body; anything but an object is pydantic's `model_attributes_type`.
    pub fn from_body(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Ok(Self::new("body", map)),
            other => Err(Error::field(FieldError::new(
                "model_attributes_type",
                vec![json!("body")],
                "Input should be a valid dictionary or object to extract fields from",
                other,
            ))),
        }
    }

    fn loc(&self, name: &str) -> Vec<Value> {
        vec![json!(self.source), json!(name)]
    }

    /// The raw value of a field, if present.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.input.get(name)
    }

    /// A field that must be present and valid.
    pub fn required<T: FromInput>(&mut self, name: &str) -> Option<T> {
        self.read_required(name, false)
    }

    /// A field that must be present; a form's empty value is still a value (FastAPI would call it
    /// missing, but the contract gives the profile's `info` its own message for it).
    pub fn required_keep_empty<T: FromInput>(&mut self, name: &str) -> Option<T> {
        self.read_required(name, true)
    }

    /// A field that may be absent or `null` (or, in a form, empty); present values must be valid.
    pub fn optional<T: FromInput>(&mut self, name: &str) -> Option<T> {
        self.read_optional(name, false)
    }

    /// A field that may be absent or `null`; a form's empty value is validated.
    pub fn optional_keep_empty<T: FromInput>(&mut self, name: &str) -> Option<T> {
        self.read_optional(name, true)
    }

    /// A form's file that must be present and valid.
    pub fn file<T: FromFile>(&mut self, name: &str) -> Option<T> {
        match self.take_file(name) {
            Some(file) => self.parse_file(name, file),
            None => {
                self.missing(name);
                None
            }
        }
    }

    /// A form's file that may be absent; a present one must be valid.
    pub fn optional_file<T: FromFile>(&mut self, name: &str) -> Option<T> {
        let file = self.take_file(name)?;
        self.parse_file(name, file)
    }

    fn read_required<T: FromInput>(&mut self, name: &str, keep_empty: bool) -> Option<T> {
        if self.failed_as_received(name) {
            return None;
        }
        match self.present(name, keep_empty) {
            Some(value) => self.parse(name, value.clone()),
            None => {
                self.missing(name);
                None
            }
        }
    }

    fn read_optional<T: FromInput>(&mut self, name: &str, keep_empty: bool) -> Option<T> {
        if self.failed_as_received(name) {
            return None;
        }
        match self.present(name, keep_empty) {
            None | Some(Value::Null) => None,
            Some(value) => self.parse(name, value.clone()),
        }
    }

    /// The field's value, unless it counts as absent: in a form an empty value is no value (unless
    /// `keep_empty`).
    fn present(&self, name: &str, keep_empty: bool) -> Option<&Value> {
        let value = self.input.get(name)?;
        let empty_is_absent = self.form.is_some() && !keep_empty;
        (!(empty_is_absent && value.as_str() == Some(""))).then_some(value)
    }

    /// Records the failure of a form part that failed as received; `false` when it did not.
    fn failed_as_received(&mut self, name: &str) -> bool {
        let Some((invalid, input)) = self.form.as_mut().and_then(|f| f.failed.remove(name)) else {
            return false;
        };
        let error = invalid.at(self.loc(name), &input);
        self.errors.push(error);
        true
    }

    /// pydantic's `missing`; its input is the whole JSON object, or `null` in a form. Not recorded
    /// for a form whose reading stopped before the field could have been seen.
    fn missing(&mut self, name: &str) {
        let input = match &self.form {
            Some(form) if form.cut_short => return,
            Some(_) => Value::Null,
            None => Value::Object(self.input.clone()),
        };
        let error = FieldError::new("missing", self.loc(name), "Field required", input);
        self.errors.push(error);
    }

    fn take_file(&mut self, name: &str) -> Option<FilePart> {
        self.form.as_mut()?.files.remove(name)
    }

    /// The file's own name is what its errors show.
    fn parse_file<T: FromFile>(&mut self, name: &str, file: FilePart) -> Option<T> {
        let input = file.file_name.clone().map_or(Value::Null, Value::String);
        match T::from_file(file) {
            Ok(v) => Some(v),
            Err(invalid) => {
                let error = invalid.at(self.loc(name), &input);
                self.errors.push(error);
                None
            }
        }
    }

    /// An optional field with a default (query parameters such as `page`).
    pub fn with_default<T: FromInput>(&mut self, name: &str, default: T) -> Option<T> {
        match self.input.get(name) {
            None => Some(default),
            Some(value) => self.parse(name, value.clone()),
        }
    }

    /// Records a failure found by a check that spans the field's parsed value.
    pub fn reject(&mut self, name: &str, invalid: Invalid) {
        let input = self.input.get(name).cloned().unwrap_or(Value::Null);
        let error = invalid.at(self.loc(name), &input);
        self.errors.push(error);
    }

    fn parse<T: FromInput>(&mut self, name: &str, value: Value) -> Option<T> {
        match T::from_input(&value) {
            Ok(v) => Some(v),
            Err(invalid) => {
                let error = invalid.at(self.loc(name), &value);
                self.errors.push(error);
                None
            }
        }
    }

    /// Ends reading: the value when every field parsed, else the 422 with every failure.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Error> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if !self.errors.is_empty() => Err(Error::Validation(self.errors)),
            _ => Err(Error::internal(
                crate::error::INTERNAL_ERROR,
                anyhow::anyhow!("a request type returned no value and recorded no error"),
            )),
        }
    }

    /// Parses a whole request type from this reader.
    pub fn read<T: FromFields>(mut self) -> Result<T, Error> {
        let value = T::from_fields(&mut self);
        self.finish(value)
    }
}

/// The text of a string input. Every text value type reads its string through here, so the rules
/// every stored string needs live in one place: the value must be a string (pydantic's
/// `string_type`) and must not contain NUL, which PostgreSQL cannot store in text (letting it
/// through would turn a bad input into a database error, and SQLite would store it as-is).
pub fn text(value: &Value) -> Result<&str, Invalid> {
    match value {
        Value::String(s) if s.contains('\0') => Err(Invalid::value_error(
            "Input must not contain NUL characters.",
        )),
        Value::String(s) => Ok(s),
        _ => Err(Invalid::new(
            "string_type",
            "Input should be a valid string",
        )),
    }
}

/// True when `s` has at most `max` characters. Decided from the byte length where it can be (a
/// character takes 1 to 4 bytes), so the count never runs over more than `4 * max` bytes.
pub fn at_most_chars(s: &str, max: usize) -> bool {
    s.len() <= max || (s.len() <= max.saturating_mul(4) && s.chars().count() <= max)
}

impl FromInput for String {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        text(value).map(str::to_owned)
    }
}

impl FromInput for i64 {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let parsing = || {
            Invalid::new(
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        };
        match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(i)
                } else {
                    match n.as_f64() {
                        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                        Some(f) if f.is_finite() && f.fract() != 0.0 => Err(Invalid::new(
                            "int_from_float",
                            "Input should be a valid integer, got a number with a fractional part",
                        )),
                        _ => Err(parsing()),
                    }
                }
            }
            Value::String(s) => s.trim().parse().map_err(|_| parsing()),
            _ => Err(Invalid::new("int_type", "Input should be a valid integer")),
        }
    }
}

impl FromInput for f64 {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => Some(s.trim().parse::<f64>().map_err(|_| {
                Invalid::new(
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number",
                )
            })?),
            _ => return Err(Invalid::new("float_type", "Input should be a valid number")),
        };
        match parsed {
            Some(f) if f.is_finite() => Ok(f),
            _ => Err(Invalid::new(
                "finite_number",
                "Input should be a finite number",
            )),
        }
    }
}

impl FromInput for bool {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
                "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
                _ => Err(Invalid::new(
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                )),
            },
            _ => Err(Invalid::new("bool_type", "Input should be a valid boolean")),
        }
    }
}

/// A boolean of a JSON body that must be one (`true`/`false`), as its schema says: the new
/// endpoints' bodies do not take the `0`/`1`/`"yes"` that [`bool`]'s lax reading (query strings,
/// forms, the original's bodies) accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonBool(pub bool);

impl FromInput for JsonBool {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::Bool(b) => Ok(Self(*b)),
            _ => Err(Invalid::new("bool_type", "Input should be a valid boolean")),
        }
    }
}

crate::value_schema!(JsonBool => utoipa::openapi::ObjectBuilder::new()
    .schema_type(utoipa::openapi::schema::Type::Boolean));

impl FromInput for NaiveDate {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| {
                Invalid::new(
                    "date_parsing",
                    format!("Input should be a valid date in the format YYYY-MM-DD, {e}"),
                )
            }),
            _ => Err(Invalid::new("date_type", "Input should be a valid date")),
        }
    }
}

/// The most items a list input may have. Every list reaches the database as one statement with a
/// parameter per item, and both backends cap parameters (SQLite 32,766, PostgreSQL 65,535): without
/// a bound, a long list was a 500 after seconds of work.
pub const MAX_LIST_ITEMS: usize = 1000;

impl<T: FromInput> FromInput for Vec<T> {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let Value::Array(items) = value else {
            return Err(Invalid::new("list_type", "Input should be a valid list"));
        };
        if items.len() > MAX_LIST_ITEMS {
            // pydantic's `max_length` on a list.
            return Err(Invalid::new(
                "too_long",
                format!(
                    "List should have at most {MAX_LIST_ITEMS} items after validation, not {}",
                    items.len()
                ),
            )
            .with_ctx(json!({
                "field_type": "List",
                "max_length": MAX_LIST_ITEMS,
                "actual_length": items.len(),
            })));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                T::from_input(item).map_err(|mut e| {
                    e.sub_loc.insert(0, json!(i));
                    e
                })
            })
            .collect()
    }
}

impl<T: FromInput> FromInput for Option<T> {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        match value {
            Value::Null => Ok(None),
            v => T::from_input(v).map(Some),
        }
    }
}

/// `n` within `[min, max]` (limits as the schema writes them), with pydantic's bound messages.
pub fn within<T: PartialOrd + From<i32>>(
    n: T,
    min: Option<i32>,
    max: Option<i32>,
) -> Result<T, Invalid> {
    if let Some(min) = min.filter(|&m| n < T::from(m)) {
        return Err(Invalid::ge(min));
    }
    if let Some(max) = max.filter(|&m| n > T::from(m)) {
        return Err(Invalid::le(max));
    }
    Ok(n)
}

/// An integer in `[min, max]` (`page`, `per_page`, ...).
pub fn bounded_int(value: &Value, min: Option<i32>, max: Option<i32>) -> Result<i64, Invalid> {
    within(i64::from_input(value)?, min, max)
}

/// A finite number in `[min, max]` (`score`, `budget`, ...).
pub fn bounded_f64(value: &Value, min: Option<i32>, max: Option<i32>) -> Result<f64, Invalid> {
    within(f64::from_input(value)?, min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(FromFields)]
    struct Login {
        email: String,
        age: i64,
        nickname: Option<String>,
        #[field(default = 10)]
        per_page: i64,
        #[field(rename = "type")]
        kind: Option<String>,
    }

    fn read(v: Value) -> Result<Login, Error> {
        Fields::from_body(v)?.read()
    }

    #[test]
    fn every_failed_field_is_reported() {
        let Err(Error::Validation(errors)) = read(json!({"age": "x"})) else {
            panic!("expected a validation error")
        };
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].kind, "missing");
        assert_eq!(errors[0].loc, vec![json!("body"), json!("email")]);
        assert_eq!(errors[0].msg, "Field required");
        assert_eq!(errors[1].kind, "int_parsing");
        assert_eq!(errors[1].input, json!("x"));
    }

    #[test]
    fn valid_input_parses_in_lax_mode() {
        let login = read(json!({"email": "a@b.c", "age": "42"})).unwrap();
        assert_eq!((login.email.as_str(), login.age), ("a@b.c", 42));
        // The derive: `Option` is optional, `default` fills an absent field, `rename` reads another key.
        assert_eq!(
            (login.nickname, login.per_page, login.kind),
            (None, 10, None)
        );
        let login =
            read(json!({"email": "a@b.c", "age": 1, "nickname": "n", "per_page": 3, "type": "t"}))
                .unwrap();
        assert_eq!(
            (
                login.nickname.as_deref(),
                login.per_page,
                login.kind.as_deref()
            ),
            (Some("n"), 3, Some("t"))
        );
        // Every field is read, in declaration order, before the build stops.
        let Err(Error::Validation(errors)) =
            read(json!({"age": "x", "nickname": 5, "per_page": "y", "type": 1}))
        else {
            panic!("expected a validation error")
        };
        let locs: Vec<&Value> = errors.iter().map(|e| &e.loc[1]).collect();
        assert_eq!(
            locs,
            [
                &json!("email"),
                &json!("age"),
                &json!("nickname"),
                &json!("per_page"),
                &json!("type")
            ]
        );
    }

    #[test]
    fn non_objects_are_rejected_as_pydantic_does() {
        let Err(Error::Validation(errors)) = read(json!([1, 2])) else {
            panic!("expected a validation error")
        };
        assert_eq!(errors[0].kind, "model_attributes_type");
        assert_eq!(errors[0].loc, vec![json!("body")]);
    }

    #[test]
    fn numbers_follow_pydantic() {
        assert_eq!(i64::from_input(&json!(3.0)), Ok(3));
        assert_eq!(
            i64::from_input(&json!(3.5)).unwrap_err().kind,
            "int_from_float"
        );
        assert_eq!(i64::from_input(&json!(true)).unwrap_err().kind, "int_type");
        assert_eq!(
            f64::from_input(&json!("nan")).unwrap_err().kind,
            "finite_number"
        );
        assert_eq!(f64::from_input(&json!("1e3")), Ok(1000.0));
        let bound = bounded_int(&json!(21), Some(1), Some(20)).unwrap_err();
        assert_eq!(bound.msg, "Input should be less than or equal to 20");
        let bound = bounded_int(&json!("0"), Some(1), Some(20)).unwrap_err();
        assert_eq!(bound.msg, "Input should be greater than or equal to 1");
        let bound = bounded_f64(&json!(100.5), Some(0), Some(100)).unwrap_err();
        assert_eq!(bound.msg, "Input should be less than or equal to 100");
    }

    #[test]
    fn strings_refuse_nul() {
        let e = String::from_input(&json!("a\u{0}b")).unwrap_err();
        assert_eq!(e.kind, "value_error");
        assert_eq!(e.msg, "Value error, Input must not contain NUL characters.");
        assert_eq!(String::from_input(&json!("ab")), Ok("ab".to_owned()));
    }

    #[test]
    fn lists_are_bounded_before_their_items_are_read() {
        let long = Value::Array(vec![json!(1); MAX_LIST_ITEMS + 1]);
        let e = Vec::<String>::from_input(&long).unwrap_err();
        assert_eq!(e.kind, "too_long");
        assert_eq!(
            e.msg,
            "List should have at most 1000 items after validation, not 1001"
        );
        let full = Value::Array(vec![json!("a"); MAX_LIST_ITEMS]);
        assert_eq!(
            Vec::<String>::from_input(&full).unwrap().len(),
            MAX_LIST_ITEMS
        );
    }

    #[test]
    fn character_counts_are_bounded_by_bytes() {
        assert!(at_most_chars("abc", 3));
        assert!(!at_most_chars("abcd", 3));
        assert!(at_most_chars("ééé", 3));
        assert!(!at_most_chars("éééé", 3));
        assert!(!at_most_chars(&"a".repeat(13), 3));
        assert!(at_most_chars("", 0));
    }

    #[test]
    fn list_errors_carry_the_index() {
        let e = Vec::<String>::from_input(&json!(["a", 1])).unwrap_err();
        assert_eq!(e.sub_loc, vec![json!(1)]);
        assert_eq!(e.kind, "string_type");
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(
            NaiveDate::from_input(&json!("2023-03-02")),
            Ok(NaiveDate::from_ymd_opt(2023, 3, 2).unwrap())
        );
        assert_eq!(
            NaiveDate::from_input(&json!("03/02/2023"))
                .unwrap_err()
                .kind,
            "date_parsing"
        );
    }
}
