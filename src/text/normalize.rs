//! Character-level normalisation: Unicode NFC, line endings, invisible and control
//! characters, Unicode spaces, and whitespace collapsing. Every output byte keeps a
//! route back to the input through an [`OffsetMap`].

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::offset_map::{MapBuilder, OffsetMap};

/// Normalised text and the map from its offsets to the input's.
pub(crate) struct Normalized {
    pub text: String,
    pub map: OffsetMap,
}

/// Apply NFC, then [`normalize_chars`].
///
/// Result: no `\r`, no control or invisible formatting characters, every Unicode
/// space is `' '`, no runs of spaces, lines trimmed, at most one blank line in a
/// row, no leading or trailing whitespace.
pub(crate) fn normalize(input: &str) -> Normalized {
    if is_nfc_quick(input.chars()) == IsNormalized::Yes {
        let (text, map) = normalize_chars(input, None);
        return Normalized { text, map };
    }
    let (nfc, nfc_map) = to_nfc(input);
    let (text, map) = normalize_chars(&nfc, Some(&nfc_map));
    Normalized { text, map }
}

/// A char where NFC can never reach back across: a starter that is NFC-stable on
/// its own (UAX #15, "Detecting Normalization Forms").
fn is_safe_start(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// NFC by independent chunks between safe starts, so each changed chunk gets its
/// own anchor and the pass stays linear.
fn to_nfc(input: &str) -> (String, OffsetMap) {
    let mut b = MapBuilder::new(None, input.len());
    let mut copy_from = 0; // start of pending verbatim run
    let mut chunk_start = 0;
    let mut chunk_trivial = true; // chunk is one safe char: already NFC
                                  // Normalise input[cs..ce]; emit it as a replacement only if NFC changed it.
    let flush_chunk = |b: &mut MapBuilder, copy_from: &mut usize, cs: usize, ce: usize| {
        let chunk = &input[cs..ce];
        let nfc: String = chunk.nfc().collect();
        if nfc != chunk {
            b.push_copy(input, *copy_from, cs);
            b.push_replace(&nfc, cs, ce);
            *copy_from = ce;
        }
    };
    for (i, c) in input.char_indices() {
        if i > 0 && is_safe_start(c) {
            if !chunk_trivial {
                flush_chunk(&mut b, &mut copy_from, chunk_start, i);
            }
            chunk_start = i;
            chunk_trivial = true;
        } else if i == 0 {
            chunk_trivial = is_safe_start(c);
        } else {
            chunk_trivial = false;
        }
    }
    if !chunk_trivial {
        flush_chunk(&mut b, &mut copy_from, chunk_start, input.len());
    }
    b.push_copy(input, copy_from, input.len());
    b.finish()
}

/// How one input character is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Keep,
    Drop,
    Space,
    Newline,
    /// U+2029 PARAGRAPH SEPARATOR: a blank line.
    Paragraph,
}

fn classify(c: char) -> Class {
    match c {
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' => Class::Newline,
        '\u{2029}' => Class::Paragraph,
        // Zero-width, word joiner, BOM, soft hyphen, bidi marks/embeddings/isolates,
        // Mongolian vowel separator, invisible math operators.
        '\u{200b}'..='\u{200f}'
        | '\u{feff}'
        | '\u{2060}'..='\u{2064}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{61c}'
        | '\u{ad}'
        | '\u{180e}' => Class::Drop,
        c if c.is_whitespace() => Class::Space, // tab, NBSP, U+2000.., U+3000, ...
        c if c.is_control() => Class::Drop,     // NUL and other C0/C1 controls
        _ => Class::Keep,
    }
}

