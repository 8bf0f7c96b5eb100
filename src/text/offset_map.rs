//! Byte-offset map from a cleaned string back to the text it was made from.
//!
//! The map is a sorted list of anchors recorded while the cleaned text is built
//! (never by diffing afterwards). Each anchor starts a run of cleaned bytes that is
//! either *copied* verbatim from the source (offsets inside it map one-to-one) or a
//! *replacement* (every offset inside it maps to the start of what was replaced).
//! Deleted source text simply has no anchor: the next anchor jumps over it.

use serde::{Deserialize, Serialize};

/// One run of cleaned bytes, from `clean` up to the next anchor's `clean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    clean: usize,
    orig: usize,
    copied: bool,
}

/// Maps byte offsets in cleaned text to byte offsets in the original input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OffsetMap {
    anchors: Vec<Anchor>,
    clean_len: usize,
    /// Original offset that `clean_len` (one past the last cleaned byte) maps to.
    end_orig: usize,
}

impl OffsetMap {
    /// The identity map over a string of `len` bytes.
    pub fn identity(len: usize) -> Self {
        let anchors = if len == 0 {
            Vec::new()
        } else {
            vec![Anchor {
                clean: 0,
                orig: 0,
                copied: true,
            }]
        };
        OffsetMap {
            anchors,
            clean_len: len,
            end_orig: len,
        }
    }

    /// Length in bytes of the cleaned text this map describes.
    pub fn cleaned_len(&self) -> usize {
        self.clean_len
    }

    /// Number of anchors (runs); useful to check the map stays compact.
    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Byte offset in the original text of the character at `cleaned_byte` in the
    /// cleaned text. Inside a replaced run the start of the replaced source text is
    /// returned. Offsets at or past the end of the cleaned text map to the end of
    /// the last source text that contributed to it. Pass character boundaries: an
    /// offset inside a multi-byte character maps inside the same original character.
    pub fn to_original(&self, cleaned_byte: usize) -> usize {
        if cleaned_byte >= self.clean_len {
            return self.end_orig;
        }
        // First anchor is always at 0 when clean_len > 0, so idx >= 1.
        let idx = self.anchors.partition_point(|a| a.clean <= cleaned_byte);
        match idx.checked_sub(1).and_then(|i| self.anchors.get(i)) {
            Some(a) if a.copied => a.orig + (cleaned_byte - a.clean),
            Some(a) => a.orig,
            None => 0,
        }
    }
}

/// Builds a string together with its [`OffsetMap`].
///
/// Pieces are taken from a *source* string that may itself be the product of an
/// earlier pass; `src_map` (if any) maps source offsets to the original, so maps
/// compose as the text is built.
pub(crate) struct MapBuilder<'m> {
    text: String,
    anchors: Vec<Anchor>,
    end_orig: usize,
    src_map: Option<&'m OffsetMap>,
}

impl<'m> MapBuilder<'m> {
    /// A builder whose source offsets map through `src_map` (`None`: the source is
    /// the original text).
    pub(crate) fn new(src_map: Option<&'m OffsetMap>, capacity: usize) -> Self {
        MapBuilder {
            text: String::with_capacity(capacity),
            anchors: Vec::new(),
            end_orig: 0,
            src_map,
        }
    }

    fn src_to_orig(&self, src: usize) -> usize {
        match self.src_map {
            Some(m) => m.to_original(src),
            None => src,
        }
    }

    fn add_anchor(&mut self, orig: usize, copied: bool) {
        self.add_anchor_at(self.text.len(), orig, copied);
    }

    /// After replacing the last anchor it may have become contiguous with the one
    /// before; keep the list minimal.
    fn merge_last(&mut self) {
        let n = self.anchors.len();
        if n >= 2 {
            let (a, b) = (self.anchors[n - 2], self.anchors[n - 1]);
            if a.copied && b.copied && a.orig + (b.clean - a.clean) == b.orig {
                self.anchors.pop();
            }
        }
    }

