//! Real images for avatar tests: tiny PNGs and JPEGs, and ones carrying metadata to be stripped.

use std::io::Cursor;

/// A real 2x2 image of one colour.
pub fn image_bytes(format: image::ImageFormat, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(2, 2, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode image");
    out.into_inner()
}

pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    image_bytes(image::ImageFormat::Png, rgb)
}

pub fn jpeg() -> Vec<u8> {
    image_bytes(image::ImageFormat::Jpeg, [10, 120, 200])
}

/// A JPEG with an EXIF (APP1) segment holding a GPS position.
pub fn jpeg_with_exif() -> Vec<u8> {
    let plain = jpeg();
    let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude=48.8584;GPSLongitude=2.2945";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG with a `tEXt` chunk holding a GPS position, right after its header.
pub fn png_with_text() -> Vec<u8> {
    let plain = png([4, 5, 6]);
    // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
    let (head, rest) = plain.split_at(8 + 25);
    let data = b"Comment\0GPSLatitude=48.8584";
    let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(data);
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32(&typed).to_be_bytes());
    [head, &chunk, rest].concat()
}

/// The CRC-32 PNG chunks carry (over type and data).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
