//! `brief eval`: score a `results.jsonl` against reference summaries — ROUGE for the
//! abstractive and the extractive summary and a Lead-3 baseline from the same articles,
//! claim fidelity, and length — per article and as means with bootstrap intervals.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::eval::{self as rouge, bootstrap_mean, Interval, RougeScores};
use crate::extract::features;
use crate::output::{Record, Status};

/// Where reference summaries come from.
#[derive(Debug, Clone)]
pub enum References {
    /// A folder mirroring the articles' layout (see [`find_reference_file`]).
    Dir(PathBuf),
    /// A JSONL file of `{"id": …, "reference": …}`.
    Jsonl(HashMap<String, String>),
}

impl References {
    /// Open `path`: a folder, or a JSONL file with `id` and `reference` fields (a
    /// later line with an id seen before replaces the earlier one).
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_reporting(path).map(|(refs, _)| refs)
    }

    /// [`Self::open`], also returning the ids that appear more than once in a JSONL
    /// file (in order of their second appearance). Streams the file line by line.
    pub fn open_reporting(path: &Path) -> Result<(Self, Vec<String>)> {
        use std::io::BufRead;
        if path.is_dir() {
            return Ok((References::Dir(path.to_path_buf()), Vec::new()));
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut map = HashMap::new();
        let mut duplicates = Vec::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
                Error::References(format!("{}:{}: not JSON: {e}", path.display(), i + 1))
            })?;
            let id = match &v["id"] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(Error::References(format!(
                        "{}:{}: no `id` field",
                        path.display(),
                        i + 1
                    )))
                }
            };
            let reference = ["reference", "summary", "highlights"]
                .iter()
                .find_map(|k| v[*k].as_str())
                .ok_or_else(|| {
                    Error::References(format!(
                        "{}:{}: no `reference` field",
                        path.display(),
                        i + 1
                    ))
                })?;
            if map.insert(id.clone(), reference.to_string()).is_some() {
                duplicates.push(id);
            }
        }
        Ok((References::Jsonl(map), duplicates))
    }

    /// The reference for a record, if there is one.
    pub fn get(&self, record: &Record) -> Option<String> {
        match self {
            References::Jsonl(map) => map.get(&record.id).cloned(),
            References::Dir(dir) => find_reference_file(dir, Path::new(&record.source))
                .and_then(|p| std::fs::read_to_string(p).ok()),
        }
    }
}

/// Folder names that hold articles, and what the matching reference folder is called.
const ARTICLE_DIRS: &[&str] = &["article", "articles", "stories", "story"];
const REFERENCE_DIRS: &[&str] = &["summary", "summaries", "reference", "references"];

/// Find the reference for the article at `source` under `refs`: the longest tail of
/// the source path that exists under `refs`, also trying `article(s)/…` →
/// `summary|summaries|reference(s)/…` (so `--refs bbc/` matches `bbc/article/x/1.txt` to
/// `bbc/summary/x/1.txt`). At least the parent folder and the file name must match.
pub fn find_reference_file(refs: &Path, source: &Path) -> Option<PathBuf> {
    // Only plain names: joining an absolute tail would replace `refs` altogether.
    let parts: Vec<&std::ffi::OsStr> = source
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let same_file =
        |p: &Path| matches!((p.canonicalize(), source.canonicalize()), (Ok(a), Ok(b)) if a == b);
    for k in (2..=parts.len()).rev() {
        let tail = &parts[parts.len() - k..];
        // `article/x/1.txt` → `summary/x/1.txt` first: a refs folder laid out like the
        // BBC set holds the articles too.
        let first = tail[0].to_string_lossy().to_lowercase();
        if ARTICLE_DIRS.contains(&first.as_str()) {
            for r in REFERENCE_DIRS {
                let p: PathBuf = std::iter::once(std::ffi::OsStr::new(r))
                    .chain(tail[1..].iter().copied())
                    .collect();
                if refs.join(&p).is_file() {
                    return Some(refs.join(p));
                }
            }
        }
        let direct = refs.join(tail.iter().collect::<PathBuf>());
        if direct.is_file() && !same_file(&direct) {
            return Some(direct);
        }
    }
    None
}

