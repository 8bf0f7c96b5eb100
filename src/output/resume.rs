//! Deciding what a run over an existing `results.jsonl` may skip, and putting the file
//! back in input order at the end. Pure logic; the file work is in [`super::results`].
//!
//! The rules (documented for users in the README, "Resuming runs"):
//! - An article is identified by its `source`. Its record is kept, and the article
//!   skipped, when the record's `content_hash` equals the hash of what is read now and
//!   its `config_hash` equals this run's.
//! - Error records are kept under the same rule when their kind is a property of the
//!   input (`empty`, `binary`, `encoding`, `too_large`, `parse`) or of the model and
//!   options (`model`). `io` errors (a file that was unreadable, vanished, a symlink
//!   loop) and `internal` ones (a bug, perhaps fixed since) are always redone.
//! - Records of articles no longer among the inputs are removed, as are older copies
//!   when a source has several records: the file ends with exactly one record per
//!   article of the inputs, the same as a clean run would write.
//! - Standard input cannot be read twice, so its articles are always processed.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::output::results::Line;
use crate::output::writer::WrittenLine;
use crate::output::Status;

/// Where an article sits in the input order: (unit, item within the unit). Unit 0
/// holds the failures of the folder walk; input files count from 1.
pub type Position = (usize, usize);

/// What a look at one input unit found: each item's source and content hash, or
/// `None` for a unit that cannot be read twice (standard input).
pub type UnitKeys = Option<Vec<(String, String)>>;

/// Whether an error of this kind would come out the same on a second try with the
/// same input and configuration (and so is kept rather than redone).
pub fn is_final(kind: ErrorKind) -> bool {
    match kind {
        ErrorKind::Empty
        | ErrorKind::Binary
        | ErrorKind::Encoding
        | ErrorKind::TooLarge
        | ErrorKind::Parse
        | ErrorKind::Model => true,
        ErrorKind::Io | ErrorKind::Internal | ErrorKind::Interrupted => false,
    }
}

/// Why earlier records were dropped, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    /// Made with other options or models (or by a version without hashes).
    pub config: usize,
    /// The article changed.
    pub changed: usize,
    /// Transient errors (`io`, `internal`), redone.
    pub retried: usize,
    /// The article is no longer among the inputs (or came from standard input).
    pub gone: usize,
    /// Older copies of a record that appears again later in the file.
    pub duplicate: usize,
}

impl Stale {
    /// All dropped records.
    pub fn total(&self) -> usize {
        self.config + self.changed + self.retried + self.gone + self.duplicate
    }
}

impl std::ops::AddAssign for Stale {
    fn add_assign(&mut self, o: Stale) {
        self.config += o.config;
        self.changed += o.changed;
        self.retried += o.retried;
        self.gone += o.gone;
        self.duplicate += o.duplicate;
    }
}

/// Which earlier records a run keeps and which articles it skips.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Indices (into the scanned lines) of the records kept, in file order.
    pub keep: Vec<usize>,
    /// Why the others were dropped.
    pub stale: Stale,
    /// Kept records that are `ok`.
    pub kept_ok: usize,
    /// Kept error records by kind.
    pub kept_failed_by_kind: BTreeMap<String, usize>,
    kept: HashMap<String, String>,
    positions: HashMap<String, Position>,
    unit_done: Vec<bool>,
}

impl Plan {
    /// Keep nothing, skip nothing.
    pub fn fresh() -> Self {
        Plan::default()
    }

