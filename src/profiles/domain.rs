//! Profile values that cannot be invalid: each parses raw form input once, with the contract's
//! messages (rendered as pydantic value errors, `Value error, …`), and everything downstream takes
//! the parsed type.

use std::io::Cursor;

use bytes::Bytes;
use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};

use utoipa::openapi::KnownFormat;

use crate::{
    http::openapi::{string, string_as},
    validation::{FilePart, FromFile, FromInput, Invalid},
};

// The schemas the profile forms inline: each type's rules, as JSON Schema states them.
crate::value_schema!(PersonName => string()
    .description(Some("English letters only; stored lower-cased."))
    .example(Some(json!("John")))
    .pattern(Some("^[A-Za-z]+$"))
    .max_length(Some(NAME_MAX_CHARS)));
crate::value_schema!(Gender => string().example(Some(json!("man"))).pattern(Some("^(man|woman)$")));
// The latest allowed day moves with the calendar: the document adds it for today.
crate::value_schema!(BirthDate => string_as(KnownFormat::Date)
    .description(Some("`YYYY-MM-DD`, in 1900 or later, at least 18 years ago."))
    .example(Some(json!("1990-01-01"))));
crate::value_schema!(ProfileInfo => string()
    .description(Some("Not empty or blank."))
    .example(Some(json!("This is a test profile.")))
    .pattern(Some(crate::http::openapi::NOT_BLANK)));
crate::value_schema!(Avatar => string_as(KnownFormat::Binary)
    .description(Some("A JPEG or PNG image (recognised by content) of at most 1 MB.")));

/// `VARCHAR(100)` in `user_profiles`: longer names are a 422, not a database error.
pub const NAME_MAX_CHARS: usize = 100;

/// A first or last name: English letters only, stored lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromFile for Avatar {
    fn from_file(file: FilePart) -> Result<Self, Invalid> {
        Self::parse(file.bytes, file.file_name.as_deref())
    }
}

impl FromInput for PersonName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let raw = String::from_input(value)?;
        if raw.chars().count() > NAME_MAX_CHARS {
            return Err(too_long(NAME_MAX_CHARS));
        }
        if !raw.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(Invalid::value_error(format!(
                "{raw} contains non-english letters"
            )));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }
}

/// pydantic's `string_too_long`.
pub fn too_long(max: usize) -> Invalid {
    Invalid::new(
        "string_too_long",
        format!("String should have at most {max} characters"),
    )
    .with_ctx(json!({ "max_length": max }))
}

/// The two values the `user_profiles.gender` check allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum Gender {
    Man,
    Woman,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FromInput for Gender {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        String::from_input(value)?
            .parse()
            .map_err(|_| Invalid::value_error("Gender must be one of: man, woman"))
    }
}

/// A date of birth in 1900 or later, of someone at least 18 years old today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    pub const MIN_YEAR: i32 = 1900;
    pub const MIN_AGE: u32 = 18;

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The rules, as of `today`. The age is counted in whole calendar years (the original divides
    /// days by 365, which lets some people register a few days before their 18th birthday).
    pub fn parse_on(value: &Value, today: NaiveDate) -> Result<Self, Invalid> {
        let date = NaiveDate::from_input(value)?;
        if date.year() < Self::MIN_YEAR {
            return Err(Invalid::value_error(
                "Invalid birth date - year must be greater than 1900.",
            ));
        }
        match today.years_since(date) {
            Some(age) if age >= Self::MIN_AGE => Ok(Self(date)),
            _ => Err(Invalid::value_error(
                "You must be at least 18 years old to register.",
            )),
        }
    }
}

impl FromInput for BirthDate {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse_on(value, Utc::now().date_naive())
    }
}

/// Free text about the user: anything but empty or blank. Kept as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileInfo(String);

impl ProfileInfo {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromInput for ProfileInfo {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let raw = String::from_input(value)?;
        if raw.trim().is_empty() {
            return Err(Invalid::value_error(
                "Info field cannot be empty or contain only spaces.",
            ));
        }
        Ok(Self(raw))
    }
}

/// The image formats an avatar may have, recognised by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }
}

/// An uploaded avatar: a JPEG or PNG (by content, with a readable header) of at most 1 MB, with its
/// metadata removed (see [`strip_metadata`]), and the file name it will be stored under.
#[derive(Clone, Debug)]
pub struct Avatar {
    bytes: Bytes,
    kind: ImageKind,
    file_name: String,
}