/// ROUGE of one system on one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScores {
    /// Record id.
    pub id: String,
    /// Record source.
    pub source: String,
    /// ROUGE of the abstractive summary (when the record has one).
    pub abstractive: Option<RougeScores>,
    /// ROUGE of the extractive selection.
    pub extractive: Option<RougeScores>,
    /// ROUGE of the first three sentences.
    pub lead3: Option<RougeScores>,
    /// Words in the summary.
    pub summary_words: usize,
    /// Words in the article body.
    pub article_words: usize,
}

/// Mean and interval of each ROUGE F1 for one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemSummary {
    /// Articles scored.
    pub n: usize,
    /// ROUGE-1 F1 (×100).
    pub rouge1: Interval,
    /// ROUGE-2 F1 (×100).
    pub rouge2: Interval,
    /// ROUGE-L F1 (×100).
    pub rouge_l: Interval,
    /// ROUGE-Lsum F1 (×100).
    pub rouge_lsum: Interval,
    /// Mean precision/recall of ROUGE-1 (×100), for length diagnosis.
    pub rouge1_precision: f64,
    /// Mean recall of ROUGE-1 (×100).
    pub rouge1_recall: f64,
}

/// Claim fidelity over all ok records.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClaimFidelity {
    /// Claims in all.
    pub claims: usize,
    /// Mean claims per ok article.
    pub per_article: f64,
    /// Share of claims marked grounded.
    pub grounded: f64,
    /// Share of claims whose numbers all occur in the source text.
    pub numbers_in_source: f64,
    /// Share of claims whose capitalised names all occur in the source text.
    pub names_in_source: f64,
    /// Share of claims that duplicate another claim of the same article.
    pub duplicates: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Records read.
    pub records: usize,
    /// Records with status ok.
    pub ok: usize,
    /// Records whose `id` and `source` repeat an earlier record's (scored again).
    #[serde(default)]
    pub duplicate_records: usize,
    /// Ok records that had a reference.
    pub with_reference: usize,
    /// Per system (`abstractive`, `extractive`, `lead3`): mean F1 with 95 % intervals.
    pub systems: BTreeMap<String, SystemSummary>,
    /// Claim fidelity.
    pub claims: ClaimFidelity,
    /// Mean summary length in words.
    pub summary_words: f64,
    /// Mean of summary words / article words.
    pub compression: f64,
    /// Per-article scores.
    pub articles: Vec<ArticleScores>,
}

/// Bootstrap resamples for the intervals.
const RESAMPLES: usize = 1000;

/// Evaluate `records` against `refs`.
pub fn evaluate(records: &[Record], refs: &References) -> EvalReport {
    let mut e = Evaluator::new(refs);
    for r in records {
        e.add(r);
    }
    e.finish()
}

/// [`evaluate`] one record at a time, so a results file can be streamed: only the
/// per-article scores and claim counts are kept, not the records.
pub struct Evaluator<'a> {
    refs: &'a References,
    records: usize,
    ok: usize,
    articles: Vec<ArticleScores>,
    claims: ClaimCounts,
    seen: std::collections::HashSet<(String, String)>,
    duplicates: usize,
}

impl<'a> Evaluator<'a> {
    /// An evaluator against `refs`.
    pub fn new(refs: &'a References) -> Self {
        Evaluator {
            refs,
            records: 0,
            ok: 0,
            articles: Vec::new(),
            claims: ClaimCounts::default(),
            seen: std::collections::HashSet::new(),
            duplicates: 0,
        }
    }

    /// Records seen so far whose `id` and `source` both repeat an earlier record's
    /// (a results file written twice into, or concatenated): they are scored again.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// Score one record.
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        if !self.seen.insert((r.id.clone(), r.source.clone())) {
            self.duplicates += 1;
        }
        if r.status != Status::Ok {
            return;
        }
        self.ok += 1;
        self.claims.add(r);
        if let Some(a) = score_article(r, self.refs) {
            self.articles.push(a);
        }
    }

    /// The report over every record added.
    pub fn finish(self) -> EvalReport {
        report(
            self.records,
            self.ok,
            self.articles,
            self.claims.finish(self.ok),
            self.duplicates,
        )
    }
}

