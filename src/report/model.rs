//! The page's data: one list row and one detail block per record, figures over all
//! records, and the overview from the manifest. Records are taken as JSON objects
//! and only the fields the page interprets are looked at; everything else passes
//! through to the article view, so fields added to records later are shown too.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::report::html::script_json;
use crate::report::offsets::utf16_spans;

/// Claims per article up to this many get their own histogram bar; more share the last.
const CLAIMS_BINS: usize = 15;

/// One article in the list: what is shown, filtered and sorted on. Short keys: the
/// list of 10,000 articles is in the page once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    /// `source`.
    pub s: String,
    /// `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t: Option<String>,
    /// `byline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
    /// `published`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// `status`.
    pub st: String,
    /// `error.kind` of an error record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ek: Option<String>,
    /// `summary.text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub su: Option<String>,
    /// `summary.method`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub m: Option<String>,
    /// Claims.
    pub n: usize,
    /// Claims marked `grounded: false`.
    pub u: usize,
    /// Summary sentences marked `grounded: false`.
    pub us: usize,
    /// `story`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sy: Option<String>,
    /// `duplicate_of`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub du: Option<String>,
    /// `skipped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sk: Option<String>,
}

/// One story in the page's story table (`stories.jsonl`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryRow {
    /// Story id (the list filters on it).
    pub id: String,
    /// Label, else the id.
    pub label: String,
    /// Members.
    pub size: usize,
    /// First and last `published`, when known.
    pub dates: String,
}

/// The stories of a run, for the page: the largest first.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StoryTable {
    /// Stories of more than one article, largest first, at most [`STORY_ROWS`].
    pub rows: Vec<StoryRow>,
    /// All stories.
    pub total: usize,
    /// Stories of one article.
    pub single: usize,
}

/// Stories listed on the page at most.
pub const STORY_ROWS: usize = 100;

impl StoryTable {
    /// Add a line of `stories.jsonl` (read leniently).
    pub fn add(&mut self, story: &Value) {
        let size = story.get("size").and_then(Value::as_u64).unwrap_or(0) as usize;
        self.total += 1;
        if size < 2 {
            self.single += 1;
            return;
        }
        let id = string(story.get("id")).unwrap_or_default();
        let dates: Vec<String> = ["first_published", "last_published"]
            .iter()
            .filter_map(|k| string(story.get(*k)))
            .collect();
        let mut dates = dates;
        dates.dedup();
        self.rows.push(StoryRow {
            label: string(story.get("label")).unwrap_or_else(|| id.clone()),
            id,
            size,
            dates: dates.join(" – "),
        });
        // Largest first, then in file (founding) order; bounded.
        self.rows.sort_by_key(|r| std::cmp::Reverse(r.size));
        self.rows.truncate(STORY_ROWS);
    }
}

/// Figures over all records, for the overview.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Records by `status`.
    pub by_status: BTreeMap<String, usize>,
    /// Error records by `error.kind`.
    pub by_kind: BTreeMap<String, usize>,
    /// Records by `summary.method`.
    pub by_method: BTreeMap<String, usize>,
    /// All claims.
    pub claims: usize,
    /// Claims with `grounded: true`.
    pub grounded: usize,
    /// Claims with `grounded: false`.
    pub ungrounded: usize,
    /// Records with at least one ungrounded claim.
    pub with_ungrounded: usize,
    /// Ok records by number of claims (the last bin also holds every larger count).
    pub claims_hist: Vec<usize>,
    /// Ok records with claims by share of them grounded: tenths `[0, 10%)` … `[90%,
    /// 100%)`, then exactly 100%.
    pub share_hist: [usize; 11],
    /// Offsets that do not fall on a character boundary of their record's text.
    pub bad_spans: usize,
}

/// The page's data, built record by record.
#[derive(Debug, Default)]
pub struct Page {
    /// The list, in file order.
    pub rows: Vec<Row>,
    /// Per row, its detail as JSON escaped for a `<script>` block.
    pub details: Vec<String>,
    /// Figures.
    pub tally: Tally,
    /// Stories, when the run wrote `stories.jsonl`.
    pub stories: Option<StoryTable>,
}

