//! Measure near-duplicate detection and story grouping on real news text, and the
//! duplicate pass at scale. A measurement tool, not a test: it reads a corpus laid out
//! like the shared one (`bbc/article/<topic>/<n>.txt`, `cnndm-dev/articles/*.txt`).
//!
//! ```sh
//! cargo run --release --example relate_eval -- dups CORPUS          # P/R of near-duplicates
//! cargo run --release --example relate_eval -- stories CORPUS       # P/R of stories (needs models/)
//! /usr/bin/time -f "%e s %M KB" \
//!   target/release/examples/relate_eval scale CORPUS 100000        # bounded memory at scale
//! cargo run --release --example relate_eval -- feed CORPUS feed.jsonl  # a wire-heavy feed
//! ```
//!
//! - **dups**: every story, and five edited copies of each ([`Edit`]: a changed
//!   headline, a dropped paragraph, a byline and "Read more" lines, a rewritten first
//!   sentence, all four), through the run's own cleaning and the duplicate index, the
//!   originals first in corpus order. A predicted pair is (article, `duplicate_of`);
//!   true pairs are (edit, its original) and the corpus's own near-copies (two BBC
//!   files carry the same story). Also: the highest similarity between two different
//!   stories of one BBC topic (the "same topic, must not match" margin).
//! - **stories**: every story, and each CNN/DailyMail story's human highlights as an
//!   article of its own (the same event in other words, as another outlet's short
//!   report), with the BBC stories a reader would put in one story (listed below);
//!   lead vectors from the real encoder through the pipeline; pair precision/recall of
//!   the online story assignment over a sweep of thresholds, and of lead-vector cosine
//!   alone.
//! - **scale**: N articles made from the corpus (half of them new texts mixing
//!   sentences of different stories, half edited copies of earlier ones), cleaned,
//!   fingerprinted and related one at a time as a run does, with synthetic lead
//!   vectors: nothing but the index is kept.

use std::path::{Path, PathBuf};
use std::time::Instant;

use brief::config::Config;
use brief::ingest::{read_bytes, Format, IngestOptions};
use brief::model::sampling::SplitMix64;
use brief::output::{Record, Status};
use brief::pipeline::Engine;
use brief::relate::dups::{Duplicates, Print};
use brief::relate::edits::Edit;
use brief::relate::stories::{Lead, Member, Stories};
use brief::relate::DEFAULT_DUPLICATE_THRESHOLD;
use rayon::prelude::*;

/// BBC stories about the same event (by path under `bbc/article/`), labelled by hand
/// from the texts: the same prize, the same suspension, the same doping case, and one
/// story the data set holds twice.
const SAME_EVENT: &[&[&str]] = &[
    &["entertainment/007", "entertainment/013"],
    &["sport/012", "sport/020"],
    &["sport/013", "sport/019"],
    &["sport/016", "sport/017"],
];

/// Stories of the corpus: (name, text). BBC names are `topic/NNN`.
fn stories(corpus: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (dir, prefix) in [
        (corpus.join("bbc/article"), ""),
        (corpus.join("cnndm-dev/articles"), "cnndm/"),
    ] {
        let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
            .map(|e| e.into_path())
            .collect();
        paths.sort();
        for p in paths {
            let name = p.strip_prefix(&dir)?.with_extension("");
            out.push((
                format!("{prefix}{}", name.display()),
                std::fs::read_to_string(&p)?,
            ));
        }
    }
    anyhow::ensure!(!out.is_empty(), "no stories under {}", corpus.display());
    Ok(out)
}

/// The article a run would read from `text` as a `.txt` file.
fn article(name: &str, text: &str) -> brief::ingest::Article {
    let items = read_bytes(
        text.as_bytes().to_vec(),
        Format::Txt,
        name,
        &IngestOptions::default(),
    );
    items
        .into_iter()
        .next()
        .and_then(Result::ok)
        .expect("a readable article")
}

/// The print of the cleaned text, as records carry it.
fn print(name: &str, text: &str) -> Print {
    let a = article(name, text);
    Print::of(&brief::text::clean(&a.body, a.title.as_deref()).text)
}

/// Stories the BBC set holds twice (a few words apart): true near-duplicates.
const TWICE: &[(&str, &str)] = &[("sport/012", "sport/020")];

/// Whether `a` is `b` or the same story held twice.
fn same_story(a: &str, b: &str) -> bool {
    a == b
        || TWICE
            .iter()
            .any(|&(x, y)| (a, b) == (x, y) || (a, b) == (y, x))
}