/// ROUGE of one ok record against its reference, if it has one (and its text).
fn score_article(r: &Record, refs: &References) -> Option<ArticleScores> {
    let reference = refs.get(r)?;
    let text = r.text.as_deref()?;
    let sentences: Vec<&str> = r
        .sentences
        .iter()
        .filter_map(|s| text.get(s.start..s.end))
        .collect();
    let summary = r.summary.as_ref();
    let extractive = summary.map(|s| {
        let chosen: Vec<&str> = s
            .extractive
            .iter()
            .filter_map(|&i| sentences.get(i).copied())
            .collect();
        rouge::score(&reference, &chosen.join("\n"))
    });
    let abstractive = summary.filter(|s| s.method == "abstractive").map(|s| {
        let lines: Vec<&str> = s.sentences.iter().map(|x| x.text.as_str()).collect();
        rouge::score(&reference, &lines.join("\n"))
    });
    let lead3 = Some(rouge::score(&reference, &rouge::lead_n(&sentences, 3)));
    Some(ArticleScores {
        id: r.id.clone(),
        source: r.source.clone(),
        abstractive,
        extractive,
        lead3,
        summary_words: summary.map_or(0, |s| s.text.split_whitespace().count()),
        article_words: text.split_whitespace().count(),
    })
}

fn report(
    records: usize,
    ok: usize,
    articles: Vec<ArticleScores>,
    claims: ClaimFidelity,
    duplicate_records: usize,
) -> EvalReport {
    let mut systems = BTreeMap::new();
    for (name, get) in [
        (
            "abstractive",
            (|a: &ArticleScores| a.abstractive) as fn(&ArticleScores) -> Option<RougeScores>,
        ),
        ("extractive", |a: &ArticleScores| a.extractive),
        ("lead3", |a: &ArticleScores| a.lead3),
    ] {
        let scores: Vec<RougeScores> = articles.iter().filter_map(get).collect();
        if scores.is_empty() {
            continue;
        }
        let ci = |f: fn(&RougeScores) -> f64| {
            let v: Vec<f64> = scores.iter().map(|s| 100.0 * f(s)).collect();
            bootstrap_mean(&v, RESAMPLES, 42)
        };
        let mean = |f: fn(&RougeScores) -> f64| {
            scores.iter().map(|s| 100.0 * f(s)).sum::<f64>() / scores.len() as f64
        };
        systems.insert(
            name.to_string(),
            SystemSummary {
                n: scores.len(),
                rouge1: ci(|s| s.rouge1.f1),
                rouge2: ci(|s| s.rouge2.f1),
                rouge_l: ci(|s| s.rouge_l.f1),
                rouge_lsum: ci(|s| s.rouge_lsum.f1),
                rouge1_precision: mean(|s| s.rouge1.precision),
                rouge1_recall: mean(|s| s.rouge1.recall),
            },
        );
    }
    let n = articles.len().max(1) as f64;
    EvalReport {
        records,
        ok,
        duplicate_records,
        with_reference: articles.len(),
        systems,
        claims,
        summary_words: articles.iter().map(|a| a.summary_words as f64).sum::<f64>() / n,
        compression: articles
            .iter()
            .map(|a| a.summary_words as f64 / a.article_words.max(1) as f64)
            .sum::<f64>()
            / n,
        articles,
    }
}

/// Running counts behind [`ClaimFidelity`].
#[derive(Default)]
struct ClaimCounts {
    claims: usize,
    grounded: usize,
    numbers: usize,
    names: usize,
    dups: usize,
}

impl ClaimCounts {
    fn add(&mut self, r: &Record) {
        let ClaimCounts {
            claims,
            grounded,
            numbers,
            names,
            dups,
        } = self;
        // The headline is source too (cleaning moves it out of the body).
        let text = format!(
            "{}\n{}",
            r.title.as_deref().unwrap_or(""),
            r.text.as_deref().unwrap_or("")
        );
        let mut seen: Vec<String> = Vec::new();
        for c in &r.claims {
            *claims += 1;
            *grounded += usize::from(c.grounded);
            *numbers += usize::from(
                features::numbers(&c.text)
                    .iter()
                    .all(|n| text.contains(n.as_str())),
            );
            *names += usize::from(
                features::entities(&c.text)
                    .iter()
                    .all(|e| text.contains(e.as_str())),
            );
            let key = rouge::tokenize(&c.text).join(" ");
            if seen.contains(&key) {
                *dups += 1;
            } else {
                seen.push(key);
            }
        }
    }

