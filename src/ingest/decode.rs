//! Bytes to text: BOM sniffing, UTF-8/UTF-16 decoding, binary and empty detection.
//!
//! Supported: UTF-8 (with or without BOM), UTF-16 LE/BE with BOM, and, for HTML, a
//! declared legacy charset as a fallback when the bytes are not UTF-8. Everything else
//! is an [`ArticleError`] with kind `binary`, `encoding` or `empty`.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

use crate::error::{ArticleError, ErrorKind};

/// Magic numbers of common non-text files, with a name for the message. Only signatures
/// that cannot plausibly start a text file are listed (each has a control byte or a
/// non-ASCII byte).
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"PK\x07\x08", "a ZIP archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Microsoft Office document",
    ),
    (b"\x00asm", "a WebAssembly module"),
    (b"OggS\x00", "an Ogg media file"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video"),
];

/// Name of the binary format `bytes` starts with, if any.
pub fn binary_signature(bytes: &[u8]) -> Option<&'static str> {
    if let Some(&(_, name)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some(name);
    }
    // RIFF containers (WAV, WebP, AVI) and ISO media (MP4, MOV, HEIC): the tag sits at a
    // fixed offset, so check it there rather than matching a bare "RIFF" word.
    if bytes.len() >= 12 {
        if bytes.starts_with(b"RIFF") && matches!(&bytes[8..12], b"WAVE" | b"WEBP" | b"AVI ") {
            return Some("a RIFF media file (WAV/WebP/AVI)");
        }
        if &bytes[4..8] == b"ftyp" {
            return Some("an MP4/QuickTime media file");
        }
    }
    // "BZh" + block size digit 1-9 + the block magic "1AY&SY".
    if bytes.len() >= 10 && bytes.starts_with(b"BZh") && &bytes[4..10] == b"1AY&SY" {
        return Some("a bzip2 archive");
    }
    if bytes.len() >= 4 && bytes.starts_with(b"ID3") && (2..=4).contains(&bytes[3]) {
        return Some("an MP3 audio file");
    }
    None
}

/// Decode a whole file's bytes to text.
///
/// `fallback` is an encoding declared by the document itself (an HTML `<meta charset>`);
/// it is used only when the bytes have no BOM and are not valid UTF-8, because pages that
/// declare a legacy charset but are really UTF-8 are common.
///
/// Errors: `empty` (no bytes, or only whitespace after decoding), `binary` (a known
/// signature, NUL bytes outside UTF-16), `encoding` (invalid UTF-8 without a fallback,
/// invalid UTF-16, UTF-32).
pub fn decode(
    mut bytes: Vec<u8>,
    fallback: Option<&'static Encoding>,
) -> Result<String, ArticleError> {
    if bytes.is_empty() {
        return Err(ArticleError::new(ErrorKind::Empty, "the file is empty"));
    }
    if let Some(name) = binary_signature(&bytes) {
        return Err(ArticleError::new(
            ErrorKind::Binary,
            format!("not text: the file looks like {name}"),
        ));
    }
    let text = if bytes.starts_with(b"\xff\xfe\x00\x00") || bytes.starts_with(b"\x00\x00\xfe\xff") {
        return Err(ArticleError::new(
            ErrorKind::Encoding,
            "UTF-32 is not supported: convert the file to UTF-8",
        ));
    } else if bytes.starts_with(b"\xff\xfe") {
        decode_utf16(&bytes[2..], UTF_16LE)?
    } else if bytes.starts_with(b"\xfe\xff") {
        decode_utf16(&bytes[2..], UTF_16BE)?
    } else {
        let bom = if bytes.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        if let Some(pos) = bytes.iter().position(|&b| b == 0) {
            return Err(nul_error(&bytes, pos));
        }
        match std::str::from_utf8(&bytes[bom..]) {
            Ok(_) => {
                bytes.drain(..bom);
                // Validated just above; the conversion cannot fail, but stay panic-free.
                String::from_utf8(bytes).map_err(|e| utf8_error(e.utf8_error().valid_up_to()))?
            }
            Err(e) => match fallback.filter(|enc| *enc != encoding_rs::UTF_8) {
                Some(enc) => enc
                    .decode_without_bom_handling_and_without_replacement(&bytes[bom..])
                    .ok_or_else(|| {
                        ArticleError::new(
                            ErrorKind::Encoding,
                            format!(
                                "neither valid UTF-8 (first invalid byte at offset {}) nor valid {} as declared",
                                bom + e.valid_up_to(),
                                enc.name()
                            ),
                        )
                    })?
                    .into_owned(),
                None => return Err(utf8_error(bom + e.valid_up_to())),
            },
        }
    };
    check_not_empty(&text)?;
    Ok(text)
}