fn group_of(name: &str) -> String {
    SAME_EVENT
        .iter()
        .find(|g| g.contains(&name))
        .map_or(name.to_string(), |g| g[0].to_string())
}

fn dups(corpus: &Path) -> anyhow::Result<()> {
    let stories = stories(corpus)?;
    let prints: Vec<(String, Print)> = stories
        .par_iter()
        .map(|(n, t)| (n.clone(), print(n, t)))
        .collect();
    let mut edits: Vec<(String, Edit, Print)> = Vec::new();
    for (n, t) in &stories {
        for e in Edit::ALL {
            edits.push((n.clone(), e, print(n, &e.apply(t))));
        }
    }
    // Same-topic margin: the most similar two different BBC stories of one topic.
    let mut margin: (f32, String, String) = (0.0, String::new(), String::new());
    for (i, (a, pa)) in prints.iter().enumerate() {
        for (b, pb) in &prints[i + 1..] {
            let topic = |n: &str| n.split('/').next().unwrap_or("").to_string();
            if topic(a) == topic(b) && group_of(a) != group_of(b) {
                let s = pa.signature.similarity(&pb.signature);
                if s > margin.0 {
                    margin = (s, a.clone(), b.clone());
                }
            }
        }
    }
    println!("{} stories, {} edited copies", stories.len(), edits.len());
    println!(
        "most similar different stories of one BBC topic: {:.3} ({} vs {})",
        margin.0, margin.1, margin.2
    );
    println!("\nthreshold  precision  recall  F1     false pairs  (recall by edit)");
    for t in [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let mut d: Duplicates<usize> = Duplicates::new(t);
        let mut predicted = Vec::new();
        for (i, (n, p)) in prints.iter().enumerate() {
            if let Some(x) = d.observe(i, n, p) {
                predicted.push((n.clone(), x.of, None));
            }
        }
        for (j, (n, e, p)) in edits.iter().enumerate() {
            let id = format!("{n}#{}", e.name());
            if let Some(x) = d.observe(prints.len() + j, &id, p) {
                predicted.push((id, x.of, Some((n.clone(), *e))));
            }
        }
        // True: an edit pointing at its original, the original's twin, or another
        // edit of it that came first (a copy the index took as canonical); a story
        // pointing at its twin.
        let origin = |id: &str| id.split('#').next().unwrap_or(id).to_string();
        let correct = |(id, of, edit): &(String, String, Option<(String, Edit)>)| match edit {
            Some((orig, _)) => same_story(&origin(of), orig),
            None => same_story(id, of),
        };
        let right = predicted.iter().filter(|p| correct(p)).count();
        let positives = edits.len() + TWICE.len();
        let precision = right as f64 / predicted.len().max(1) as f64;
        let recall = right as f64 / positives as f64;
        let mut by_edit = Vec::new();
        for e in Edit::ALL {
            let found = predicted
                .iter()
                .filter(|p| p.2.as_ref().is_some_and(|(_, pe)| *pe == e) && correct(p))
                .count();
            by_edit.push(format!("{} {}/{}", e.name(), found, stories.len()));
        }
        let f1 = 2.0 * precision * recall / (precision + recall).max(1e-9);
        let marker = if (t - DEFAULT_DUPLICATE_THRESHOLD).abs() < 1e-6 {
            " (default)"
        } else {
            ""
        };
        println!(
            "{t:.1}{marker:<10} {precision:.4}     {recall:.4}  {f1:.4}  {:<11}  {}",
            predicted.len() - right,
            by_edit.join(", ")
        );
    }
    let mut lowest: Vec<(f32, &str)> = Vec::new();
    for (n, e, p) in &edits {
        let orig = &prints.iter().find(|(m, _)| m == n).expect("its original").1;
        lowest.push((p.signature.similarity(&orig.signature), e.name()));
    }
    lowest.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "lowest similarity of an edit to its original: {:.3} ({})",
        lowest[0].0, lowest[0].1
    );
    Ok(())
}

/// The start of a story: the headline line when there is one and its first `n`
/// sentences (all the lead vector reads, so embedding it gives the whole story's).
fn lead_of(text: &str, headline: bool, n: usize) -> String {
    let (head, body) = if headline {
        text.split_once('\n').unwrap_or(("", text))
    } else {
        ("", text)
    };
    let sentences: Vec<&str> = body.split_inclusive(['.', '\n']).take(n * 2).collect();
    format!("{head}\n\n{}", sentences.concat().trim())
}