/// Fields dropped from the detail: hashes and raw bytes mean nothing to a reader and
/// `sentences` is replaced by its UTF-16 form.
const DROPPED: [&str; 6] = [
    "fingerprint",
    "schema_version",
    "content_hash",
    "config_hash",
    "source_bytes",
    "sentences",
];

impl Page {
    /// Articles so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No articles.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Add one record.
    pub fn add(&mut self, mut record: Map<String, Value>) -> Result<()> {
        let row = row(&record);
        self.count(&row, &record);
        omit_repeated_text(&mut record);
        self.tally.bad_spans += convert_offsets(&mut record);
        for key in DROPPED {
            record.remove(key);
        }
        self.details.push(script_json(&record)?);
        self.rows.push(row);
        Ok(())
    }

    fn count(&mut self, row: &Row, record: &Map<String, Value>) {
        let t = &mut self.tally;
        *t.by_status.entry(row.st.clone()).or_default() += 1;
        if let Some(k) = &row.ek {
            *t.by_kind.entry(k.clone()).or_default() += 1;
        }
        if let Some(m) = &row.m {
            *t.by_method.entry(m.clone()).or_default() += 1;
        }
        let grounded = claims(record)
            .filter(|c| c.get("grounded") == Some(&Value::Bool(true)))
            .count();
        t.claims += row.n;
        t.grounded += grounded;
        t.ungrounded += row.u;
        t.with_ungrounded += usize::from(row.u > 0);
        if row.st == "ok" {
            let bin = row.n.min(CLAIMS_BINS);
            if t.claims_hist.len() <= bin {
                t.claims_hist.resize(bin + 1, 0);
            }
            t.claims_hist[bin] += 1;
            if let Some(tenth) = (grounded * 10).checked_div(row.n) {
                t.share_hist[tenth] += 1;
            }
        }
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn claims(record: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    array(record.get("claims")).iter()
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn ungrounded(items: &[Value]) -> usize {
    items
        .iter()
        .filter(|c| c.get("grounded") == Some(&Value::Bool(false)))
        .count()
}

fn row(r: &Map<String, Value>) -> Row {
    let summary = r.get("summary");
    let claims = array(r.get("claims"));
    Row {
        s: string(r.get("source")).unwrap_or_default(),
        t: string(r.get("title")),
        b: string(r.get("byline")),
        d: string(r.get("published")),
        st: string(r.get("status")).unwrap_or_else(|| "unknown".into()),
        ek: string(r.get("error").and_then(|e| e.get("kind"))),
        su: string(summary.and_then(|s| s.get("text"))),
        m: string(summary.and_then(|s| s.get("method"))),
        n: claims.len(),
        u: ungrounded(claims),
        us: ungrounded(array(summary.and_then(|s| s.get("sentences")))),
        sy: string(r.get("story")),
        du: string(r.get("duplicate_of")),
        sk: string(r.get("skipped")),
    }
}

/// A `{start, end}` object's byte span.
fn byte_span(v: &Value) -> Option<(usize, usize)> {
    let at = |k| v.get(k)?.as_u64().and_then(|n| usize::try_from(n).ok());
    Some((at("start")?, at("end")?))
}

/// Leave out of the detail what the page can rebuild, which is most of its size after
/// the text: `summary.text` (the list row has it), and the text of a claim or summary
/// sentence that is exactly its first evidence span or supporting sentence (every
/// extractive one), marked `"te": 1` / `"ts": 1` for the script to slice instead.
/// Runs before [`convert_offsets`]: it compares byte spans.
fn omit_repeated_text(record: &mut Map<String, Value>) {
    let Some(Value::String(text)) = record.get("text") else {
        return;
    };
    let text = text.clone();
    let span_text = |v: Option<&Value>| v.and_then(byte_span).and_then(|(s, e)| text.get(s..e));
    let sentences: Vec<Value> = array(record.get("sentences")).to_vec();
    let dedup = |item: &mut Value, key: &'static str, source: Option<&str>| {
        if let Some(obj) = item.as_object_mut() {
            if source.is_some() && obj.get("text").and_then(Value::as_str) == source {
                obj.remove("text");
                obj.insert(key.into(), 1.into());
            }
        }
    };
    if let Some(Value::Array(claims)) = record.get_mut("claims") {
        for c in claims {
            let first = span_text(c.get("evidence").and_then(|e| e.get(0)));
            dedup(c, "te", first);
        }
    }
    if let Some(Value::Object(summary)) = record.get_mut("summary") {
        summary.remove("text");
        if let Some(Value::Array(list)) = summary.get_mut("sentences") {
            for s in list {
                let support = s.pointer("/support/0/sentence").and_then(Value::as_u64);
                let first = support.and_then(|i| span_text(sentences.get(i as usize)));
                dedup(s, "ts", first);
            }
        }
    }
}

/// Replace byte offsets by UTF-16 ones: `sentences` becomes `sent` (flat `[s0, e0,
/// s1, e1, …]`, unusable spans left out) and each claim's `evidence` becomes `ev`
/// (`[s, e]` or `null` per span). Returns how many spans were unusable. Without
/// `text` nothing can be highlighted: `sent` is empty and every `ev` entry `null`.
fn convert_offsets(record: &mut Map<String, Value>) -> usize {
    let text = record.get("text").and_then(Value::as_str).unwrap_or("");
    let has_text = record.get("text").is_some_and(Value::is_string);
    let sentences: Vec<Option<(usize, usize)>> = array(record.get("sentences"))
        .iter()
        .map(byte_span)
        .collect();
    let evidence: Vec<Vec<Option<(usize, usize)>>> = claims(record)
        .map(|c| array(c.get("evidence")).iter().map(byte_span).collect())
        .collect();
    // Every span of the record in one pass over its text.
    let all: Vec<(usize, usize)> = sentences
        .iter()
        .chain(evidence.iter().flatten())
        .map(|s| s.unwrap_or((usize::MAX, 0)))
        .collect();
    let converted = if has_text {
        utf16_spans(text, &all)
    } else {
        vec![None; all.len()]
    };
    let mut conv = converted.into_iter();
    let mut bad = 0;
    let sent: Vec<Value> = conv
        .by_ref()
        .take(sentences.len())
        .flat_map(|s| {
            bad += usize::from(s.is_none() && has_text);
            s.map(|(a, b)| [a.into(), b.into()])
        })
        .flatten()
        .collect();
    record.insert("sent".into(), Value::Array(sent));
    if let Some(Value::Array(list)) = record.get_mut("claims") {
        for (claim, spans) in list.iter_mut().zip(&evidence) {
            let ev: Vec<Value> = conv
                .by_ref()
                .take(spans.len())
                .map(|s| {
                    bad += usize::from(s.is_none() && has_text);
                    s.map_or(Value::Null, |(a, b)| Value::from(vec![a, b]))
                })
                .collect();
            if let Some(obj) = claim.as_object_mut() {
                obj.remove("evidence");
                obj.insert("ev".into(), Value::Array(ev));
            }
        }
    }
    bad
}

/// A small chart drawn as inline SVG: the template only loops over these shapes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    /// View box width.
    pub width: u32,
    /// View box height.
    pub height: u32,
    /// Bars.
    pub rects: Vec<Rect>,
    /// Labels.
    pub texts: Vec<Label>,
}

/// A bar.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Tooltip.
    pub tip: String,
    /// CSS class.
    pub class: &'static str,
}