impl Avatar {
    /// 1 MB as the original counts it.
    pub const MAX_BYTES: usize = 1024 * 1024;

    /// `bytes` may be a prefix of a larger upload (the reader stops just past [`Self::MAX_BYTES`]):
    /// the format is checked first, as in the original, then the size.
    pub fn parse(bytes: Bytes, file_name: Option<&str>) -> Result<Self, Invalid> {
        let kind =
            image_kind(&bytes).ok_or_else(|| Invalid::value_error("Invalid image format"))?;
        if bytes.len() > Self::MAX_BYTES {
            return Err(Invalid::value_error("Image size exceeds 1 MB"));
        }
        let bytes = strip_metadata(bytes, kind)
            .filter(|stripped| image_kind(stripped) == Some(kind))
            .ok_or_else(|| Invalid::value_error("Invalid image format"))?;
        Ok(Self {
            file_name: sanitize_file_name(file_name, kind),
            bytes,
            kind,
        })
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn kind(&self) -> ImageKind {
        self.kind
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The contract's storage key: `avatars/{user_id}_{file name}`.
    pub fn key(&self, user_id: i32) -> String {
        format!("avatars/{user_id}_{}", self.file_name)
    }
}

/// JPEG or PNG by magic bytes, and only if the image header decodes (a PNG signature followed by
/// garbage is not an image).
fn image_kind(bytes: &[u8]) -> Option<ImageKind> {
    let (format, kind) = match image::guess_format(bytes).ok()? {
        image::ImageFormat::Jpeg => (image::ImageFormat::Jpeg, ImageKind::Jpeg),
        image::ImageFormat::Png => (image::ImageFormat::Png, ImageKind::Png),
        _ => return None,
    };
    image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .ok()
        .filter(|(w, h)| *w > 0 && *h > 0)
        .map(|_| kind)
}

/// JPEG segments kept: the image itself, JFIF (APP0), the colour profile (APP2) and Adobe's colour
/// transform (APP14), without which some JPEGs decode with wrong colours. Everything else — EXIF
/// with its GPS position and camera serial (APP1, also XMP), IPTC (APP13), comments — goes.
fn keep_jpeg_segment(marker: u8) -> bool {
    use img_parts::jpeg::markers;
    !matches!(
        marker,
        markers::APP1 | markers::APP3..=markers::APP13 | markers::APP15 | markers::COM
    )
}

/// PNG chunks kept: the image and how to display it. Text (`tEXt`, `zTXt`, `iTXt`), `eXIf`, `tIME`,
/// animation and every private chunk go.
const PNG_CHUNKS_KEPT: [&[u8; 4]; 12] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs",
];

/// The image without its metadata, losslessly: segments and chunks are dropped, pixels are never
/// decoded or re-encoded (no quality loss, and a decompression bomb costs nothing). Data after the
/// image's end marker goes too. `None` when the container does not parse.
///
/// The EXIF orientation goes with EXIF: a photo a camera stored sideways shows sideways.
fn strip_metadata(bytes: Bytes, kind: ImageKind) -> Option<Bytes> {
    match kind {
        ImageKind::Jpeg => {
            let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(bytes).ok()?;
            jpeg.segments_mut()
                .retain(|segment| keep_jpeg_segment(segment.marker()));
            Some(jpeg.encoder().bytes())
        }
        ImageKind::Png => {
            let mut png = img_parts::png::Png::from_bytes(bytes).ok()?;
            png.chunks_mut()
                .retain(|chunk| PNG_CHUNKS_KEPT.contains(&&chunk.kind()));
            Some(png.encoder().bytes())
        }
    }
}

/// Longest file name kept in a key (`user_profiles.avatar` is `VARCHAR(255)`).
const FILE_NAME_MAX: usize = 100;

/// The client's file name reduced to `[A-Za-z0-9._-]`: only its last path component, no runs of
/// dots (so never `..`), no leading dot, at most [`FILE_NAME_MAX`] characters, and the extension of
/// the image's real format (`.jpg` or `.png`) in place of whatever the client sent — an image named
/// `me.svg` or `me.html` is stored as `me.png`, so no bucket or browser takes it for markup.
/// `avatar.{jpg|png}` when nothing usable is left.
pub fn sanitize_file_name(raw: Option<&str>, kind: ImageKind) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let mut name = String::with_capacity(base.len());
    for c in base.chars() {
        let allowed = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if allowed && !(c == '.' && name.ends_with('.')) {
            name.push(c);
        }
    }
    let name = name.trim_end_matches('.');
    // The client's extension, if any, is replaced (`.hidden` is all extension).
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) => stem,
        None => name,
    };
    let stem = stem.trim_start_matches('.');
    let ext = kind.extension();
    // ASCII only, so any byte index is a character boundary.
    let stem = &stem[..stem.len().min(FILE_NAME_MAX - ext.len() - 1)];
    let stem = stem.trim_end_matches('.');
    if !stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        return format!("avatar.{ext}");
    }
    format!("{stem}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<T: std::fmt::Debug>(r: Result<T, Invalid>) -> String {
        r.unwrap_err().msg
    }

    #[test]
    fn names_are_english_letters_and_lower_cased() {
        assert_eq!(
            PersonName::from_input(&json!("JoHn")).unwrap().as_str(),
            "john"
        );
        assert_eq!(
            msg(PersonName::from_input(&json!("Jöhn"))),
            "Value error, Jöhn contains non-english letters"
        );
        assert_eq!(
            msg(PersonName::from_input(&json!("John Smith"))),
            "Value error, John Smith contains non-english letters"
        );
        assert_eq!(
            msg(PersonName::from_input(&json!("J0hn"))),
            "Value error, J0hn contains non-english letters"
        );
        let long = "a".repeat(NAME_MAX_CHARS + 1);
        let e = PersonName::from_input(&json!(long)).unwrap_err();
        assert_eq!(e.kind, "string_too_long");
        assert!(PersonName::from_input(&json!("a".repeat(NAME_MAX_CHARS))).is_ok());
    }

    #[test]
    fn gender_is_man_or_woman() {
        assert_eq!(Gender::from_input(&json!("man")), Ok(Gender::Man));
        assert_eq!(Gender::from_input(&json!("woman")), Ok(Gender::Woman));
        for bad in ["Man", "other", ""] {
            assert_eq!(
                msg(Gender::from_input(&json!(bad))),
                "Value error, Gender must be one of: man, woman"
            );
        }
    }

    #[test]
    fn birth_dates_need_1900_and_18_years() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let parse = |s: &str| BirthDate::parse_on(&json!(s), today);
        assert!(parse("2008-06-15").is_ok(), "18 today");
        assert_eq!(
            msg(parse("2008-06-16")),
            "Value error, You must be at least 18 years old to register."
        );
        assert_eq!(
            msg(parse("2030-01-01")),
            "Value error, You must be at least 18 years old to register."
        );
        assert!(parse("1900-01-01").is_ok());
        assert_eq!(
            msg(parse("1899-12-31")),
            "Value error, Invalid birth date - year must be greater than 1900."
        );
        assert_eq!(parse("15.06.1990").unwrap_err().kind, "date_parsing");
    }

    #[test]
    fn info_must_not_be_blank() {
        assert_eq!(
            ProfileInfo::from_input(&json!(" hi ")).unwrap().as_str(),
            " hi "
        );
        for bad in ["", "   ", "\t\n"] {
            assert_eq!(
                msg(ProfileInfo::from_input(&json!(bad))),
                "Value error, Info field cannot be empty or contain only spaces."
            );
        }
    }

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 10, 10]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn avatars_are_jpeg_or_png_by_content_and_at_most_1_mb() {
        let png = Avatar::parse(encoded(image::ImageFormat::Png).into(), Some("a.jpg")).unwrap();
        assert_eq!(png.kind().content_type(), "image/png");
        // The extension is the format's, not the client's.
        assert_eq!(png.key(7), "avatars/7_a.png");
        let jpeg = Avatar::parse(encoded(image::ImageFormat::Jpeg).into(), None).unwrap();
        assert_eq!(jpeg.file_name(), "avatar.jpg");

        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        for bad in [
            &gif[..],
            b"not an image at all",
            b"\x89PNG\r\n\x1a\ngarbage",
            b"",
        ] {
            assert_eq!(
                msg(Avatar::parse(Bytes::copy_from_slice(bad), Some("x.jpg"))),
                "Value error, Invalid image format"
            );
        }

        let mut big = encoded(image::ImageFormat::Png);
        big.resize(Avatar::MAX_BYTES, 0);
        assert!(Avatar::parse(big.clone().into(), Some("b.png")).is_ok());
        big.push(0);
        assert_eq!(
            msg(Avatar::parse(big.into(), Some("b.png"))),
            "Value error, Image size exceeds 1 MB"
        );
    }

    #[test]
    fn file_names_are_reduced_to_safe_characters() {
        let s = |raw: &str| sanitize_file_name(Some(raw), ImageKind::Jpeg);
        assert_eq!(s("avatar.jpg"), "avatar.jpg");
        assert_eq!(s("My Photo (1).JPG"), "MyPhoto1.jpg");
        assert_eq!(s("photo.jpeg"), "photo.jpg");
        assert_eq!(s("../../etc/passwd"), "passwd.jpg");
        assert_eq!(s("..\\..\\boot.ini"), "boot.jpg");
        assert_eq!(s("C:\\Users\\me\\selfie.png"), "selfie.jpg");
        assert_eq!(s("a..b...jpg"), "a.b.jpg");
        assert_eq!(s("..."), "avatar.jpg");
        assert_eq!(s("фото.jpg"), "avatar.jpg");
        assert_eq!(s(".hidden"), "avatar.jpg");
        assert_eq!(s("日本"), "avatar.jpg");
        assert_eq!(s("photo."), "photo.jpg");
        assert_eq!(s(""), "avatar.jpg");
        assert_eq!(s("archive.tar.gz"), "archive.tar.jpg");
        assert_eq!(sanitize_file_name(None, ImageKind::Png), "avatar.png");
        // Markup names never survive.
        assert_eq!(sanitize_file_name(Some("me.svg"), ImageKind::Png), "me.png");
        assert_eq!(sanitize_file_name(Some("x.html"), ImageKind::Jpeg), "x.jpg");
        assert_eq!(
            sanitize_file_name(Some("x.html."), ImageKind::Jpeg),
            "x.jpg"
        );
        let long = format!("{}.jpeg", "x".repeat(300));
        let cut = s(&long);
        assert_eq!(cut.len(), FILE_NAME_MAX);
        assert!(cut.ends_with("x.jpg"));
        let dotted = format!("{}.{}.svg", "x".repeat(95), "y".repeat(10));
        let cut = s(&dotted);
        assert!(cut.len() <= FILE_NAME_MAX && cut.ends_with(".jpg") && !cut.contains(".."));
        for raw in ["../x", "a/../b", "%2e%2e/x", "a\0b", ".", "..", "x/."] {
            let name = s(raw);
            assert!(!name.is_empty() && !name.contains("..") && !name.contains('/'));
            assert!(name.ends_with(".jpg"));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            );
        }
    }

    /// A JPEG with an EXIF segment carrying a GPS tag, and a comment.
    fn jpeg_with_exif() -> Vec<u8> {
        let plain = encoded(image::ImageFormat::Jpeg);
        let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude=48.8584;GPSLongitude=2.2945";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(exif);
        let comment = b"shot at home";
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(comment);
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// A PNG with a `tEXt` chunk after its header.
    fn png_with_text() -> Vec<u8> {
        let plain = encoded(image::ImageFormat::Png);
        let mut png = img_parts::png::Png::from_bytes(plain.into()).unwrap();
        png.chunks_mut().insert(
            1,
            img_parts::png::PngChunk::new(
                *b"tEXt",
                Bytes::from_static(b"Comment\0GPS 48.8584 2.2945"),
            ),
        );
        png.encoder().bytes().to_vec()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn metadata_is_stripped_and_the_image_still_decodes() {
        for (bytes, kind) in [
            (jpeg_with_exif(), ImageKind::Jpeg),
            (png_with_text(), ImageKind::Png),
        ] {
            assert!(contains(&bytes, b"GPS"));
            assert!(image::load_from_memory(&bytes).is_ok());
            let avatar = Avatar::parse(bytes.into(), Some("me.svg")).unwrap();
            assert_eq!(avatar.kind(), kind);
            assert!(!contains(avatar.bytes(), b"GPS"), "{kind:?}");
            assert!(!contains(avatar.bytes(), b"shot at home"), "{kind:?}");
            let decoded = image::load_from_memory(avatar.bytes()).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (2, 2));
        }
        // Anything after the end of the image (an appended archive, say) goes too.
        let mut padded = encoded(image::ImageFormat::Png);
        let clean_len = padded.len();
        padded.extend_from_slice(b"PK\x03\x04 appended archive");
        let avatar = Avatar::parse(padded.into(), None).unwrap();
        assert_eq!(avatar.bytes().len(), clean_len);
    }
}