/// CNN/DailyMail highlights as prose (`refs.jsonl` is tokenised: "Friday .").
fn detokenise(s: &str) -> String {
    s.replace(" .", ".")
        .replace(" ,", ",")
        .replace(" 's", "'s")
        .replace(" n't", "n't")
        .replace(" ' ", "' ")
}

fn stories_eval(corpus: &Path, models: PathBuf) -> anyhow::Result<()> {
    let stories = stories(corpus)?;
    let engine = Engine::load(&Config {
        models_dir: models,
        ..Config::default()
    })?;
    // (name, group, text): every story's start, then each CNN/DailyMail story's
    // highlights — a short report of the same event in other words, as another
    // outlet's would be.
    let mut docs: Vec<(String, String, String)> = Vec::new();
    for (n, t) in &stories {
        let cnn = n.starts_with("cnndm/");
        docs.push((n.clone(), group_of(n), lead_of(t, !cnn, 4)));
    }
    let refs = std::fs::read_to_string(corpus.join("cnndm-dev/refs.jsonl"))?;
    for line in refs.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(id), Some(r)) = (v["id"].as_str(), v["reference"].as_str()) else {
            continue;
        };
        let n = format!("cnndm/{id}");
        if stories.iter().any(|(m, _)| *m == n) {
            docs.push((format!("{n}#highlights"), n, detokenise(r)));
        }
    }
    let t0 = Instant::now();
    let records: Vec<Record> = docs
        .par_iter()
        .map(|(n, _, t)| engine.process(&article(n, t)).0)
        .collect();
    eprintln!(
        "embedded {} leads in {:.1} s",
        docs.len(),
        t0.elapsed().as_secs_f64()
    );
    let leads: Vec<Option<Lead>> = records
        .iter()
        .map(|r| {
            (r.status == Status::Ok)
                .then(|| {
                    r.fingerprint
                        .as_ref()
                        .and_then(|f| f.lead.as_deref())
                        .and_then(Lead::from_base64)
                })
                .flatten()
        })
        .collect();
    let groups: Vec<&str> = docs.iter().map(|d| d.1.as_str()).collect();
    let mut positives = 0usize;
    for i in 0..docs.len() {
        for j in i + 1..docs.len() {
            positives += usize::from(groups[i] == groups[j]);
        }
    }
    println!(
        "{} articles, {} same-event pairs of {} pairs",
        docs.len(),
        positives,
        docs.len() * (docs.len() - 1) / 2
    );
    // The same-topic negatives: different events of one BBC topic.
    println!("\nthreshold  assignment P  R       F1      | pair cosine P  R       F1");
    let mut best = (0.0, 0.0);
    for t in [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9] {
        let mut s = Stories::new(t);
        let story: Vec<String> = docs
            .iter()
            .zip(&leads)
            .map(|((n, _, _), lead)| {
                s.observe(Member {
                    id: n,
                    duplicate_of: None,
                    lead: lead.as_ref(),
                    label: None,
                    published: None,
                })
            })
            .collect();
        let (mut tp, mut fp, mut ctp, mut cfp) = (0usize, 0usize, 0usize, 0usize);
        for i in 0..docs.len() {
            for j in i + 1..docs.len() {
                let same = groups[i] == groups[j];
                if story[i] == story[j] {
                    if same {
                        tp += 1
                    } else {
                        fp += 1
                    }
                }
                if let (Some(a), Some(b)) = (&leads[i], &leads[j]) {
                    let centroid: Vec<i32> = b.0.iter().map(|&v| i32::from(v)).collect();
                    if a.cosine(&centroid) >= f64::from(t) {
                        if same {
                            ctp += 1
                        } else {
                            cfp += 1
                        }
                    }
                }
            }
        }
        let prf = |tp: usize, fp: usize| {
            let p = tp as f64 / (tp + fp).max(1) as f64;
            let r = tp as f64 / positives.max(1) as f64;
            (p, r, 2.0 * p * r / (p + r).max(1e-9))
        };
        let (p, r, f) = prf(tp, fp);
        let (cp, cr, cf) = prf(ctp, cfp);
        if f > best.1 {
            best = (t, f);
        }
        println!("{t:.2}       {p:.4}      {r:.4}  {f:.4}  | {cp:.4}         {cr:.4}  {cf:.4}");
    }
    println!("best assignment F1 at threshold {:.2}", best.0);
    Ok(())
}