/// Whitespace, line-ending and invisible-character normalisation (see [`normalize`]).
/// `src_map` maps `src` offsets to the original input, if `src` is not the input.
pub(crate) fn normalize_chars(src: &str, src_map: Option<&OffsetMap>) -> (String, OffsetMap) {
    let mut b = MapBuilder::new(src_map, src.len());
    let mut run_start: Option<usize> = None; // verbatim run of kept chars
                                             // Pending whitespace since the last kept char.
    let mut ws_start: Option<usize> = None;
    let mut ws_newlines = 0usize;
    let mut ws_single_space = false; // the run is exactly one ' ' and nothing else
    let mut prev_cr = false;
    let mut wrote_any = false;

    for (i, c) in src.char_indices() {
        let class = classify(c);
        let was_cr = prev_cr;
        prev_cr = c == '\r';
        if class == Class::Keep {
            if run_start.is_none() {
                if let Some(ws) = ws_start.take() {
                    if wrote_any {
                        let sep = match ws_newlines {
                            0 => " ",
                            1 => "\n",
                            _ => "\n\n",
                        };
                        if ws_single_space {
                            b.push_copy(src, ws, ws + 1);
                        } else {
                            b.push_replace(sep, ws, i);
                        }
                    }
                }
                ws_newlines = 0;
                ws_single_space = false;
                run_start = Some(i);
            }
            continue;
        }
        // Not kept: close the verbatim run.
        if let Some(rs) = run_start.take() {
            b.push_copy(src, rs, i);
            wrote_any = true;
        }
        match class {
            Class::Drop => {}
            Class::Space | Class::Newline | Class::Paragraph => {
                let first = ws_start.is_none();
                if first {
                    ws_start = Some(i);
                }
                match class {
                    Class::Newline if !(c == '\n' && was_cr) => ws_newlines += 1,
                    Class::Paragraph => ws_newlines += 2,
                    _ => {}
                }
                ws_single_space = first && c == ' ';
                if !first {
                    ws_single_space = false;
                }
            }
            Class::Keep => {}
        }
    }
    if let Some(rs) = run_start {
        b.push_copy(src, rs, src.len());
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn nfc_composes_and_maps_back() {
        let input = "Cafe\u{301} au lait";
        let n = normalize(input);
        assert_eq!(n.text, "Café au lait");
        let e = n.text.find('é').unwrap();
        assert_eq!(n.map.to_original(e), 3);
        let a = n.text.find("au").unwrap();
        assert_eq!(&input[n.map.to_original(a)..][..2], "au");
        // Angstrom sign (singleton decomposition) -> Å
        assert_eq!(norm("\u{212b}ngstr\u{f6}m"), "\u{c5}ngstr\u{f6}m");
        // Hangul jamo compose
        assert_eq!(norm("\u{1100}\u{1161}"), "\u{ac00}");
    }

    #[test]
    fn line_endings_and_blank_lines() {
        assert_eq!(norm("a\r\nb\rc\n\n\n\nd"), "a\nb\nc\n\nd");
        assert_eq!(norm("a\u{2029}b\u{2028}c"), "a\n\nb\nc");
        assert_eq!(norm("\n\n  a  \n\n"), "a");
    }

    #[test]
    fn invisible_and_control_chars_removed() {
        assert_eq!(norm("a\u{200b}b\u{feff}c\u{2060}d\u{200d}e"), "abcde");
        assert_eq!(norm("\u{202a}x\u{202c} \u{2066}y\u{2069}\u{200e}"), "x y");
        assert_eq!(norm("nul\0byte\u{7}s\u{ad}"), "nulbytes");
        assert_eq!(norm("\u{feff}Title"), "Title");
    }

    #[test]
    fn spaces_collapsed_and_lines_trimmed() {
        assert_eq!(norm("a\u{a0}b\u{2009}c\u{3000}d"), "a b c d");
        assert_eq!(norm("a \t  b"), "a b");
        assert_eq!(norm("  line one  \n\t line two\t"), "line one\nline two");
        assert_eq!(norm("a \u{200b} b"), "a b");
        assert_eq!(norm(" \n \n \n x"), "x");
        assert_eq!(norm("x \n \n \n y"), "x\n\ny");
    }

    #[test]
    fn map_points_at_same_characters() {
        let input = "\u{feff}  Hello,\u{a0}world!\r\n\r\n\tNext  line.";
        let n = normalize(input);
        assert_eq!(n.text, "Hello, world!\n\nNext line.");
        for (ci, ch) in n.text.char_indices() {
            let o = n.map.to_original(ci);
            let oc = input[o..].chars().next().unwrap();
            if !ch.is_whitespace() {
                assert_eq!(ch, oc, "at cleaned {ci}");
            } else {
                assert!(oc.is_whitespace(), "at cleaned {ci}");
            }
        }
        assert_eq!(n.map.to_original(n.text.len()), input.len());
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert_eq!(norm(""), "");
        assert_eq!(norm(" \n\t\u{a0}\u{200b} "), "");
    }

    #[test]
    fn long_input_is_linear() {
        let big = "word\u{a0}\u{200b} ".repeat(200_000);
        let t = std::time::Instant::now();
        let n = normalize(&big);
        assert!(n.text.starts_with("word word"));
        assert!(t.elapsed().as_secs() < 5);
    }
}