    fn finish(self, ok: usize) -> ClaimFidelity {
        let ClaimCounts {
            claims,
            grounded,
            numbers,
            names,
            dups,
        } = self;
        claim_fidelity(ok, claims, grounded, numbers, names, dups)
    }
}

fn claim_fidelity(
    ok: usize,
    claims: usize,
    grounded: usize,
    numbers: usize,
    names: usize,
    dups: usize,
) -> ClaimFidelity {
    let mut f = ClaimFidelity {
        claims,
        ..ClaimFidelity::default()
    };
    let share = |k: usize| {
        if f.claims == 0 {
            0.0
        } else {
            k as f64 / f.claims as f64
        }
    };
    f.per_article = if ok == 0 {
        0.0
    } else {
        f.claims as f64 / ok as f64
    };
    f.grounded = share(grounded);
    f.numbers_in_source = share(numbers);
    f.names_in_source = share(names);
    f.duplicates = share(dups);
    f
}

/// The report as a readable table.
pub fn format_table(r: &EvalReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} records, {} ok, {} with a reference\n",
        r.records, r.ok, r.with_reference
    );
    if r.duplicate_records > 0 {
        let _ = writeln!(
            s,
            "warning: {} duplicate record(s) (same id and source as an earlier one), scored again\n",
            r.duplicate_records
        );
    }
    let _ = writeln!(
        s,
        "{:<12} {:>4}  {:>19}  {:>19}  {:>19}  {:>19}  {:>6} {:>6}",
        "system", "n", "ROUGE-1 F1", "ROUGE-2 F1", "ROUGE-L F1", "ROUGE-Lsum F1", "R1 P", "R1 R"
    );
    let cell = |i: &Interval| format!("{:5.1} [{:5.1},{:5.1}]", i.mean, i.low, i.high);
    for (name, sys) in &r.systems {
        let _ = writeln!(
            s,
            "{:<12} {:>4}  {:>19}  {:>19}  {:>19}  {:>19}  {:>6.1} {:>6.1}",
            name,
            sys.n,
            cell(&sys.rouge1),
            cell(&sys.rouge2),
            cell(&sys.rouge_l),
            cell(&sys.rouge_lsum),
            sys.rouge1_precision,
            sys.rouge1_recall
        );
    }
    let c = &r.claims;
    let _ = writeln!(
        s,
        "\nclaims: {} ({:.1} per article); grounded {:.1}%, numbers in source {:.1}%, names in source {:.1}%, duplicates {:.1}%",
        c.claims,
        c.per_article,
        100.0 * c.grounded,
        100.0 * c.numbers_in_source,
        100.0 * c.names_in_source,
        100.0 * c.duplicates
    );
    let _ = writeln!(
        s,
        "summary: {:.1} words on average, {:.1}% of the article",
        r.summary_words,
        100.0 * r.compression
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_lookup_mirrors_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let refs = dir.path();
        std::fs::create_dir_all(refs.join("summary/business")).unwrap();
        std::fs::write(refs.join("summary/business/001.txt"), "ref").unwrap();
        std::fs::create_dir_all(refs.join("bbc/tech")).unwrap();
        std::fs::write(refs.join("bbc/tech/002.txt"), "ref2").unwrap();
        assert_eq!(
            find_reference_file(
                refs,
                Path::new("../shared/corpus/bbc/article/business/001.txt")
            ),
            Some(refs.join("summary/business/001.txt"))
        );
        assert_eq!(
            find_reference_file(refs, Path::new("corpus/articles/bbc/tech/002.txt")),
            Some(refs.join("bbc/tech/002.txt"))
        );
        assert_eq!(
            find_reference_file(refs, Path::new("x/business/003.txt")),
            None
        );
        // A file name alone is not enough to match.
        assert_eq!(find_reference_file(refs, Path::new("002.txt")), None);
    }
}
