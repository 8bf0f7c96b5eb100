//! The segmenter's offsets invariant on any text: spans are non-empty, in order, do
//! not overlap, lie within the text and on char boundaries.
#![no_main]

use brief::text::segment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut end = 0;
    for s in segment(&text) {
        assert!(end <= s.start, "overlap or disorder at {s:?}");
        assert!(s.start < s.end, "empty span {s:?}");
        assert!(s.end <= text.len(), "{s:?} past the end");
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        end = s.end;
    }
});
