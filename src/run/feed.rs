//! The feed: inputs read in order (skipping what earlier runs finished) and handed
//! to the workers one at a time as they have room; each record is sent to the drain
//! as soon as its article is done.
//!
//! Reading happens on the iterator the workers take turns to pull from, so they are
//! handed articles in input order and the drain's reorder buffer stays small (about
//! the articles decoding at once) however long the run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Mutex;
use std::time::Instant;

use crate::cancel::Cancel;
use crate::ingest::shard::{owns, Shard};
use crate::ingest::{self, Article, Failure, IngestOptions, Unit};
use crate::output::resume::{Plan, Position};
use crate::output::Record;
use crate::pipeline::{Engine, StageMs};
use crate::relate::dups::Duplicates;

/// One step of the run, in input order.
enum Work {
    /// Process this article (`true`: only as a skipped duplicate).
    Article(Article, Position, bool),
    /// Record this read failure.
    Failed(Failure, Position),
    /// Already done (one article, or a whole unit not read again).
    Skip,
}

/// The article of a step that is to be processed.
fn to_process((_, work): &(usize, Work)) -> Option<&Article> {
    match work {
        Work::Article(a, _, false) => Some(a),
        _ => None,
    }
}

/// What the feed sends the drain for each step: its index in input order, the record
/// (with its place in the inputs) unless the step was skipped, and stage times.
pub(super) type Done = (usize, Option<(Record, Position)>, StageMs);

/// Everything the feed reads from.
pub(super) struct Feed<'a> {
    pub engine: &'a Engine,
    pub units: &'a [Unit],
    pub plan: &'a Plan,
    pub ingest: &'a IngestOptions,
    pub pool: &'a rayon::ThreadPool,
    /// Articles each worker keeps decoding together.
    pub slots: usize,
    /// Set by a signal: no new unit is read, no new group started.
    pub cancel: &'a Cancel,
    /// Set by the drain when it cannot write: the same.
    pub stop: &'a AtomicBool,
    /// Nanoseconds spent reading inputs.
    pub ingest_ns: &'a AtomicU64,
    /// Only this shard's articles are processed.
    pub shard: Option<Shard>,
    /// Articles read and left to other shards.
    pub out_of_shard: &'a AtomicU64,
    /// With `--duplicates skip`: the articles read so far (and those earlier runs
    /// wrote), to tell before processing whether an article repeats an earlier one.
    /// Only the iterator feeding the pool locks it, one article at a time, in input
    /// order.
    pub seen: Option<&'a Mutex<Duplicates<Position>>>,
}

impl Feed<'_> {
    fn stopped(&self) -> bool {
        self.cancel.is_cancelled() || self.stop.load(Ordering::Relaxed)
    }

    /// The steps of unit `u`, read as they are asked for (a JSONL stream one line at
    /// a time), unless the unit is done as a whole.
    fn read<'u>(&'u self, u: usize, unit: &'u Unit) -> Box<dyn Iterator<Item = Work> + Send + 'u> {
        if self.plan.unit_done(u) {
            return Box::new(std::iter::once(Work::Skip));
        }
        // Other shards' articles go before numbering: positions must match those
        // `prepare` gave kept records.
        let mut items = ingest::stream_unit(unit, self.ingest)
            .filter(|item| {
                let mine = owns(self.shard, item);
                if !mine {
                    self.out_of_shard.fetch_add(1, Ordering::Relaxed);
                }
                mine
            })
            .enumerate();
        let pos = move |i: usize| (u + 1, i);
        Box::new(std::iter::from_fn(move || {
            let t = Instant::now();
            let next = items.next();
            self.ingest_ns
                .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
            let (i, item) = next?;
            Some(match item {
                Ok(a) if self.plan.is_done(&a.key(), &a.content_hash()) => Work::Skip,
                Ok(a) => {
                    let skip = self.repeats(&a, pos(i));
                    Work::Article(a, pos(i), skip)
                }
                Err(f) if self.plan.is_done(&f.key(), &f.content_hash()) => Work::Skip,
                Err(f) => Work::Failed(f, pos(i)),
            })
        }))
    }

    /// With `--duplicates skip`, whether `a` at `pos` repeats an article before it
    /// (indexing it for the articles after it).
    fn repeats(&self, a: &Article, pos: Position) -> bool {
        let Some(seen) = self.seen else {
            return false;
        };
        let Some(print) = self.engine.print(a) else {
            return false;
        };
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.observe(pos, &a.id, &print).is_some()
    }

    /// Read and process everything, sending each step's outcome to `tx`: every
    /// worker takes the next step from the feed as soon as it has a decode slot free
    /// ([`Engine::process_on`]), so each worker's batch stays full to the end of the
    /// run and a record is sent the moment its article is done. Returns when the
    /// inputs are exhausted or the run is stopped.
    pub fn run(&self, tx: SyncSender<Done>) {
        let items = self
            .units
            .iter()
            .enumerate()
            // Checked before each unit and each article is read: a signal stops the
            // feed at once.
            .take_while(|_| !self.stopped())
            .flat_map(|(u, unit)| self.read(u, unit))
            .take_while(|_| !self.stopped())
            .enumerate();
        self.engine.process_on(
            self.pool,
            self.slots,
            items,
            to_process,
            |(idx, work), done| {
                // The receiver only disappears after a write error; then stop.
                if tx.send(self.outcome(idx, work, done)).is_err() {
                    self.stop.store(true, Ordering::Relaxed);
                }
            },
        );
    }

    /// What the drain is sent for step `idx`: `done` is its article's record, if
    /// the engine processed one. Articles abandoned by a stop send no record (the
    /// next run does them).
    fn outcome(&self, idx: usize, work: Work, done: Option<(Record, StageMs)>) -> Done {
        match (work, done) {
            (Work::Article(a, pos, true), _) => {
                let (record, ms) = self.engine.skip(&a);
                (idx, Some((record, pos)), ms)
            }
            (Work::Article(..), Some((record, _))) if record.is_interrupted() => {
                (idx, None, StageMs::new())
            }
            (Work::Article(_, pos, _), Some((record, ms))) => (idx, Some((record, pos)), ms),
            (Work::Failed(f, pos), _) => (idx, Some((self.engine.failed(f), pos)), StageMs::new()),
            _ => (idx, None, StageMs::new()),
        }
    }
}