/// Decode UTF-16 (BOM already removed).
fn decode_utf16(bytes: &[u8], enc: &'static Encoding) -> Result<String, ArticleError> {
    let text = enc
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| {
            ArticleError::new(
                ErrorKind::Encoding,
                format!(
                    "invalid {} after its byte-order mark (unpaired surrogate or odd byte count)",
                    enc.name()
                ),
            )
        })?
        .into_owned();
    if text.contains('\0') {
        return Err(ArticleError::new(
            ErrorKind::Binary,
            format!("not text: {} content contains NUL characters", enc.name()),
        ));
    }
    Ok(text)
}

/// `empty` if `text` holds nothing but whitespace (a BOM counts as whitespace here).
pub fn check_not_empty(text: &str) -> Result<(), ArticleError> {
    if text.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
        let what = if text.is_empty() {
            "no text"
        } else {
            "only whitespace"
        };
        return Err(ArticleError::new(
            ErrorKind::Empty,
            format!("the file contains {what}"),
        ));
    }
    Ok(())
}

/// The `encoding` error for invalid UTF-8 at byte `offset`.
pub fn utf8_error(offset: usize) -> ArticleError {
    ArticleError::new(
        ErrorKind::Encoding,
        format!(
            "not valid UTF-8: first invalid byte at offset {offset} (supported: UTF-8, UTF-16 with a byte-order mark)"
        ),
    )
}

/// The error for a NUL byte at `pos`: `encoding` if the bytes look like UTF-16 without a
/// byte-order mark (every other byte NUL), else `binary`.
fn nul_error(bytes: &[u8], pos: usize) -> ArticleError {
    if let Some(order) = bomless_utf16(bytes) {
        return ArticleError::new(
            ErrorKind::Encoding,
            format!("looks like UTF-16{order} without a byte-order mark: save it as UTF-8, or as UTF-16 with a BOM"),
        );
    }
    ArticleError::new(
        ErrorKind::Binary,
        format!("not text: NUL byte at offset {pos}"),
    )
}