/// A deterministic stream for the scale run.
struct Rng(SplitMix64);
impl Rng {
    fn new(seed: u64) -> Self {
        Rng(SplitMix64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// New text number `k`: a headline and 12 sentences drawn from the pool, in
/// paragraphs of three (a pure function of `k`, so a copy can be made of it later).
fn salad(pool: &[String], k: u64) -> String {
    let mut rng = Rng::new(k.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xdead_beef);
    let mut out = format!("Report {k}: {}\n\n", &pool[rng.below(pool.len())]);
    for p in 0..4 {
        let para: Vec<&str> = (0..3)
            .map(|_| pool[rng.below(pool.len())].as_str())
            .collect();
        out.push_str(&para.join(" "));
        out.push_str(if p < 3 { "\n\n" } else { "\n" });
    }
    out
}

fn scale(corpus: &Path, n: usize) -> anyhow::Result<()> {
    let stories = stories(corpus)?;
    let pool: Vec<String> = stories
        .iter()
        .flat_map(|(_, t)| {
            t.lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| l.split_whitespace().count() >= 6)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut d: Duplicates<usize> = Duplicates::new(DEFAULT_DUPLICATE_THRESHOLD);
    let mut s = Stories::new(brief::relate::stories::DEFAULT_STORY_THRESHOLD);
    let mut rng = Rng::new(42);
    let (mut copies, mut found, mut false_found) = (0usize, 0usize, 0usize);
    let t0 = Instant::now();
    let mut originals = 0u64;
    for i in 0..n {
        // Half new texts, half edited copies of an earlier new text.
        let (text, copy_of) = if i == 0 || rng.below(2) == 0 {
            originals += 1;
            (salad(&pool, originals), None)
        } else {
            let k = 1 + rng.below(originals as usize) as u64;
            (
                Edit::ALL[rng.below(Edit::ALL.len())].apply(&salad(&pool, k)),
                Some(k),
            )
        };
        let id = format!("a{i}");
        let p = print(&id, &text);
        let dup = d.observe(i, &id, &p);
        match (&dup, copy_of) {
            (Some(_), Some(_)) => {
                copies += 1;
                found += 1
            }
            (None, Some(_)) => copies += 1,
            (Some(_), None) => false_found += 1,
            (None, None) => {}
        }
        // A synthetic lead vector per new text (the encoder is not what is measured).
        let lead = dup.is_none().then(|| {
            let mut r = Rng::new(i as u64);
            Lead((0..384).map(|_| (r.next() % 255) as i8).collect())
        });
        s.observe(Member {
            id: &id,
            duplicate_of: dup.as_ref().map(|x| x.of.as_str()),
            lead: lead.as_ref(),
            label: None,
            published: None,
        });
    }
    let secs = t0.elapsed().as_secs_f64();
    let stories = s.finish();
    println!(
        "{n} articles ({} new texts, {copies} edited copies): {found} copies found ({:.2} %), {false_found} new texts taken for copies; {} stories; {:.1} s ({:.0} articles/s)",
        originals,
        100.0 * found as f64 / copies.max(1) as f64,
        stories.len(),
        secs,
        n as f64 / secs
    );
    Ok(())
}

/// A wire-heavy feed for `brief run`: every story, then its five edited copies, as
/// JSON lines (`id`, `body`), to time `--duplicates skip` against `mark`.
fn feed(corpus: &Path, out: &Path) -> anyhow::Result<()> {
    let stories = stories(corpus)?;
    let mut lines = String::new();
    let mut line = |id: String, body: String| {
        lines.push_str(&serde_json::json!({ "id": id, "body": body }).to_string());
        lines.push('\n');
    };
    for (n, t) in &stories {
        line(n.clone(), t.clone());
    }
    for (n, t) in &stories {
        for e in Edit::ALL {
            line(format!("{n}#{}", e.name()), e.apply(t));
        }
    }
    std::fs::write(out, lines)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("");
    let corpus = PathBuf::from(args.get(1).map_or("/work/shared/corpus", String::as_str));
    match what {
        "dups" => dups(&corpus),
        "stories" => stories_eval(&corpus, brief::model::files::models_dir()),
        "scale" => scale(&corpus, args.get(2).map_or(Ok(100_000), |n| n.parse())?),
        "feed" => feed(
            &corpus,
            Path::new(args.get(2).map_or("feed.jsonl", String::as_str)),
        ),
        _ => anyhow::bail!("usage: relate_eval dups|stories|scale|feed CORPUS [N|OUT.jsonl]"),
    }
}
