//! End-to-end tests of `brief bench` with tiny in-process models: the real binary,
//! the real pipeline, a report whose figures must agree with the records.

mod common;

use std::path::Path;

use brief::bench::{BenchReport, PromptDump};
use brief::model::generator::Generator;
use common::*;

/// Two BBC stories, a JSONL feed with one good and one broken line.
fn corpus(dir: &Path) {
    for (topic, name) in [("tech", "t.txt"), ("business", "b.txt")] {
        std::fs::copy(
            root().join(format!("corpus/articles/bbc/{topic}/001.txt")),
            dir.join(name),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("feed.jsonl"),
        concat!(
            r#"{"id": "rates", "title": "Rates held at 4.75%", "body": "The Bank of England held rates at 4.75% on Thursday. Economists had expected the move. Shares in London rose 1% after the decision."}"#,
            "\n",
            "{broken\n"
        ),
    )
    .unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn bench_reports_real_figures_and_dumps_the_prompts_generation_used() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    corpus(&input);
    let models = tiny_models(tmp.path());
    let generator = tiny_generator(tmp.path());
    let (json, prompts, out) = (
        tmp.path().join("bench.json"),
        tmp.path().join("prompts"),
        tmp.path().join("out"),
    );
    let o = brief(
        &[
            "bench",
            s(&input),
            "--threads",
            "1,2",
            "--repeat",
            "2",
            "--warmup",
            "1",
            "--models",
            &models,
            "--generator",
            &generator,
            "--max-new-tokens",
            "16",
            "--json",
            s(&json),
            "--dump-prompts",
            s(&prompts),
            "--output",
            s(&out),
        ],
        None,
    );
    expect_exit(&o, 0);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("articles/min"), "{table}");
    assert!(
        table.contains("outputs identical across thread counts and passes: yes"),
        "{table}"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.matches("brief bench: pass").count(), 4, "{stderr}");

    let report: BenchReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let (_, recs) = read_results(&out);
    assert_eq!((report.articles, report.ok, report.failed), (4, 3, 1));
    assert_eq!(recs.len(), 4);
    assert!(report.outputs_identical);
    assert_eq!((report.repeat, report.warmup), (2, 1));
    assert_eq!(report.env["CANDLE_NUM_THREADS"], "1");
    assert!(report.ingest_ms > 0.0);
    assert!(!report.machine.cpu_model.is_empty() && report.machine.logical_cores >= 1);
    let roles: Vec<&str> = report.models.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["encoder", "generator"]);
    for m in &report.models {
        assert_eq!(m.sha256.len(), 64, "{m:?}");
    }

    // The figures agree with the records the pass produced.
    let stat = |f: fn(&brief::output::record::Stats) -> u64| -> u64 {
        recs.iter().filter_map(|r| r.stats.as_ref()).map(f).sum()
    };
    let sentences = stat(|s| s.sentences as u64);
    let prompt_tokens = stat(|s| s.prompt_tokens.unwrap_or(0) as u64);
    let generated = stat(|s| s.generated_tokens.unwrap_or(0) as u64);
    assert!(sentences > 10 && prompt_tokens > 100 && generated > 0);
    assert!(generated <= 3 * 16, "at most --max-new-tokens per article");
    assert_eq!(report.runs.len(), 2);
    for (run, threads) in report.runs.iter().zip([1, 2]) {
        assert_eq!(run.threads, threads);
        assert_eq!(run.pass_seconds.len(), 2);
        assert!(run.pass_seconds.iter().all(|&t| t > 0.0));
        assert!(run.wall_seconds >= run.pass_seconds.iter().cloned().fold(f64::MAX, f64::min));
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert!(close(run.articles_per_second, 4.0 / run.wall_seconds));
        assert!(close(
            run.articles_per_minute,
            60.0 * run.articles_per_second
        ));
        assert_eq!(
            (run.sentences, run.prompt_tokens, run.generated_tokens),
            (sentences, prompt_tokens, generated)
        );
        assert!(close(
            run.generated_tokens_per_second,
            generated as f64 / run.wall_seconds
        ));
        assert!(close(
            run.sentences_per_second,
            sentences as f64 / run.wall_seconds
        ));
        let l = run.latency_ms;
        assert!(0.0 < l.p50 && l.p50 <= l.p95 && l.p95 <= l.max, "{l:?}");
        assert!(run.peak_rss_bytes.is_some_and(|b| b > 1_000_000));
        let stages: Vec<&str> = run.stages.iter().map(|x| x.stage.as_str()).collect();
        for want in [
            "ingest", "clean", "segment", "encode", "generate", "ground", "write",
        ] {
            assert!(stages.contains(&want), "{want} missing from {stages:?}");
        }
        let share: f64 = run.stages.iter().map(|x| x.share).sum();
        assert!((share - 1.0).abs() < 1e-6, "shares add up to {share}");
        assert_eq!(run.speedup_base_threads, 1);
    }
    assert_eq!(report.runs[0].speedup, 1.0);

    // One prompt file per article that reached generation, in input order; its ids are
    // what the generator counted, and decode to a text carrying the headline.
    let g = Generator::load(&generator).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&prompts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let ok: Vec<_> = recs.iter().filter(|r| r.error.is_none()).collect();
    let mut titled = 0;
    for (file, rec) in files.iter().zip(&ok) {
        let d: PromptDump = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(
            (d.id.as_str(), d.source.as_str()),
            (rec.id.as_str(), rec.source.as_str())
        );
        assert_eq!(d.max_new_tokens, 16);
        let stats = rec.stats.as_ref().unwrap();
        assert_eq!(Some(d.prompt_ids.len()), stats.prompt_tokens);
        let decoded = g.decode(&d.prompt_ids).unwrap();
        let title = rec.title.as_deref().expect("every input has a headline");
        assert!(decoded.contains(title), "{title:?} not in {decoded:?}");
        assert!(d.prompt_text.contains(title));
        // The whole-article variant carries every sentence, the last one included.
        let text = rec.text.as_deref().unwrap();
        let last = rec.sentences.last().unwrap();
        let whole = g.decode(&d.whole_article_prompt_ids).unwrap();
        assert!(
            whole.contains(text[last.start..last.end].trim()),
            "{whole:?}"
        );
        assert!(d.whole_article_prompt_ids.len() >= d.prompt_ids.len());
        titled += 1;
    }
    assert_eq!(titled, 3);
}

