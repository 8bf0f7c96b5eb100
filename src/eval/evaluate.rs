//! `brief eval`: score a `results.jsonl` against reference summaries — ROUGE for the
//! abstractive and the extractive summary and a Lead-3 baseline from the same articles,
//! claim fidelity, and length — per article and as means with bootstrap intervals.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::eval::stats::{paired_difference, Difference};
use crate::eval::{self as rouge, bootstrap_mean, Interval, RougeScores};
use crate::extract::{features, ClaimKind};
use crate::output::{Record, Status};

/// Where reference summaries come from.
#[derive(Debug, Clone)]
pub enum References {
    /// A folder mirroring the articles' layout (see [`find_reference_file`]).
    Dir(PathBuf),
    /// A JSONL file of `{"id": …, "reference": …}`, matched to records by id or by
    /// source file name (see [`Keyed`]).
    Jsonl(Keyed<String>),
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
        if path.is_dir() {
            return Ok((References::Dir(path.to_path_buf()), Vec::new()));
        }
        let mut refs = Keyed::default();
        read_jsonl(path, |at, v| {
            let reference = ["reference", "summary", "highlights"]
                .iter()
                .find_map(|k| v[*k].as_str())
                .ok_or_else(|| Error::References(format!("{at}: no `reference` field")))?;
            refs.insert(json_id(&v, &at)?, reference.to_string());
            Ok(())
        })?;
        let duplicates = std::mem::take(&mut refs.duplicates);
        Ok((References::Jsonl(refs), duplicates))
    }

    /// The reference for a record, if there is one.
    pub fn get(&self, record: &Record) -> Option<String> {
        match self {
            References::Jsonl(map) => map.get(record).cloned(),
            References::Dir(dir) => find_reference_file(dir, Path::new(&record.source))
                .and_then(|p| std::fs::read_to_string(p).ok()),
        }
    }
}

/// Other systems' summaries of the same articles (`brief eval --compare`): a JSONL
/// file of `{"id": …, "<system>": "<summary>", …}`, one field per system.
#[derive(Debug, Clone, Default)]
pub struct Compared {
    /// System names in the order they first appear in the file.
    pub systems: Vec<String>,
    summaries: Keyed<BTreeMap<String, String>>,
}

impl Compared {
    /// Read `path`; also returns the ids that appear more than once (the last wins).
    pub fn open(path: &Path) -> Result<(Self, Vec<String>)> {
        let mut c = Compared::default();
        read_jsonl(path, |at, v| {
            let id = json_id(&v, &at)?;
            let mut row = BTreeMap::new();
            for (name, text) in v.as_object().into_iter().flatten() {
                let Some(text) = text.as_str() else { continue };
                if name == "id" {
                    continue;
                }
                if !c.systems.contains(name) {
                    c.systems.push(name.clone());
                }
                row.insert(name.clone(), text.to_string());
            }
            c.summaries.insert(id, row);
            Ok(())
        })?;
        let duplicates = std::mem::take(&mut c.summaries.duplicates);
        Ok((c, duplicates))
    }

    /// What each system wrote for `record`'s article.
    pub fn get(&self, record: &Record) -> Option<&BTreeMap<String, String>> {
        self.summaries.get(record)
    }
}

/// Values from a JSONL file keyed by `id`, found for a record by its own id or by its
/// source file's name with or without the extension: data sets name stories by file
/// (`articles/<id>.txt`), and brief's ids are its own.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    map: HashMap<String, T>,
    duplicates: Vec<String>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            map: HashMap::new(),
            duplicates: Vec::new(),
        }
    }
}

impl<T> Keyed<T> {
    fn insert(&mut self, id: String, value: T) {
        if self.map.insert(id.clone(), value).is_some() {
            self.duplicates.push(id);
        }
    }