/// "LE"/"BE" if the first KiB has NULs in nearly all odd (LE) or even (BE) positions and
/// almost none in the others: ASCII-range text stored as BOM-less UTF-16.
fn bomless_utf16(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(1024)];
    let pairs = head.len() / 2;
    if pairs < 4 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd * 10 >= pairs * 8 && even * 10 <= pairs {
        Some("LE")
    } else if even * 10 >= pairs * 8 && odd * 10 <= pairs {
        Some("BE")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: Result<String, ArticleError>) -> ErrorKind {
        r.expect_err("expected an error").kind
    }

    fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if le { b"\xff\xfe" } else { b"\xfe\xff" });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        out
    }

    #[test]
    fn plain_utf8() {
        assert_eq!(decode("Grüße, café".into(), None).unwrap(), "Grüße, café");
    }

    #[test]
    fn utf8_bom_is_removed() {
        let mut b = b"\xef\xbb\xbf".to_vec();
        b.extend_from_slice("Héllo".as_bytes());
        assert_eq!(decode(b, None).unwrap(), "Héllo");
    }

    #[test]
    fn utf16_le_and_be_with_bom() {
        let text = "Kim Jong-un – “quoted” 😀 text";
        assert_eq!(decode(utf16(text, true, true), None).unwrap(), text);
        assert_eq!(decode(utf16(text, false, true), None).unwrap(), text);
    }

    #[test]
    fn utf16_odd_length_is_an_encoding_error() {
        let mut b = utf16("abc", true, true);
        b.push(b'x');
        assert_eq!(kind(decode(b, None)), ErrorKind::Encoding);
    }

    #[test]
    fn utf16_unpaired_surrogate_is_an_encoding_error() {
        let mut b = b"\xff\xfe".to_vec();
        b.extend_from_slice(&0xD800u16.to_le_bytes());
        b.extend_from_slice(&(b'a' as u16).to_le_bytes());
        assert_eq!(kind(decode(b, None)), ErrorKind::Encoding);
    }

    #[test]
    fn bomless_utf16_is_reported_as_encoding() {
        let err = decode(utf16("A plain sentence of text.", true, false), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Encoding);
        assert!(err.message.contains("UTF-16LE"), "{}", err.message);
        let err = decode(utf16("A plain sentence of text.", false, false), None).unwrap_err();
        assert!(err.message.contains("UTF-16BE"), "{}", err.message);
    }

    #[test]
    fn utf32_is_an_encoding_error() {
        assert_eq!(
            kind(decode(b"\xff\xfe\x00\x00a\x00\x00\x00".to_vec(), None)),
            ErrorKind::Encoding
        );
    }

    #[test]
    fn invalid_utf8_reports_offset_of_first_bad_byte() {
        let err = decode(b"Hello \xff world".to_vec(), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Encoding);
        assert!(err.message.contains("offset 6"), "{}", err.message);
        // With a BOM the offset is still counted from the start of the file.
        let err = decode(b"\xef\xbb\xbfab\xc3".to_vec(), None).unwrap_err();
        assert!(err.message.contains("offset 5"), "{}", err.message);
    }

    #[test]
    fn declared_legacy_charset_is_a_fallback_only() {
        let latin1 = b"caf\xe9".to_vec();
        assert_eq!(
            decode(latin1, Some(encoding_rs::WINDOWS_1252)).unwrap(),
            "café"
        );
        // Valid UTF-8 wins over a (wrong) declaration.
        assert_eq!(
            decode("café".into(), Some(encoding_rs::WINDOWS_1252)).unwrap(),
            "café"
        );
    }

    #[test]
    fn nul_bytes_are_binary() {
        let err = decode(b"some text\x00\x01\x02 more text here".to_vec(), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Binary);
        assert!(err.message.contains("offset 9"), "{}", err.message);
    }

    #[test]
    fn known_signatures_are_binary() {
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
        let err = decode(png, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Binary);
        assert!(err.message.contains("PNG"), "{}", err.message);
        for bytes in [
            &b"\xff\xd8\xff\xe0 JFIF"[..],
            b"GIF89a....",
            b"%PDF-1.7\n",
            b"PK\x03\x04rest",
            b"\x7fELF\x02\x01",
            b"\x1f\x8b\x08\x00",
            b"RIFF\x24\x00\x00\x00WAVEfmt ",
        ] {
            assert_eq!(
                kind(decode(bytes.to_vec(), None)),
                ErrorKind::Binary,
                "{bytes:?}"
            );
        }
        // Words that merely resemble signatures are text.
        assert!(decode(b"RIFF raff and other phrases".to_vec(), None).is_ok());
        assert!(decode(b"PK said the team would win".to_vec(), None).is_ok());
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert_eq!(kind(decode(Vec::new(), None)), ErrorKind::Empty);
        assert_eq!(
            kind(decode(b" \n\t\r\n  ".to_vec(), None)),
            ErrorKind::Empty
        );
        assert_eq!(
            kind(decode(b"\xef\xbb\xbf \n".to_vec(), None)),
            ErrorKind::Empty
        );
        assert_eq!(
            kind(decode(utf16(" \u{a0}\n", true, true), None)),
            ErrorKind::Empty
        );
    }
}