#[test]
fn records_are_identical_at_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    corpus(&input);
    let models = tiny_models(tmp.path());
    let generator = tiny_generator(tmp.path());
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out-{threads}"));
        let o = brief(
            &[
                "bench",
                s(&input),
                "-j",
                threads,
                "--models",
                &models,
                "--generator",
                &generator,
                "--max-new-tokens",
                "8",
                "-o",
                s(&out),
                "-q",
            ],
            None,
        );
        expect_exit(&o, 0);
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(std::fs::read_to_string(out.join("results.jsonl")).unwrap());
    }
    assert_eq!(outputs[0].lines().count(), 4);
    validate_schema(&outputs[0]);
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn bad_bench_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    corpus(&input);
    let models = tiny_models(tmp.path());
    let dump = tmp.path().join("p");
    for (args, message) in [
        (vec!["--dump-prompts", s(&dump)], "needs a generator"),
        (vec!["-j", "0"], "at least 1"),
        (vec!["--repeat", "0"], "at least 1"),
    ] {
        let mut all = vec![
            "bench",
            s(&input),
            "--models",
            &models,
            "-q",
            "--no-generate",
        ];
        all.extend(args);
        let o = brief(&all, None);
        expect_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{all:?}: {err}");
    }
    let o = brief(&["bench", "-", "--models", &models, "--no-generate"], None);
    expect_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not stdin"));
}