/// A text label.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Label {
    /// Anchor point x.
    pub x: f64,
    /// Baseline y.
    pub y: f64,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    /// The text.
    pub text: String,
}

/// Horizontal bars, one per `(label, value, shown value)`.
pub fn bar_chart(items: &[(String, f64, String)]) -> Chart {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 120.0;
    const BAR: f64 = 260.0;
    let max = items
        .iter()
        .map(|i| i.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut chart = Chart {
        width: (LABEL + BAR + 110.0) as u32,
        height: (ROW * items.len() as f64 + 4.0) as u32,
        rects: Vec::new(),
        texts: Vec::new(),
    };
    for (i, (label, value, shown)) in items.iter().enumerate() {
        let y = ROW * i as f64 + 2.0;
        let w = (value / max * BAR).max(1.0);
        chart.rects.push(Rect {
            x: LABEL,
            y,
            w,
            h: ROW - 6.0,
            tip: format!("{label}: {shown}"),
            class: "bar",
        });
        chart.texts.push(Label {
            x: LABEL - 6.0,
            y: y + 12.0,
            anchor: "end",
            text: label.clone(),
        });
        chart.texts.push(Label {
            x: LABEL + w + 6.0,
            y: y + 12.0,
            anchor: "start",
            text: shown.clone(),
        });
    }
    chart
}

/// Vertical bars over `(axis label, count)` bins; `class` styles the bars.
pub fn histogram(bins: &[(String, usize)], what: &str, class: &'static str) -> Chart {
    const H: f64 = 110.0;
    const TOP: f64 = 16.0;
    let slot = (340.0 / bins.len().max(1) as f64).clamp(14.0, 40.0);
    let max = bins.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let mut chart = Chart {
        width: (slot * bins.len() as f64 + 8.0).ceil() as u32,
        height: (TOP + H + 18.0) as u32,
        rects: Vec::new(),
        texts: Vec::new(),
    };
    for (i, (label, n)) in bins.iter().enumerate() {
        let x = 4.0 + slot * i as f64;
        let h = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max * H).max(2.0)
        };
        chart.rects.push(Rect {
            x: x + 2.0,
            y: TOP + H - h,
            w: slot - 4.0,
            h,
            tip: format!("{label} {what}: {n} articles"),
            class,
        });
        if *n > 0 {
            chart.texts.push(Label {
                x: x + slot / 2.0,
                y: TOP + H - h - 4.0,
                anchor: "middle",
                text: n.to_string(),
            });
        }
        chart.texts.push(Label {
            x: x + slot / 2.0,
            y: TOP + H + 14.0,
            anchor: "middle",
            text: label.clone(),
        });
    }
    chart
}

