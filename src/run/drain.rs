//! The drain: records arrive from the workers in any order, are counted, and are
//! written in input order (one whole line per write) to standard output or the
//! results file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use crate::error::Result;
use crate::output::manifest::Counts;
use crate::output::resume::Position;
use crate::output::writer::WrittenLine;
use crate::output::{OrderedWriter, Record, Status};
use crate::pipeline::StageMs;

use super::feed::Done;
use super::Reporter;

/// The writing end of a run.
pub(super) struct Drain<'a> {
    pub writer: OrderedWriter,
    /// Where each record's article is in the inputs (for the final reorder).
    pub positions: HashMap<String, Position>,
    /// Whether positions matter (a results folder; not standard output).
    pub track_positions: bool,
    pub counts: &'a mut Counts,
    /// Stage times summed over the records.
    pub stage_ms: StageMs,
    pub progress: Option<&'a Reporter>,
}

impl Drain<'_> {
    /// Count a record written by this run.
    fn tally(&mut self, r: &Record) {
        let counts = &mut *self.counts;
        counts.articles += 1;
        counts.done += 1;
        match (&r.status, &r.error) {
            (Status::Ok, _) => counts.ok += 1,
            (Status::Error, e) => {
                counts.failed += 1;
                let kind = e.as_ref().map_or("internal", |e| e.kind.as_str());
                *counts.failed_by_kind.entry(kind.to_string()).or_default() += 1;
            }
        }
    }

    /// Records of inputs that could not even be walked: first in the output (they
    /// have no place in the input order of readable files).
    pub fn walk_failures(&mut self, records: Vec<Record>) -> Result<()> {
        for (i, r) in records.iter().enumerate() {
            self.tally(r);
            if self.track_positions {
                self.positions.insert(r.key(), (0, i));
            }
        }
        self.writer.push(0, records)
    }

    /// Write what the feed sends until it is done. A write error sets `stop` (the
    /// feed then starts nothing new) and is returned.
    pub fn receive(&mut self, rx: Receiver<Done>, stop: &AtomicBool) -> Result<()> {
        for (idx, done, ms) in rx {
            for (k, v) in ms {
                *self.stage_ms.entry(k).or_default() += v;
            }
            if let Some(p) = self.progress {
                p.0.advance();
            }
            let records = match done {
                Some((record, pos)) => {
                    self.tally(&record);
                    if self.track_positions {
                        self.positions.insert(record.key(), pos);
                    }
                    vec![record]
                }
                None => Vec::new(),
            };
            if let Err(e) = self.writer.push(idx + 1, records) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Flush everything; after a stop, also what arrived after a gap. Returns the
    /// lines this run appended.
    pub fn finish(
        self,
        interrupted: bool,
    ) -> Result<(Vec<WrittenLine>, HashMap<String, Position>, StageMs)> {
        let appended = if interrupted {
            self.writer.finish_partial()?
        } else {
            self.writer.finish()?
        };
        Ok((appended, self.positions, self.stage_ms))
    }
}