    /// Append `src[start..end]` verbatim.
    pub(crate) fn push_copy(&mut self, src: &str, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let Some(piece) = src.get(start..end) else {
            return;
        };
        match self.src_map {
            None => self.add_anchor(start, true),
            Some(m) => {
                // Split the copy along the source map's own runs.
                let mut i = m
                    .anchors
                    .partition_point(|a| a.clean <= start)
                    .saturating_sub(1);
                let base = self.text.len();
                while let Some(a) = m.anchors.get(i).copied() {
                    if a.clean >= end {
                        break;
                    }
                    let seg_start = a.clean.max(start);
                    let orig = if a.copied {
                        a.orig + (seg_start - a.clean)
                    } else {
                        a.orig
                    };
                    let clean = base + (seg_start - start);
                    self.add_anchor_at(clean, orig, a.copied);
                    i += 1;
                }
            }
        }
        self.text.push_str(piece);
        self.end_orig = self.src_to_orig(end);
    }

    /// Record that cleaned byte `clean` (at or after the current end: text about
    /// to be pushed) maps to `orig`.
    fn add_anchor_at(&mut self, clean: usize, orig: usize, copied: bool) {
        if let Some(last) = self.anchors.last_mut() {
            if last.clean == clean {
                // The previous run turned out empty: replace it.
                *last = Anchor {
                    clean,
                    orig,
                    copied,
                };
                self.merge_last();
                return;
            }
            if copied && last.copied && last.orig + (clean - last.clean) == orig {
                return; // contiguous copy: the current run already covers it
            }
        }
        self.anchors.push(Anchor {
            clean,
            orig,
            copied,
        });
    }

    /// Append `s` in place of `src[start..end]` (which may be empty for an
    /// insertion). Every byte of `s` maps to the original of `start`.
    pub(crate) fn push_replace(&mut self, s: &str, start: usize, end: usize) {
        if s.is_empty() {
            return;
        }
        let orig = self.src_to_orig(start);
        self.add_anchor(orig, false);
        self.text.push_str(s);
        self.end_orig = self.src_to_orig(end);
    }

    /// Finish: the text and its map.
    pub(crate) fn finish(self) -> (String, OffsetMap) {
        let clean_len = self.text.len();
        let map = OffsetMap {
            anchors: self.anchors,
            clean_len,
            end_orig: if clean_len == 0 { 0 } else { self.end_orig },
        };
        (self.text, map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_maps_every_offset_to_itself() {
        let m = OffsetMap::identity(10);
        for i in 0..10 {
            assert_eq!(m.to_original(i), i);
        }
        assert_eq!(m.to_original(10), 10);
        assert_eq!(m.to_original(99), 10);
    }

    #[test]
    fn copies_deletions_and_replacements() {
        let src = "ab  cd\u{a0}ef";
        let mut b = MapBuilder::new(None, 16);
        b.push_copy(src, 0, 3); // "ab "
        b.push_copy(src, 4, 6); // "cd" (one space deleted)
        b.push_replace(" ", 6, 8); // NBSP -> space
        b.push_copy(src, 8, 10);
        let (text, map) = b.finish();
        assert_eq!(text, "ab cd ef");
        let expect = [0, 1, 2, 4, 5, 6, 8, 9];
        for (c, &o) in expect.iter().enumerate() {
            assert_eq!(map.to_original(c), o, "offset {c}");
        }
        assert_eq!(map.to_original(text.len()), src.len());
        // contiguous copies merge
        assert_eq!(map.anchor_count(), 4);
    }

    #[test]
    fn maps_compose_through_a_source_map() {
        // pass 1: "xxABCyy" -> "ABC yy"? build "AB" + replace + "yy"
        let orig = "..AB--CD";
        let mut b1 = MapBuilder::new(None, 8);
        b1.push_copy(orig, 2, 4); // "AB" -> orig 2,3
        b1.push_replace("_", 4, 6); // "_" -> orig 4
        b1.push_copy(orig, 6, 8); // "CD" -> orig 6,7
        let (t1, m1) = b1.finish();
        assert_eq!(t1, "AB_CD");
        let mut b2 = MapBuilder::new(Some(&m1), 8);
        b2.push_copy(&t1, 1, 5); // "B_CD"
        let (t2, m2) = b2.finish();
        assert_eq!(t2, "B_CD");
        assert_eq!(
            (0..4).map(|i| m2.to_original(i)).collect::<Vec<_>>(),
            vec![3, 4, 6, 7]
        );
        assert_eq!(m2.to_original(4), 8);
    }

    #[test]
    fn empty_map() {
        let (t, m) = MapBuilder::new(None, 0).finish();
        assert!(t.is_empty());
        assert_eq!(m.to_original(0), 0);
        assert_eq!(m.to_original(5), 0);
    }
}