    /// Decide from the scanned `lines`, this run's `config_hash`, and what each input
    /// unit holds now (`units[u]` is unit `u`, at position `(u + 1, item)`). With
    /// `units` empty, nothing matches the inputs and every line is dropped as gone.
    pub fn make(lines: &[Line], config_hash: &str, units: &[UnitKeys]) -> Self {
        let mut plan = Plan::default();
        let mut now: HashMap<&str, (&str, Position)> = HashMap::new();
        for (u, keys) in units.iter().enumerate() {
            for (i, (source, hash)) in keys.iter().flatten().enumerate() {
                now.entry(source.as_str())
                    .or_insert((hash.as_str(), (u + 1, i)));
            }
        }
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, l) in lines.iter().enumerate() {
            last.insert(l.source.as_str(), i);
        }
        for (i, l) in lines.iter().enumerate() {
            if last.get(l.source.as_str()) != Some(&i) {
                plan.stale.duplicate += 1;
                continue;
            }
            let (Some(content), Some(config)) = (&l.content_hash, &l.config_hash) else {
                plan.stale.config += 1;
                continue;
            };
            if config != config_hash {
                plan.stale.config += 1;
                continue;
            }
            if l.status == Status::Error && !l.kind.is_some_and(is_final) {
                plan.stale.retried += 1;
                continue;
            }
            match now.get(l.source.as_str()) {
                None => plan.stale.gone += 1,
                Some((hash, _)) if hash != content => plan.stale.changed += 1,
                Some((_, pos)) => {
                    plan.keep.push(i);
                    plan.kept.insert(l.source.clone(), content.clone());
                    plan.positions.insert(l.source.clone(), *pos);
                    match (l.status, l.kind) {
                        (Status::Ok, _) => plan.kept_ok += 1,
                        (Status::Error, kind) => {
                            let kind = kind.map_or("internal", ErrorKind::as_str);
                            *plan.kept_failed_by_kind.entry(kind.into()).or_default() += 1;
                        }
                    }
                }
            }
        }
        plan.unit_done = units
            .iter()
            .map(|keys| {
                keys.as_ref().is_some_and(|items| {
                    items
                        .iter()
                        .all(|(s, h)| plan.kept.get(s).is_some_and(|k| k == h))
                })
            })
            .collect();
        plan
    }

    /// Whether any of `lines` could be kept under `config_hash`: if not, there is no
    /// need to look at the inputs before the run.
    pub fn worth_checking(lines: &[Line], config_hash: &str) -> bool {
        lines.iter().any(|l| {
            l.content_hash.is_some()
                && l.config_hash.as_deref() == Some(config_hash)
                && (l.status == Status::Ok || l.kind.is_some_and(is_final))
        })
    }

    /// Records kept (articles skipped).
    pub fn skipped(&self) -> usize {
        self.keep.len()
    }

    /// Whether the article from `source` with `content_hash` is already done.
    pub fn is_done(&self, source: &str, content_hash: &str) -> bool {
        self.kept.get(source).is_some_and(|h| h == content_hash)
    }

    /// Whether a kept record exists for `source` (processing it again supersedes it).
    pub fn has(&self, source: &str) -> bool {
        self.kept.contains_key(source)
    }

    /// Whether every article of unit `u` is done, so it need not be read again.
    pub fn unit_done(&self, u: usize) -> bool {
        self.unit_done.get(u).copied().unwrap_or(false)
    }

    /// The input positions of the kept records, by source.
    pub fn positions(&self) -> &HashMap<String, Position> {
        &self.positions
    }
}