/// The histogram of claims per ok article.
pub fn claims_histogram(t: &Tally) -> Chart {
    let last = t.claims_hist.len().saturating_sub(1);
    let bins: Vec<(String, usize)> = t
        .claims_hist
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let label = if i == CLAIMS_BINS && i == last {
                format!("{i}+")
            } else {
                i.to_string()
            };
            (label, n)
        })
        .collect();
    histogram(&bins, "claims", "bar")
}

/// The histogram of the share of each article's claims that is grounded.
pub fn share_histogram(t: &Tally) -> Chart {
    let bins: Vec<(String, usize)> = t
        .share_hist
        .iter()
        .enumerate()
        .map(|(i, &n)| (format!("{}", i * 10), n))
        .collect();
    let mut chart = histogram(&bins, "% grounded", "bar");
    // The lowest tenths are where an editor should look.
    for r in chart.rects.iter_mut().take(5) {
        r.class = "bar warn";
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn offsets_become_utf16_and_bad_ones_are_counted() {
        let text = "“Yes,” she said. Путин прибыл. 🎉 Done.";
        let b = |s: &str| {
            let i = text.find(s).unwrap();
            json!({"start": i, "end": i + s.len()})
        };
        let mut r = obj(json!({
            "text": text,
            "sentences": [b("“Yes,” she said."), b("Путин прибыл."), {"start": 1, "end": 4}],
            "claims": [
                {"text": "x", "evidence": [b("Путин прибыл."), b("🎉 Done.")], "grounded": true, "flags": ["new"]},
                {"text": "y", "evidence": [{"start": 0, "end": 99999}], "grounded": false}
            ]
        }));
        assert_eq!(convert_offsets(&mut r), 2);
        let units: Vec<u16> = text.encode_utf16().collect();
        let slice = |s: &Value, e: &Value| {
            String::from_utf16(&units[s.as_u64().unwrap() as usize..e.as_u64().unwrap() as usize])
                .unwrap()
        };
        let sent = r["sent"].as_array().unwrap();
        assert_eq!(sent.len(), 4, "the span inside “ is left out");
        assert_eq!(slice(&sent[0], &sent[1]), "“Yes,” she said.");
        assert_eq!(slice(&sent[2], &sent[3]), "Путин прибыл.");
        let ev = r["claims"][0]["ev"].as_array().unwrap();
        assert_eq!(slice(&ev[1][0], &ev[1][1]), "🎉 Done.");
        assert_eq!(
            r["claims"][0]["flags"],
            json!(["new"]),
            "unknown fields pass"
        );
        assert!(r["claims"][0].get("evidence").is_none());
        assert_eq!(r["claims"][1]["ev"], json!([null]));
    }

    #[test]
    fn records_without_optional_fields_and_error_records() {
        let mut page = Page::default();
        page.add(obj(json!({"source": "a.txt"}))).unwrap();
        page.add(obj(json!({
            "source": "b.txt", "status": "error",
            "error": {"kind": "binary", "message": "PNG image"}
        })))
        .unwrap();
        page.add(obj(json!({
            "source": "c.txt", "status": "ok", "title": "T",
            "summary": {"text": "S", "method": "abstractive",
                        "sentences": [{"text": "S", "grounded": false, "reason": "r"}]},
            "claims": [{"text": "c1", "grounded": true}, {"text": "c2", "grounded": false}, {"text": "c3"}]
        })))
        .unwrap();
        assert_eq!(page.rows[0].st, "unknown");
        assert_eq!(page.rows[1].ek.as_deref(), Some("binary"));
        let c = &page.rows[2];
        assert_eq!(
            (c.n, c.u, c.us, c.m.as_deref()),
            (3, 1, 1, Some("abstractive"))
        );
        let t = &page.tally;
        assert_eq!(
            (t.claims, t.grounded, t.ungrounded, t.with_ungrounded),
            (3, 1, 1, 1)
        );
        assert_eq!(t.by_kind["binary"], 1);
        assert_eq!(t.claims_hist, vec![0, 0, 0, 1]);
        assert_eq!(t.share_hist[3], 1, "1 of 3 grounded");
        assert_eq!(t.bad_spans, 0);
        assert!(!page.details[0].contains("content_hash"));
    }

    #[test]
    fn text_the_page_can_slice_is_left_out() {
        let text = "One claim here. Two more.";
        let mut r = obj(json!({
            "text": text,
            "sentences": [{"start": 0, "end": 15}, {"start": 16, "end": 25}],
            "summary": {"text": "Two more.", "sentences": [
                {"text": "Two more.", "support": [{"sentence": 1, "score": 1.0}]},
                {"text": "Written anew.", "support": [{"sentence": 0, "score": 0.5}]}
            ]},
            "claims": [
                {"text": "One claim here.", "evidence": [{"start": 0, "end": 15}]},
                {"text": "Reworded.", "evidence": [{"start": 0, "end": 15}]},
                {"text": "No span.", "evidence": []}
            ]
        }));
        omit_repeated_text(&mut r);
        assert_eq!(
            r["claims"][0],
            json!({"te": 1, "evidence": [{"start": 0, "end": 15}]})
        );
        assert_eq!(r["claims"][1]["text"], "Reworded.");
        assert_eq!(r["claims"][2]["text"], "No span.");
        assert!(r["summary"].get("text").is_none());
        assert_eq!(r["summary"]["sentences"][0]["ts"], 1);
        assert!(r["summary"]["sentences"][0].get("text").is_none());
        assert_eq!(r["summary"]["sentences"][1]["text"], "Written anew.");
    }

    #[test]
    fn charts_scale_to_the_largest_value() {
        let c = bar_chart(&[
            ("a".into(), 2.0, "2 s".into()),
            ("b".into(), 1.0, "1 s".into()),
        ]);
        assert_eq!(c.rects.len(), 2);
        assert!((c.rects[0].w - 2.0 * c.rects[1].w).abs() < 1e-9);
        let h = histogram(&[("0".into(), 0), ("1".into(), 4)], "claims", "bar");
        assert_eq!(h.rects[0].h, 0.0);
        assert!(h.rects[1].h > 0.0);
    }
}
