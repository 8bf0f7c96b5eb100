//! The cleaner: any text (first line as a known headline when the input starts with a
//! tab) cleans without a panic, and the segmenter's invariants hold on the result.
#![no_main]

use brief::text::{clean, segment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (title, body) = match text.strip_prefix('\t').and_then(|t| t.split_once('\n')) {
        Some((t, b)) => (Some(t), b),
        None => (None, text),
    };
    let cleaned = clean(body, title);
    let mut end = 0;
    for s in segment(&cleaned.text) {
        assert!(end <= s.start && s.start < s.end && s.end <= cleaned.text.len());
        assert!(cleaned.text.get(s.start..s.end).is_some());
        end = s.end;
    }
});