    /// The value for `record`: by id, else by source file name, else by its stem.
    pub fn get(&self, record: &Record) -> Option<&T> {
        let file = Path::new(record.source.as_str()).file_name();
        let stem = Path::new(record.source.as_str()).file_stem();
        std::iter::once(Some(record.id.as_str()))
            .chain([file, stem].map(|n| n.and_then(|n| n.to_str())))
            .flatten()
            .find_map(|k| self.map.get(k))
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Call `each` with (`path:line`, value) for every non-blank line of a JSONL file.
fn read_jsonl(
    path: &Path,
    mut each: impl FnMut(String, serde_json::Value) -> Result<()>,
) -> Result<()> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| Error::References(format!("{at}: not JSON: {e}")))?;
        each(at, v)?;
    }
    Ok(())
}

/// A JSONL line's `id` (a string or a number).
fn json_id(v: &serde_json::Value, at: &str) -> Result<String> {
    match &v["id"] {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::References(format!("{at}: no `id` field"))),
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

/// ROUGE of every system on one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScores {
    /// Record id.
    pub id: String,
    /// Record source.
    pub source: String,
    /// ROUGE per system that has a summary of this article (see [`EvalReport::systems`]).
    pub systems: BTreeMap<String, RougeScores>,
    /// Words of each system's summary.
    pub words: BTreeMap<String, usize>,
    /// How brief's summary was made (`summary.method`).
    pub method: String,
    /// Words in brief's summary.
    pub summary_words: usize,
    /// Words in the article body.
    pub article_words: usize,
}

/// Mean and interval of each ROUGE F1 for one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemSummary {
    /// The system: [`BRIEF`], [`GENERATED`], [`EXTRACTIVE`], [`LEAD3`], or a name from
    /// the `--compare` file.
    pub name: String,
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
    /// Mean words per summary.
    pub words: f64,
}

/// brief's summary minus another system's, on the articles both summarised: a paired
/// bootstrap over articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// The other system.
    pub system: String,
    /// Articles both have.
    pub n: usize,
    /// Mean ROUGE-1 F1 difference (×100) with its 95 % interval.
    pub rouge1: Difference,
    /// Mean ROUGE-2 F1 difference (×100) with its 95 % interval.
    pub rouge2: Difference,
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
    /// Share of claims of kind `opinion` (judgements and guesses, not checkable facts).
    #[serde(default)]
    pub opinions: f64,
}

/// The system brief writes: `summary.text`, whichever way it was made.
pub const BRIEF: &str = "brief";
/// The generator's own summary, where one was written (what the summary check kept of
/// it, or all of it when the check rejected it).
pub const GENERATED: &str = "brief-generated";
/// brief's extractive selection.
pub const EXTRACTIVE: &str = "brief-extractive";
/// The first three of brief's cleaned sentences.
pub const LEAD3: &str = "lead-3";

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
    /// Per system: mean F1 with 95 % intervals; brief's own first, compared ones last.
    pub systems: Vec<SystemSummary>,
    /// brief's summary against every other system, paired by article.
    pub paired: Vec<Paired>,
    /// Scored articles per `summary.method`.
    pub methods: BTreeMap<String, usize>,
    /// Claim fidelity.
    pub claims: ClaimFidelity,
    /// Mean summary length in words.
    pub summary_words: f64,
    /// Share of summaries longer than 80 words.
    pub over_80_words: f64,
    /// Mean of summary words / article words.
    pub compression: f64,
    /// Per-article scores.
    pub articles: Vec<ArticleScores>,
}

/// Bootstrap resamples for the intervals.
const RESAMPLES: usize = 1000;

/// Evaluate `records` against `refs`.
pub fn evaluate(records: &[Record], refs: &References) -> EvalReport {
    let mut e = Evaluator::new(refs, None);
    for r in records {
        e.add(r);
    }
    e.finish()
}

/// [`evaluate`] one record at a time, so a results file can be streamed: only the
/// per-article scores and claim counts are kept, not the records.
pub struct Evaluator<'a> {
    refs: &'a References,
    compared: Option<&'a Compared>,
    records: usize,
    ok: usize,
    articles: Vec<ArticleScores>,
    claims: ClaimCounts,
    seen: std::collections::HashSet<(String, String)>,
    duplicates: usize,
}