/// The lines of a results file (in file order) rearranged for a finished run: one
/// line per source (the last one), sorted by input position; lines whose source has
/// no position go last in file order. `None` when the file is already exactly that.
pub fn reorder(
    lines: &[WrittenLine],
    positions: &HashMap<String, Position>,
) -> Option<Vec<(u64, u64)>> {
    let mut seen = HashSet::new();
    let mut order: Vec<(Option<Position>, usize)> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate().rev() {
        if seen.insert(l.source.as_str()) {
            order.push((positions.get(&l.source).copied(), i));
        }
    }
    order.reverse();
    // `None` sorts first in Option's order; put it last. The sort is stable.
    order.sort_by_key(|(p, _)| (p.is_none(), *p));
    let in_place =
        order.len() == lines.len() && order.iter().enumerate().all(|(k, (_, i))| k == *i);
    (!in_place).then(|| {
        order
            .iter()
            .map(|&(_, i)| (lines[i].offset, lines[i].len))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "cfg";

    fn line(source: &str, content: &str, status: Status, kind: Option<ErrorKind>) -> Line {
        Line {
            source: source.into(),
            content_hash: Some(content.into()),
            config_hash: Some(CFG.into()),
            status,
            kind,
            offset: 0,
            len: 1,
        }
    }

    fn ok(source: &str, content: &str) -> Line {
        line(source, content, Status::Ok, None)
    }

    fn unit(items: &[(&str, &str)]) -> UnitKeys {
        Some(
            items
                .iter()
                .map(|(s, h)| (s.to_string(), h.to_string()))
                .collect(),
        )
    }

    #[test]
    fn same_content_and_config_is_skipped() {
        let lines = [ok("a", "1"), ok("b", "2")];
        let units = [unit(&[("a", "1")]), unit(&[("b", "2")])];
        let p = Plan::make(&lines, CFG, &units);
        assert_eq!(p.keep, [0, 1]);
        assert_eq!(p.stale, Stale::default());
        assert!(p.is_done("a", "1") && !p.is_done("a", "9") && !p.is_done("c", "1"));
        assert!(p.unit_done(0) && p.unit_done(1) && !p.unit_done(2));
        assert_eq!((p.skipped(), p.kept_ok), (2, 2));
        assert!(Plan::worth_checking(&lines, CFG));
        assert!(!Plan::worth_checking(&lines, "other"));
        assert_eq!(p.positions()["b"], (2, 0));
    }

    #[test]
    fn changes_are_redone_and_counted_by_reason() {
        let mut other_cfg = ok("c", "3");
        other_cfg.config_hash = Some("old".into());
        let mut no_hash = ok("d", "4");
        no_hash.content_hash = None;
        let lines = [
            ok("a", "1"),
            ok("b", "2-old"),
            other_cfg,
            no_hash,
            line("e", "5", Status::Error, Some(ErrorKind::Io)),
            line("f", "6", Status::Error, Some(ErrorKind::Internal)),
            line("g", "7", Status::Error, Some(ErrorKind::Binary)),
            line("h", "8", Status::Error, Some(ErrorKind::Model)),
            ok("gone", "9"),
        ];
        let units = [unit(&[
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
            ("g", "7"),
            ("h", "8"),
        ])];
        let p = Plan::make(&lines, CFG, &units);
        assert_eq!(p.keep, [0, 6, 7]);
        assert_eq!(
            p.stale,
            Stale {
                config: 2,
                changed: 1,
                retried: 2,
                gone: 1,
                duplicate: 0
            }
        );
        assert_eq!(p.stale.total(), 6);
        assert!(!p.unit_done(0));
        assert_eq!(p.kept_ok, 1);
        assert_eq!(p.kept_failed_by_kind["binary"], 1);
        assert_eq!(p.kept_failed_by_kind["model"], 1);
    }

    #[test]
    fn the_last_copy_of_a_source_wins_and_stdin_is_never_kept() {
        let lines = [ok("a", "old"), ok("-:1", "x"), ok("a", "1")];
        let p = Plan::make(&lines, CFG, &[unit(&[("a", "1")]), None]);
        assert_eq!(p.keep, [2]);
        assert_eq!(p.stale.duplicate, 1);
        assert_eq!(p.stale.gone, 1);
        assert!(!p.unit_done(1), "stdin is always read");
    }

    fn written(sources: &[&str]) -> Vec<WrittenLine> {
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| WrittenLine {
                source: s.to_string(),
                offset: i as u64 * 10,
                len: 10,
            })
            .collect()
    }

    #[test]
    fn reorder_sorts_by_position_and_drops_older_copies() {
        let positions: HashMap<String, Position> = [("a", (1, 0)), ("b", (1, 1)), ("c", (2, 0))]
            .iter()
            .map(|(s, p)| (s.to_string(), *p))
            .collect();
        assert_eq!(reorder(&written(&["a", "b", "c"]), &positions), None);
        assert_eq!(
            reorder(&written(&["a", "c", "b"]), &positions),
            Some(vec![(0, 10), (20, 10), (10, 10)])
        );
        assert_eq!(
            reorder(&written(&["a", "b", "c", "b"]), &positions),
            Some(vec![(0, 10), (30, 10), (20, 10)])
        );
        assert_eq!(
            reorder(&written(&["x", "a"]), &positions),
            Some(vec![(10, 10), (0, 10)])
        );
    }
}
