//! Rendering: the page template (minijinja, HTML auto-escaping on), the overview's
//! figures, and JSON made safe to embed in `<script>` blocks. The script and style
//! are inline, allowed by their hashes in the page's Content Security Policy, which
//! also forbids every network request and any other script.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::report::model::{bar_chart, claims_histogram, share_histogram, Chart, Page, Tally};

const TEMPLATE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// `json` (as serde_json writes it) made safe inside an HTML `<script>` element:
/// `<`, `>` and `&` escaped, so no `</script>` or `<!--` can end or change the
/// element, and U+2028/U+2029 escaped for older JavaScript parsers. These characters
/// only occur inside JSON strings, where `\uXXXX` means the same character.
pub fn escape_script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `value` as JSON escaped with [`escape_script_json`].
pub fn script_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let json = serde_json::to_string(value).map_err(|e| Error::Serialize {
        what: "report data",
        message: e.to_string(),
    })?;
    Ok(escape_script_json(&json))
}

/// A figure in a card.
#[derive(Debug, Serialize)]
struct Card {
    label: &'static str,
    value: String,
    note: String,
    class: &'static str,
}

/// A model with a short hash.
#[derive(Debug, Serialize)]
struct Model {
    role: String,
    name: String,
    hash: String,
}

/// The overview section's data.
#[derive(Debug, Serialize)]
struct Overview {
    has_manifest: bool,
    interrupted: bool,
    facts: Vec<(String, String)>,
    cards: Vec<Card>,
    failed_by_kind: Vec<(String, usize)>,
    methods: Vec<(String, usize)>,
    models: Vec<Model>,
    config: Vec<(String, String)>,
    stages: Option<Chart>,
    claims_hist: Chart,
    share_hist: Chart,
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_f64()
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        format!("{}:{:02} min", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

/// Nested configuration as `a.b = value` rows.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn cards(t: &Tally, m: Option<&Value>, records: usize) -> Vec<Card> {
    let count = |key: &str| m.and_then(|m| num(m, &["counts", key])).map(|n| n as usize);
    let ok = t.by_status.get("ok").copied().unwrap_or(0);
    let failed = t.by_status.get("error").copied().unwrap_or(0);
    let not_read: usize = [
        "skipped_hidden",
        "skipped_unknown_extension",
        "skipped_output_folders",
    ]
    .iter()
    .filter_map(|k| count(k))
    .sum::<usize>()
        + m.and_then(|m| m.get("counts")?.get("skipped_special")?.as_object())
            .map_or(0, |s| {
                s.values().filter_map(Value::as_u64).sum::<u64>() as usize
            });
    let articles_note = match count("articles") {
        Some(n) if n != records => format!("the manifest counts {}", thousands(n)),
        _ => "records in the file".into(),
    };
    let wall = m.and_then(|m| num(m, &["wall_seconds"]));
    let per_min = m
        .and_then(|m| num(m, &["docs_per_second"]))
        .map(|r| r * 60.0);
    vec![
        Card {
            label: "Articles",
            value: thousands(records),
            note: articles_note,
            class: "",
        },
        Card {
            label: "OK",
            value: thousands(ok),
            note: percent(ok, records),
            class: "good",
        },
        Card {
            label: "Failed",
            value: thousands(failed),
            note: if failed == 0 {
                "none".into()
            } else {
                format!("{} kinds", t.by_kind.len())
            },
            class: if failed > 0 { "bad" } else { "" },
        },
        Card {
            label: "Skipped",
            value: m.map_or("–".into(), |_| thousands(not_read)),
            note: match count("skipped") {
                Some(kept) if kept > 0 => format!("files not read; {kept} kept from before"),
                _ => "files not read".into(),
            },
            class: "",
        },
        Card {
            label: "Claims",
            value: thousands(t.claims),
            note: format!("{} grounded", percent(t.grounded, t.claims)),
            class: "",
        },
        Card {
            label: "Ungrounded",
            value: thousands(t.ungrounded),
            note: match t.with_ungrounded {
                1 => "claims in 1 article".into(),
                n => format!("claims in {} articles", thousands(n)),
            },
            class: if t.ungrounded > 0 { "bad" } else { "good" },
        },
        Card {
            label: "Wall time",
            value: wall.map_or("–".into(), duration),
            note: m
                .and_then(|m| num(m, &["threads"]))
                .map_or(String::new(), |n| format!("{n} threads")),
            class: "",
        },
        Card {
            label: "Articles/min",
            value: per_min.map_or("–".into(), |r| format!("{r:.1}")),
            note: "model loading excluded".into(),
            class: "",
        },
    ]
}

fn overview(page: &Page, m: Option<&Value>) -> Overview {
    let t = &page.tally;
    let mut facts = Vec::new();
    let mut models = Vec::new();
    let mut config = Vec::new();
    let mut stages = None;
    if let Some(m) = m {
        for (label, key) in [("brief", "brief_version"), ("started", "started")] {
            if let Some(v) = text(m, key) {
                facts.push((label.to_string(), v));
            }
        }
        if let Some(inputs) = m.get("inputs").and_then(Value::as_array) {
            let list: Vec<String> = inputs
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect();
            facts.push(("inputs".into(), list.join(", ")));
        }
        for f in m
            .get("models")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            models.push(Model {
                role: text(f, "role").unwrap_or_default(),
                name: text(f, "name").unwrap_or_default(),
                hash: text(f, "sha256")
                    .unwrap_or_default()
                    .chars()
                    .take(12)
                    .collect(),
            });
        }
        if let Some(c) = m.get("config") {
            flatten("", c, &mut config);
        }
        if let Some(h) = text(m, "config_hash") {
            config.push(("config_hash".into(), h));
        }
        let ms: BTreeMap<String, f64> = m
            .get("stage_ms")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let total: f64 = ms.values().sum();
        if total > 0.0 {
            let mut items: Vec<(String, f64, String)> = ms
                .into_iter()
                .map(|(k, v)| {
                    let shown = format!("{} ({:.0}%)", duration(v / 1000.0), v * 100.0 / total);
                    (k, v, shown)
                })
                .collect();
            items.sort_by(|a, b| b.1.total_cmp(&a.1));
            stages = Some(bar_chart(&items));
        }
    }
    Overview {
        has_manifest: m.is_some(),
        interrupted: m
            .and_then(|m| m.get("interrupted"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        facts,
        cards: cards(t, m, page.len()),
        failed_by_kind: t.by_kind.iter().map(|(k, n)| (k.clone(), *n)).collect(),
        methods: t.by_method.iter().map(|(k, n)| (k.clone(), *n)).collect(),
        models,
        config,
        stages,
        claims_hist: claims_histogram(t),
        share_hist: share_histogram(t),
    }
}

/// `sha256-…` source of a CSP hash for an inline element's exact content.
fn csp_hash(content: &str) -> String {
    use base64::Engine as _;
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The whole page. `title` names the run (its folder); `warnings` are shown at the top.
pub fn render(
    page: &Page,
    manifest: Option<&Value>,
    title: &str,
    warnings: &[String],
) -> Result<String> {
    let mut env = minijinja::Environment::new();
    // The name ends in .html, so every `{{ value }}` is HTML-escaped.
    env.add_template("page.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    let mut warnings = warnings.to_vec();
    if page.tally.bad_spans > 0 {
        warnings.push(format!(
            "{} offsets do not fall on character boundaries of their article's text (records of another brief version?); those spans are not highlighted",
            page.tally.bad_spans
        ));
    }
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    let ctx = minijinja::context! {
        title,
        // Ours entirely (fixed text and base64 hashes): its quotes must stay quotes.
        csp => minijinja::Value::from_safe_string(csp),
        style => minijinja::Value::from_safe_string(STYLE.to_string()),
        script => minijinja::Value::from_safe_string(SCRIPT.to_string()),
        warnings,
        overview => minijinja::Value::from(minijinja::value::Serde(overview(page, manifest))),
        rows => minijinja::Value::from_safe_string(script_json(&page.rows)?),
        stories => minijinja::Value::from(minijinja::value::Serde(&page.stories)),
        details => page.details.iter().map(|d| minijinja::Value::from_safe_string(d.clone())).collect::<Vec<_>>(),
    };
    env.get_template("page.html")
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Internal(format!("report template: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_end_the_script_element() {
        let hostile = "</script><script>alert(1)</script> <!-- x --> a & b \u{2028}\u{2029} \"-->";
        let out = script_json(&serde_json::json!({ "text": hostile })).unwrap();
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!out.contains(bad), "{bad:?} left in {out}");
        }
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["text"], hostile, "the same text after parsing");
    }

    #[test]
    fn inline_assets_cannot_end_their_elements() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(5.25), "5.2 s");
        assert_eq!(duration(125.0), "2:05 min");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "–");
    }

    #[test]
    fn hostile_values_are_escaped_in_the_page() {
        let mut page = Page::default();
        let rec = serde_json::json!({
            "source": "<img src=x onerror=alert(1)>.txt", "status": "error",
            "error": {"kind": "<b>parse</b>", "message": "m"}
        });
        page.add(rec.as_object().unwrap().clone()).unwrap();
        let manifest = serde_json::json!({
            "brief_version": "<script>alert(1)</script>",
            "config": {"x": "\"-->"},
            "models": [{"role": "encoder", "name": "<i>m</i>", "sha256": "abc"}],
            "stage_ms": {"<s>": 5}
        });
        let html = render(&page, Some(&manifest), "<title>", &["<w>".into()]).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("<i>m</i>") && !html.contains("<b>parse") && !html.contains("<s>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        // Exactly our one script element runs, and the policy allows only it.
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains(&csp_hash(SCRIPT)));
    }
}
