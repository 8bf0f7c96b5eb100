//! Relations between the articles of a batch: near-duplicates and stories.
//!
//! Each record carries a [`Fingerprint`]: the BLAKE3 hash and a MinHash signature of
//! the cleaned text ([`minhash`]) and, when the encoder ran, an int8 *lead vector*
//! ([`stories::Lead`]). A [`Relater`] reads records in input order and sets
//! `duplicate_of` and `similarity` ([`dups`]) and `story` ([`stories`]) from those
//! alone, so the same pass runs
//!
//! - during a run, at the point where records are written in input order (so standard
//!   output streams with the fields set);
//! - at the end of a resumed run and after `brief merge`, over the results file
//!   ([`recompute`]), with the same outcome as one clean run over all the articles.
//!
//! With `--duplicates skip` the feed of a run decides before the encoder runs whether
//! an article repeats an earlier one (`run::feed`), with the same index; see there.

pub mod dups;
#[cfg(any(test, feature = "fixtures"))]
pub mod edits;
pub mod minhash;
pub mod stories;

use std::path::Path;

use crate::config::{DuplicatesMode, RelateConfig};
use crate::error::{Error, Result};
use crate::output::record::Fingerprint;
use crate::output::{results, Record, Status};

use dups::{Duplicates, Print};
use stories::{Lead, Member, Stories, Story};

/// Estimated Jaccard similarity of five-word shingles at or above which an article is
/// a near-duplicate. Edited copies of a story (new headline, a paragraph dropped, a
/// byline and "Read more" lines added, the first sentence rewritten) stay far above
/// it, unrelated stories on one topic far below (README, "Near-duplicates and
/// stories", measured by `examples/relate_eval.rs`).
pub const DEFAULT_DUPLICATE_THRESHOLD: f32 = 0.4;

/// The stories file of an output folder.
pub const STORIES_FILE: &str = "stories.jsonl";

/// The warning of a skipped article that turned out to repeat nothing that succeeded
/// (its only match failed later in the pipeline, or was removed since).
pub const SKIPPED_CANONICAL: &str =
    "skipped as a duplicate, but the article it repeats has no ok record: run with --duplicates mark for its summary";

/// A fingerprint's parts, decoded.
pub fn decode(fp: &Fingerprint) -> Option<(Print, Option<Lead>)> {
    let signature = minhash::Signature::from_base64(&fp.minhash)?;
    let lead = fp.lead.as_deref().and_then(Lead::from_base64);
    Some((
        Print {
            text: fp.text.clone(),
            signature,
        },
        lead,
    ))
}

/// The fingerprint of a cleaned text (and its lead vector, when it has one).
pub fn fingerprint(text: &str, lead: Option<&Lead>) -> Fingerprint {
    let print = Print::of(text);
    Fingerprint {
        text: print.text,
        minhash: print.signature.to_base64(),
        lead: lead.map(Lead::to_base64),
    }
}

/// Turn a full record into what `--duplicates skip` writes for a duplicate: what
/// cleaning found, no summary, claims or model output.
pub fn strip_to_skipped(r: &mut Record) {
    r.skipped = Some("duplicate".into());
    r.summary = None;
    r.claims.clear();
    r.model = None;
    r.warnings.clear();
    if let Some(stats) = &mut r.stats {
        stats.prompt_tokens = None;
        stats.generated_tokens = None;
        stats.parts = None;
    }
    if let Some(fp) = &mut r.fingerprint {
        fp.lead = None;
    }
}

/// The relating pass: records in, in input order, relation fields set.
pub struct Relater {
    mode: DuplicatesMode,
    dups: Duplicates<u64>,
    stories: Stories,
    seen: u64,
}

impl Relater {
    /// A pass under `cfg`.
    pub fn new(cfg: &RelateConfig) -> Self {
        Relater {
            mode: cfg.duplicates,
            dups: Duplicates::new(cfg.duplicate_threshold),
            stories: Stories::new(cfg.story_threshold),
            seen: 0,
        }
    }

    /// Set `r`'s `duplicate_of`, `similarity` and `story` (the next record in input
    /// order). Error records and records without a fingerprint relate to nothing.
    /// Under `--duplicates skip` a full record found to be a duplicate (a shard's
    /// canonical article that another shard had earlier) becomes a skipped one.
    pub fn relate(&mut self, r: &mut Record) {
        r.duplicate_of = None;
        r.similarity = None;
        r.story = None;
        let decoded = match (&r.status, &r.fingerprint) {
            (Status::Ok, Some(fp)) => decode(fp),
            _ => None,
        };
        let Some((print, lead)) = decoded else {
            return;
        };
        self.seen += 1;
        if let Some(d) = self.dups.observe(self.seen, &r.id, &print) {
            r.duplicate_of = Some(d.of);
            r.similarity = Some(d.similarity);
            if self.mode == DuplicatesMode::Skip && r.skipped.is_none() {
                strip_to_skipped(r);
            }
        }
        let orphan = r.skipped.is_some() && r.duplicate_of.is_none();
        if orphan && !r.warnings.iter().any(|w| w == SKIPPED_CANONICAL) {
            r.warnings.push(SKIPPED_CANONICAL.into());
        }
        let first_sentence = r
            .sentences
            .first()
            .and_then(|s| r.text.as_deref().and_then(|t| t.get(s.start..s.end)));
        let label = r.title.as_deref().or(first_sentence);
        let story = self.stories.observe(Member {
            id: &r.id,
            duplicate_of: r.duplicate_of.as_deref(),
            lead: lead.as_ref(),
            label,
            published: r.published.as_deref(),
        });
        r.story = Some(story);
    }

    /// The stories of the records seen, in founding order.
    pub fn finish(self) -> Vec<Story> {
        self.stories.finish()
    }
}

/// Write `stories` to `path` as JSON lines, atomically.
pub fn write_stories(path: &Path, stories: &[Story]) -> Result<()> {
    let mut bytes = Vec::new();
    for s in stories {
        serde_json::to_writer(&mut bytes, s).map_err(|e| Error::Serialize {
            what: "stories",
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
    }
    crate::output::writer::write_atomic(path, &bytes)
}

/// Run the relating pass over the results file at `path` (in input order) and write
/// `stories.jsonl` beside it. Lines whose relation fields come out the same are
/// copied as they are; the others are written anew; the file is replaced atomically,
/// and only when a line changed. Returns how many lines changed.
pub fn recompute(path: &Path, cfg: &RelateConfig) -> Result<usize> {
    let mut relater = Relater::new(cfg);
    let changed = results::rewrite_lines(path, |bytes| {
        let Ok(mut r) = serde_json::from_slice::<Record>(bytes) else {
            return Ok(None);
        };
        let before = relation(&r);
        relater.relate(&mut r);
        if relation(&r) == before {
            return Ok(None);
        }
        serde_json::to_vec(&r)
            .map(Some)
            .map_err(|e| Error::Serialize {
                what: "record",
                message: e.to_string(),
            })
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    write_stories(&dir.join(STORIES_FILE), &relater.finish())?;
    Ok(changed)
}

/// What the relating pass may change in a record.
fn relation(r: &Record) -> impl PartialEq {
    (
        r.duplicate_of.clone(),
        r.similarity.map(f32::to_bits),
        r.story.clone(),
        r.skipped.clone(),
        r.warnings.len(),
        r.summary.is_some(),
    )
}
