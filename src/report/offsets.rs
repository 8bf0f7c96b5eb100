//! Records give byte offsets into UTF-8 text; JavaScript strings index UTF-16 code
//! units. The page gets offsets already converted, so its script slices the text
//! exactly where the record points, whatever the characters (curly quotes, Cyrillic,
//! CJK, emoji outside the Basic Multilingual Plane).

/// The UTF-16 offset of each UTF-8 byte offset in `offsets` (same order), or `None`
/// for an offset that is not a character boundary of `text` or lies past its end
/// (a record from another brief version, or a hand-edited one). One pass over the
/// text: O(text + offsets · log offsets).
pub fn utf16_offsets(text: &str, offsets: &[usize]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![None; offsets.len()];
    let mut chars = text.chars();
    let (mut byte, mut unit) = (0usize, 0usize);
    for i in order {
        let want = offsets[i];
        while byte < want {
            let Some(c) = chars.next() else { break };
            byte += c.len_utf8();
            unit += c.len_utf16();
        }
        // Past `want` means it fell inside a character; short of it, past the end.
        if byte == want {
            out[i] = Some(unit);
        }
    }
    out
}

/// `[start, end)` byte spans as UTF-16 spans; `None` for a span with an unusable end
/// or with `start > end`.
pub fn utf16_spans(text: &str, spans: &[(usize, usize)]) -> Vec<Option<(usize, usize)>> {
    let flat: Vec<usize> = spans.iter().flat_map(|&(s, e)| [s, e]).collect();
    let conv = utf16_offsets(text, &flat);
    conv.chunks(2)
        .map(|p| match (p[0], p[1]) {
            (Some(s), Some(e)) if s <= e => Some((s, e)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What JavaScript's `text.slice(s, e)` gives for UTF-16 offsets.
    fn js_slice(text: &str, s: usize, e: usize) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16(&units[s..e]).unwrap()
    }

    /// Every span of every sentence-like piece round-trips: the UTF-16 slice is the
    /// byte slice.
    fn check_all_pieces(text: &str, pieces: &[&str]) {
        let spans: Vec<(usize, usize)> = pieces
            .iter()
            .map(|p| {
                let s = text.find(p).unwrap();
                (s, s + p.len())
            })
            .collect();
        for (span, conv) in spans.iter().zip(utf16_spans(text, &spans)) {
            let (s, e) = conv.expect("valid span");
            assert_eq!(js_slice(text, s, e), &text[span.0..span.1]);
        }
    }

    #[test]
    fn curly_quotes_cjk_cyrillic_and_emoji() {
        let text = "“It’s over,” he said. Путин прибыл в Пхеньян. 金正恩は歓迎した。 Fans 🎉🎉 cheered — twice.";
        check_all_pieces(
            text,
            &[
                "“It’s over,” he said.",
                "Путин прибыл в Пхеньян.",
                "金正恩は歓迎した。",
                "🎉🎉",
                "cheered — twice.",
            ],
        );
        // The emoji is a surrogate pair: two units, four bytes.
        let at = text.find('🎉').unwrap();
        let conv = utf16_offsets(text, &[at, at + 4, at + 8]);
        assert_eq!(conv[1].unwrap() - conv[0].unwrap(), 2);
        assert_eq!(conv[2].unwrap() - conv[1].unwrap(), 2);
    }

    #[test]
    fn order_duplicates_and_ascii() {
        let text = "abc déf";
        // Queries in any order, repeated, at both ends.
        let conv = utf16_offsets(text, &[8, 0, 4, 0, 7, 8]);
        assert_eq!(
            conv,
            vec![Some(7), Some(0), Some(4), Some(0), Some(6), Some(7)]
        );
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_are_none() {
        let text = "é!"; // é is two bytes
        assert_eq!(utf16_offsets(text, &[1, 3, 4]), vec![None, Some(2), None]);
        assert_eq!(
            utf16_spans(text, &[(0, 1), (2, 0), (0, 3)]),
            vec![None, None, Some((0, 2))]
        );
        assert_eq!(utf16_offsets("", &[0, 1]), vec![Some(0), None]);
    }
}