impl<'a> Evaluator<'a> {
    /// An evaluator against `refs`, also scoring the `compared` systems' summaries.
    pub fn new(refs: &'a References, compared: Option<&'a Compared>) -> Self {
        Evaluator {
            refs,
            compared,
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
        if let Some(a) = score_article(r, self.refs, self.compared) {
            self.articles.push(a);
        }
    }

    /// The report over every record added.
    pub fn finish(self) -> EvalReport {
        let names = [BRIEF, GENERATED, EXTRACTIVE, LEAD3]
            .into_iter()
            .map(str::to_string)
            .chain(self.compared.into_iter().flat_map(|c| c.systems.clone()))
            .collect();
        report(
            self.records,
            self.ok,
            self.articles,
            self.claims.finish(self.ok),
            self.duplicates,
            names,
        )
    }
}

/// `text` with one sentence per line, as ROUGE-Lsum wants: text that has lines keeps
/// them; tokenised text (" . ") splits there; other text is segmented as articles are.
fn as_lines(text: &str) -> String {
    if text.contains('\n') {
        return text.to_string();
    }
    if text.contains(" . ") {
        return text.replace(" . ", " .\n");
    }
    crate::text::segment(text)
        .iter()
        .map(|s| s.text(text).trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// ROUGE of one ok record's summaries (and the compared ones) against its reference,
/// if it has one (and its text).
fn score_article(
    r: &Record,
    refs: &References,
    compared: Option<&Compared>,
) -> Option<ArticleScores> {
    let reference = as_lines(&refs.get(r)?);
    let text = r.text.as_deref()?;
    let sentences: Vec<&str> = r
        .sentences
        .iter()
        .filter_map(|s| text.get(s.start..s.end))
        .collect();
    let mut systems = BTreeMap::new();
    let mut words = BTreeMap::new();
    let mut add = |name: &str, summary: &str| {
        systems.insert(name.to_string(), rouge::score(&reference, summary));
        words.insert(name.to_string(), summary.split_whitespace().count());
    };
    add(LEAD3, &rouge::lead_n(&sentences, 3));
    let summary = r.summary.as_ref();
    if let Some(s) = summary {
        let lines: Vec<&str> = s.sentences.iter().map(|x| x.text.as_str()).collect();
        add(BRIEF, &lines.join("\n"));
        let chosen: Vec<&str> = s
            .extractive
            .iter()
            .filter_map(|&i| sentences.get(i).copied())
            .collect();
        add(EXTRACTIVE, &rouge::lead_n(&chosen, chosen.len()));
        if s.method == "abstractive" {
            add(GENERATED, &lines.join("\n"));
        } else if let Some(generated) = &s.generated {
            add(GENERATED, &as_lines(&generated.text));
        }
    }
    for (name, summary) in compared.and_then(|c| c.get(r)).into_iter().flatten() {
        add(name, &as_lines(summary));
    }
    Some(ArticleScores {
        id: r.id.clone(),
        source: r.source.clone(),
        systems,
        words,
        method: summary.map_or_else(String::new, |s| s.method.clone()),
        summary_words: summary.map_or(0, |s| s.text.split_whitespace().count()),
        article_words: text.split_whitespace().count(),
    })
}

/// Mean and interval of each ROUGE F1 of `name` over the articles it has.
fn system_summary(name: &str, articles: &[ArticleScores]) -> Option<SystemSummary> {
    let scores: Vec<RougeScores> = articles
        .iter()
        .filter_map(|a| a.systems.get(name).copied())
        .collect();
    if scores.is_empty() {
        return None;
    }
    let values =
        |f: fn(&RougeScores) -> f64| -> Vec<f64> { scores.iter().map(|s| 100.0 * f(s)).collect() };
    let ci = |f| bootstrap_mean(&values(f), RESAMPLES, 42);
    let mean = |f| ci(f).mean;
    Some(SystemSummary {
        name: name.to_string(),
        n: scores.len(),
        rouge1: ci(|s| s.rouge1.f1),
        rouge2: ci(|s| s.rouge2.f1),
        rouge_l: ci(|s| s.rouge_l.f1),
        rouge_lsum: ci(|s| s.rouge_lsum.f1),
        rouge1_precision: mean(|s| s.rouge1.precision),
        rouge1_recall: mean(|s| s.rouge1.recall),
        words: mean_of(
            articles
                .iter()
                .filter_map(|a| a.words.get(name).map(|&w| w as f64)),
        ),
    })
}

/// brief's summary against `other`, paired over the articles both have.
fn paired(other: &str, articles: &[ArticleScores]) -> Option<Paired> {
    let pairs: Vec<(RougeScores, RougeScores)> = articles
        .iter()
        .filter_map(|a| Some((*a.systems.get(BRIEF)?, *a.systems.get(other)?)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let diff = |f: fn(&RougeScores) -> f64| {
        let (a, b): (Vec<f64>, Vec<f64>) = pairs
            .iter()
            .map(|(x, y)| (100.0 * f(x), 100.0 * f(y)))
            .unzip();
        paired_difference(&a, &b, RESAMPLES, 42)
    };
    Some(Paired {
        system: other.to_string(),
        n: pairs.len(),
        rouge1: diff(|s| s.rouge1.f1),
        rouge2: diff(|s| s.rouge2.f1),
    })
}

fn report(
    records: usize,
    ok: usize,
    articles: Vec<ArticleScores>,
    claims: ClaimFidelity,
    duplicate_records: usize,
    names: Vec<String>,
) -> EvalReport {
    let systems = names
        .iter()
        .filter_map(|name| system_summary(name, &articles))
        .collect();
    let paired = names
        .iter()
        .filter(|n| n.as_str() != BRIEF)
        .filter_map(|n| paired(n, &articles))
        .collect();
    let mut methods = BTreeMap::new();
    for a in &articles {
        *methods.entry(a.method.clone()).or_insert(0) += 1;
    }
    EvalReport {
        records,
        ok,
        duplicate_records,
        with_reference: articles.len(),
        systems,
        paired,
        methods,
        claims,
        summary_words: mean_of(articles.iter().map(|a| a.summary_words as f64)),
        over_80_words: mean_of(
            articles
                .iter()
                .map(|a| f64::from(u8::from(a.summary_words > 80))),
        ),
        compression: mean_of(
            articles
                .iter()
                .map(|a| a.summary_words as f64 / a.article_words.max(1) as f64),
        ),
        articles,
    }
}

/// Mean of `values` (0 for none).
fn mean_of(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n.max(1) as f64
}

/// Running counts behind [`ClaimFidelity`].
#[derive(Default)]
struct ClaimCounts {
    claims: usize,
    grounded: usize,
    numbers: usize,
    names: usize,
    dups: usize,
    opinions: usize,
}

impl ClaimCounts {
    fn add(&mut self, r: &Record) {
        // The headline is source too (cleaning moves it out of the body).
        let text = format!(
            "{}\n{}",
            r.title.as_deref().unwrap_or(""),
            r.text.as_deref().unwrap_or("")
        );
        let mut seen: Vec<String> = Vec::new();
        for c in &r.claims {
            self.claims += 1;
            self.grounded += usize::from(c.grounded);
            self.opinions += usize::from(c.kind == ClaimKind::Opinion);
            self.numbers += usize::from(
                features::numbers(&c.text)
                    .iter()
                    .all(|n| text.contains(n.as_str())),
            );
            self.names += usize::from(
                features::entities(&c.text)
                    .iter()
                    .all(|e| text.contains(e.as_str())),
            );
            let key = rouge::tokenize(&c.text).join(" ");
            if seen.contains(&key) {
                self.dups += 1;
            } else {
                seen.push(key);
            }
        }
    }

    fn finish(self, ok: usize) -> ClaimFidelity {
        let share = |k: usize| {
            if self.claims == 0 {
                0.0
            } else {
                k as f64 / self.claims as f64
            }
        };
        ClaimFidelity {
            claims: self.claims,
            per_article: if ok == 0 {
                0.0
            } else {
                self.claims as f64 / ok as f64
            },
            grounded: share(self.grounded),
            numbers_in_source: share(self.numbers),
            names_in_source: share(self.names),
            duplicates: share(self.dups),
            opinions: share(self.opinions),
        }
    }
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
        "{:<18} {:>4}  {:>19}  {:>19}  {:>19}  {:>19}  {:>6} {:>6} {:>6}",
        "system",
        "n",
        "ROUGE-1 F1",
        "ROUGE-2 F1",
        "ROUGE-L F1",
        "ROUGE-Lsum F1",
        "R1 P",
        "R1 R",
        "words"
    );
    let cell = |i: &Interval| format!("{:5.1} [{:5.1},{:5.1}]", i.mean, i.low, i.high);
    for sys in &r.systems {
        let _ = writeln!(
            s,
            "{:<18} {:>4}  {:>19}  {:>19}  {:>19}  {:>19}  {:>6.1} {:>6.1} {:>6.1}",
            sys.name,
            sys.n,
            cell(&sys.rouge1),
            cell(&sys.rouge2),
            cell(&sys.rouge_l),
            cell(&sys.rouge_lsum),
            sys.rouge1_precision,
            sys.rouge1_recall,
            sys.words
        );
    }
    if !r.paired.is_empty() {
        let _ = writeln!(
            s,
            "\n{BRIEF} minus each system, paired bootstrap over the same articles (95 % interval; * = excludes 0):"
        );
        let diff = |d: &Difference| {
            let sig = if d.interval.low > 0.0 || d.interval.high < 0.0 {
                "*"
            } else {
                " "
            };
            format!(
                "{:+5.1} [{:+5.1},{:+5.1}]{sig}",
                d.interval.mean, d.interval.low, d.interval.high
            )
        };
        for p in &r.paired {
            let _ = writeln!(
                s,
                "  vs {:<15} {:>4}  R1 {}  R2 {}",
                p.system,
                p.n,
                diff(&p.rouge1),
                diff(&p.rouge2)
            );
        }
    }
    let c = &r.claims;
    let _ = writeln!(
        s,
        "\nclaims: {} ({:.1} per article); grounded {:.1}%, numbers in source {:.1}%, names in source {:.1}%, duplicates {:.1}%, opinion {:.1}%",
        c.claims,
        c.per_article,
        100.0 * c.grounded,
        100.0 * c.numbers_in_source,
        100.0 * c.names_in_source,
        100.0 * c.duplicates,
        100.0 * c.opinions
    );
    let methods: Vec<String> = r.methods.iter().map(|(m, n)| format!("{m} {n}")).collect();
    let _ = writeln!(
        s,
        "summary: {:.1} words on average, {:.1}% over 80 words, {:.1}% of the article; method: {}",
        r.summary_words,
        100.0 * r.over_80_words,
        100.0 * r.compression,
        methods.join(", ")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsum_lines_from_plain_tokenised_and_lined_text() {
        assert_eq!(as_lines("One.\nTwo."), "One.\nTwo.");
        assert_eq!(
            as_lines("gary locke will stay . he said so ."),
            "gary locke will stay .\nhe said so ."
        );
        assert_eq!(
            as_lines("The council met on Monday. It approved the bridge."),
            "The council met on Monday.\nIt approved the bridge."
        );
    }

    #[test]
    fn keyed_values_match_by_id_file_name_or_stem() {
        let mut k = Keyed::default();
        k.insert("abc123".into(), 1);
        k.insert("story.txt".into(), 2);
        k.insert("rec-9".into(), 3);
        k.insert("abc123".into(), 4);
        assert_eq!(k.duplicates, ["abc123"]);
        let record = |id: &str, source: &str| {
            let mut r = Record::failed(
                id.into(),
                source.into(),
                crate::error::ArticleError::new(crate::error::ErrorKind::Empty, "x"),
            );
            r.status = Status::Ok;
            r
        };
        assert_eq!(
            k.get(&record("rec-9", "x/abc123.txt")),
            Some(&3),
            "the id first"
        );
        assert_eq!(k.get(&record("r", "data/articles/abc123.txt")), Some(&4));
        assert_eq!(k.get(&record("r", "data/story.txt")), Some(&2));
        assert_eq!(k.get(&record("r", "data/other.txt")), None);
    }

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
