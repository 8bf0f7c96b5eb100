//! Tune the extractive selection on a corpus with reference summaries (the BBC set):
//! embeds every article once, then sweeps selection parameters and prints ROUGE.
//!
//! `cargo run --release --example tune_select -- corpus/bbc`
//! (expects `DIR/article/<topic>/<n>.txt` and `DIR/summary/<topic>/<n>.txt`).

use std::path::PathBuf;

use brief::config::{SelectConfig, SummaryLength};
use brief::eval::{lead_n, score};
use brief::extract::select::{select, SentenceInfo};
use brief::model::{files, BertEncoder, Embedder, EncoderOptions};
use brief::text::{clean, segment};

struct Doc {
    sentences: Vec<String>,
    info: Vec<SentenceInfo>,
    emb: brief::model::Embeddings,
    title: Option<Vec<f32>>,
    reference: String,
}

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "corpus/bbc".into()),
    );
    let enc = BertEncoder::load(
        &files::models_dir().join(brief::model::registry::DEFAULT_ENCODER),
        EncoderOptions::default(),
    )?;
    let mut docs = Vec::new();
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(root.join("article"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    for p in &paths {
        let body = std::fs::read_to_string(p)?;
        let rel = p.strip_prefix(root.join("article"))?;
        let reference = std::fs::read_to_string(root.join("summary").join(rel))?;
        let c = clean(&body, None);
        let spans = segment(&c.text);
        let sentences: Vec<String> = spans
            .iter()
            .map(|s| c.text[s.start..s.end].to_string())
            .collect();
        let mut texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
        if let Some(t) = &c.title {
            texts.push(t);
        }
        let all = enc.embed(&texts)?;
        let n = sentences.len();
        let emb = brief::model::Embeddings {
            dim: all.dim,
            data: all.data[..n * all.dim].to_vec(),
        };
        let title = c.title.as_ref().map(|_| all.row(n).to_vec());
        let info = sentences.iter().map(|s| SentenceInfo::of(s)).collect();
        docs.push(Doc {
            sentences,
            info,
            emb,
            title,
            reference,
        });
    }
    eprintln!("{} articles embedded", docs.len());
    let eval = |cfg: &SelectConfig| -> (f64, f64, f64, f64) {
        let (mut r1, mut r2, mut rl, mut words) = (0.0, 0.0, 0.0, 0.0);
        for d in &docs {
            let chosen = select(&d.emb, d.title.as_deref(), &d.info, cfg);
            let hyp: Vec<&str> = chosen.iter().map(|&i| d.sentences[i].as_str()).collect();
            words += hyp
                .iter()
                .map(|s| s.split_whitespace().count())
                .sum::<usize>() as f64;
            let s = score(&d.reference, &hyp.join("\n"));
            r1 += s.rouge1.f1;
            r2 += s.rouge2.f1;
            rl += s.rouge_lsum.f1;
        }
        let n = docs.len() as f64;
        (100.0 * r1 / n, 100.0 * r2 / n, 100.0 * rl / n, words / n)
    };
    // Baselines.
    for (name, frac) in [("lead-3", None), ("lead-40%", Some(0.4f32))] {
        let (mut r1, mut r2, mut rl) = (0.0, 0.0, 0.0);
        for d in &docs {
            let k = frac.map_or(3, |f| SummaryLength::Ratio(f).count(d.sentences.len()));
            let refs: Vec<&str> = d.sentences.iter().map(String::as_str).collect();
            let s = score(&d.reference, &lead_n(&refs, k));
            r1 += s.rouge1.f1;
            r2 += s.rouge2.f1;
            rl += s.rouge_lsum.f1;
        }
        let n = docs.len() as f64;
        println!(
            "{name:<10} R1 {:.2} R2 {:.2} RLsum {:.2}",
            100.0 * r1 / n,
            100.0 * r2 / n,
            100.0 * rl / n
        );
    }
    for (label, length, max_words) in [
        ("ratio0.4", SummaryLength::Ratio(0.4), 0usize),
        ("4sent", SummaryLength::Sentences(4), 120),
    ] {
        let mut results = Vec::new();
        for pw in [0.0f32, 0.2, 0.35, 0.5, 0.65, 0.8] {
            for tw in [0.0f32, 0.25, 0.5, 0.75] {
                for lam in [0.5f32, 0.7, 0.85, 1.0] {
                    let cfg = SelectConfig {
                        length,
                        position_weight: pw,
                        title_weight: tw,
                        mmr_lambda: lam,
                        max_words,
                        cover_headline: false,
                    };
                    let (r1, r2, rl, w) = eval(&cfg);
                    results.push((r1, r2, rl, w, pw, tw, lam));
                }
            }
        }
        results.sort_by(|a, b| b.0.total_cmp(&a.0));
        for r in results.iter().take(8) {
            println!("{label:<9} R1 {:.2} R2 {:.2} RLsum {:.2} words {:.0}  position {} title {} lambda {}", r.0, r.1, r.2, r.3, r.4, r.5, r.6);
        }
        let d = SelectConfig {
            length,
            max_words,
            ..SelectConfig::default()
        };
        let (r1, r2, rl, w) = eval(&d);
        println!("{label:<9} default: R1 {r1:.2} R2 {r2:.2} RLsum {rl:.2} words {w:.0}");
    }
    Ok(())
}
