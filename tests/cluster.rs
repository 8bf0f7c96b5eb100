//! Many machines: `brief run --shard K/N`, `brief merge`, and the worked examples for
//! Slurm, Kubernetes and Spark in `examples/` — run locally through the real binary
//! and compared with a single run over the same articles.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

/// A corpus whose input order is not its string order: the eleven sample articles,
/// a folder `a/` beside a file `a.txt`, a JSONL feed of twelve lines (line 10 after
/// 9), a JSON array, and broken files that become error records.
fn corpus(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    copy_dir(&root().join("corpus/articles"), &input.join("articles"));
    let body = |i: usize| {
        format!(
            "Officials in Town {i} said on Monday that {i}00 homes would get new roofs. \
             The work will cost £{i}m, the council said. Residents welcomed the plan."
        )
    };
    std::fs::write(input.join("a.txt"), body(1)).unwrap();
    std::fs::create_dir_all(input.join("a")).unwrap();
    std::fs::write(input.join("a/b.txt"), body(2)).unwrap();
    let feed: String = (0..12)
        .map(|i| {
            format!(
                "{{\"id\": \"feed-{i}\", \"title\": \"Roofs {i}\", \"body\": \"{}\"}}\n",
                body(i + 3)
            )
        })
        .collect();
    std::fs::write(input.join("feed.jsonl"), feed).unwrap();
    std::fs::write(
        input.join("pair.json"),
        format!(
            r#"[{{"body": "{}"}}, {{"body": "{}"}}]"#,
            body(20),
            body(21)
        ),
    )
    .unwrap();
    std::fs::write(input.join("empty.txt"), "").unwrap();
    std::fs::write(
        input.join("image.txt"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0",
    )
    .unwrap();
    input
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `brief run INPUT -o OUT` with `extra`, expecting exit 0 or 1 (some error records).
fn run(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", s(input), "-o", s(out), "-q"];
    args.extend_from_slice(extra);
    let o = brief(&args, None);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn merge(parts: &[PathBuf], out: &Path) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(["-o".to_string(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    brief(&args, None)
}

/// Run `inputs` once into `tmp/single`, then as 4 shards one after another into
/// `tmp/shard-K`, merge those into `tmp/merged`, and check the merged results are the
/// single run's byte for byte. Returns the single run's folder and the shards'.
fn shards_and_merge(tmp: &Path, input: &Path, opts: &[&str]) -> (PathBuf, Vec<PathBuf>) {
    let single = tmp.join("single");
    run(input, &single, opts);
    let parts = shard_outputs(tmp, input, "shard", 4, opts);
    let merged = tmp.join("merged");
    expect_exit(&merge(&parts, &merged), 0);
    let merged_text = std::fs::read_to_string(merged.join("results.jsonl")).unwrap();
    let single_text = read_results(&single).0;
    assert!(
        merged_text == single_text,
        "merged results differ from the single run's:\n{}",
        first_difference(&merged_text, &single_text)
    );
    (single, parts)
}

/// [`shards_and_merge`] on the built corpus, and what the shards and the merged
/// manifest say: every article in exactly one shard (the one its id hashes to), the
/// counts recounted or summed.
fn shards_merge_to_the_single_run(tmp: &Path, input: &Path, opts: &[&str]) {
    let (single, parts) = shards_and_merge(tmp, input, opts);
    let (_, single_records) = read_results(&single);
    assert!(single_records.len() >= 25, "{}", single_records.len());
    let mut seen = BTreeSet::new();
    for (k, out) in parts.iter().enumerate() {
        let (_, recs) = read_results(out);
        let m = read_manifest(out);
        assert_eq!(m.shard.map(|s| s.to_string()), Some(format!("{k}/4")));
        assert_eq!(m.counts.articles, recs.len());
        assert_eq!(
            m.counts.articles + m.counts.out_of_shard,
            single_records.len(),
            "shard {k}: its records and those it left out make the whole"
        );
        for r in &recs {
            assert!(seen.insert(r.key()), "{} in two shards", r.source);
            let bucket = brief::ingest::shard::Shard::bucket(&r.id, 4);
            assert_eq!(
                bucket, k as u64,
                "{} (id {}) is not shard {k}'s",
                r.source, r.id
            );
        }
    }
    assert_eq!(seen.len(), single_records.len());
    let m = read_manifest(&tmp.join("merged"));
    let one = read_manifest(&single);
    assert_eq!(m.config_hash, one.config_hash);
    assert_eq!(m.counts.articles, one.counts.articles);
    assert_eq!(m.counts.ok, one.counts.ok);
    assert_eq!(m.counts.failed_by_kind, one.counts.failed_by_kind);
    assert_eq!(
        m.counts.done, one.counts.done,
        "done is summed over the shards"
    );
    assert_eq!(m.counts.skipped_hidden, one.counts.skipped_hidden);
    assert_eq!(m.merged.len(), 4);
    assert!(m.shard.is_none() && !m.interrupted);
    assert_eq!(
        m.stage_ms.keys().collect::<Vec<_>>(),
        one.stage_ms.keys().collect::<Vec<_>>()
    );
    let processing: f64 = parts
        .iter()
        .map(|p| read_manifest(p).processing_seconds)
        .sum();
    assert!((m.processing_seconds - processing).abs() < 1e-6);
    assert!(m.docs_per_second > 0.0);
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            let cut = |l: &str| l.chars().take(300).collect::<String>();
            return format!("line {}:\n  {}\n  {}", i + 1, cut(x), cut(y));
        }
    }
    format!("{} vs {} lines", a.lines().count(), b.lines().count())
}

#[test]
fn four_shards_merge_to_the_single_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    shards_merge_to_the_single_run(tmp.path(), &input, &["--no-generate", "--models", &models]);
}

#[test]
fn shards_merge_to_the_single_runs_duplicates_and_stories() {
    use brief::relate::edits::Edit;
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    // Edited copies of one story, which their ids spread over the shards: each shard
    // alone sees only some of them, the merge must relate them all.
    let story = std::fs::read_to_string(root().join("corpus/articles/bbc/tech/001.txt")).unwrap();
    std::fs::create_dir_all(input.join("copies")).unwrap();
    for (i, edit) in Edit::ALL.iter().enumerate() {
        std::fs::write(input.join(format!("copies/{i}.txt")), edit.apply(&story)).unwrap();
    }
    for mode in ["mark", "skip"] {
        let dir = tmp.path().join(mode);
        let opts = ["--no-generate", "--models", &models, "--duplicates", mode];
        let (single, parts) = shards_and_merge(&dir, &input, &opts);
        let stories = |out: &Path| std::fs::read(out.join("stories.jsonl")).unwrap();
        assert!(
            stories(&dir.join("merged")) == stories(&single),
            "{mode}: stories differ"
        );
        let (_, recs) = read_results(&single);
        let copies = recs.iter().filter(|r| r.duplicate_of.is_some()).count();
        assert!(copies >= Edit::ALL.len(), "{mode}: {copies} duplicates");
        // No shard alone had them all.
        let most = parts
            .iter()
            .map(|p| {
                read_results(p)
                    .1
                    .iter()
                    .filter(|r| r.duplicate_of.is_some())
                    .count()
            })
            .max()
            .unwrap();
        assert!(most < copies, "{mode}: one shard had every duplicate");
    }
}

#[test]
fn four_shards_merge_to_the_single_run_with_a_generator() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let generator = tiny_generator(tmp.path());
    let input = corpus(tmp.path());
    let opts = [
        "--models",
        &models,
        "--generator",
        &generator,
        "--max-new-tokens",
        "8",
    ];
    shards_merge_to_the_single_run(tmp.path(), &input, &opts);
}

#[test]
fn real_models_four_shards_merge_to_the_single_run() {
    let Some(models) = real_models() else {
        eprintln!("skipping: models/all-MiniLM-L6-v2 not found — run models/fetch");
        return;
    };
    let models = models.display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&root().join("corpus/articles"), &input);
    // Extractive on all eleven; the default generator on three (minutes on 2 cores).
    shards_and_merge(tmp.path(), &input, &["--no-generate", "--models", &models]);
    if !Path::new(&models)
        .join("qwen2.5-coder-0.5b-instruct")
        .is_dir()
    {
        eprintln!(
            "skipping the generator half: the default generator is not fetched — run models/fetch"
        );
        return;
    }
    let few = tmp.path().join("few");
    std::fs::create_dir_all(&few).unwrap();
    for name in [
        "seed/moscow-pyongyang-history.txt",
        "bbc/business/001.txt",
        "bbc/sport/001.txt",
    ] {
        let from = root().join("corpus/articles").join(name);
        std::fs::copy(&from, few.join(name.replace('/', "-"))).unwrap();
    }
    let gen_tmp = tmp.path().join("gen");
    std::fs::create_dir_all(&gen_tmp).unwrap();
    shards_and_merge(&gen_tmp, &few, &["--models", &models]);
}

#[test]
fn bad_shard_specs_exit_2_with_the_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let seed = root().join("corpus/articles/seed");
    for (spec, says) in [
        ("4/4", "0 <= K < N"),
        ("1/0", "at least 1"),
        ("x/4", "whole number"),
        ("3", "K/N"),
    ] {
        let o = brief(
            &[
                "run",
                s(&seed),
                "-o",
                "-",
                "--no-generate",
                "--models",
                &models,
                "--shard",
                spec,
            ],
            None,
        );
        expect_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "--shard {spec}: {err}");
    }
}

#[test]
fn a_shard_folder_resumes_and_refuses_another_share() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    let out = tmp.path().join("shard");
    let opts = ["--no-generate", "--models", &models, "--shard", "1/3"];
    run(&input, &out, &opts);
    let (first, recs) = read_results(&out);
    assert!(!recs.is_empty());
    // The same command again: everything is kept, nothing redone.
    run(&input, &out, &opts);
    let m = read_manifest(&out);
    assert_eq!((m.counts.skipped, m.counts.done), (recs.len(), 0));
    assert_eq!(read_results(&out).0, first);
    // A new file: only it is processed (if it is this shard's), the rest stay put.
    let extra: Vec<String> = (0..6)
        .map(|i| format!("Extra story {i} says 4{i} people came. They stayed."))
        .collect();
    for (i, text) in extra.iter().enumerate() {
        std::fs::write(input.join(format!("extra-{i}.txt")), text).unwrap();
    }
    run(&input, &out, &opts);
    let m = read_manifest(&out);
    let mine = extra
        .iter()
        .filter(|t| brief::ingest::shard::Shard::bucket(&brief::ingest::content_id(t), 3) == 1)
        .count();
    assert_eq!((m.counts.skipped, m.counts.done), (recs.len(), mine));
    // Another share, or none, is refused (exit 2) and the folder left alone.
    for other in [&["--shard", "2/3"][..], &["--shard", "1/4"], &[]] {
        let mut args = vec![
            "run",
            s(&input),
            "-o",
            s(&out),
            "--no-generate",
            "--models",
            &models,
        ];
        args.extend_from_slice(other);
        let o = brief(&args, None);
        expect_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--shard 1/3") && err.contains("--force"),
            "{err}"
        );
    }
    assert_eq!(read_manifest(&out).shard.unwrap().to_string(), "1/3");
    // --force replaces it.
    let args = [
        "--no-generate",
        "--models",
        &models,
        "--shard",
        "2/3",
        "--force",
    ];
    run(&input, &out, &args);
    assert_eq!(read_manifest(&out).shard.unwrap().to_string(), "2/3");
}

/// `brief run - -o - --no-generate` over `feed` on stdin, with `extra`.
fn extractive_stdin(models: &str, feed: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "-",
        "-o",
        "-",
        "-q",
        "--no-generate",
        "--models",
        models,
    ];
    args.extend_from_slice(extra);
    brief(&args, Some(feed.as_bytes()))
}

#[test]
fn shards_compose_with_stdin_and_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let feed: String = (0..20)
        .map(|i| format!("{{\"id\": \"s{i}\", \"body\": \"Story {i} says {i}0 people came on Monday. They left.\"}}\n"))
        .collect();
    let go = |extra: &[&str]| {
        let o = extractive_stdin(&models, &feed, extra);
        expect_exit(&o, 0);
        String::from_utf8(o.stdout).unwrap()
    };
    let single = go(&[]);
    let mut lines: Vec<(String, String)> = Vec::new();
    for k in 0..3 {
        let spec = format!("{k}/3");
        let out = go(&["--shard", &spec]);
        let recs = records(&out);
        assert!(recs.len() < 20, "shard {spec} took everything");
        for (r, l) in recs.iter().zip(out.lines()) {
            assert_eq!(brief::ingest::shard::Shard::bucket(&r.id, 3), k);
            lines.push((r.source.clone(), l.to_string()));
        }
    }
    // Sources are `-:LINE` of the same stream: in line order, the single run's
    // records, but for what relates articles of the whole batch (each shard on
    // standard output relates its own; `brief merge` joins folders).
    lines.sort_by_key(|(src, _)| src[2..].parse::<usize>().unwrap());
    let joined: Vec<serde_json::Value> = lines.iter().map(|(_, l)| unrelated(l)).collect();
    let single: Vec<serde_json::Value> = single.lines().map(unrelated).collect();
    assert_eq!(joined, single);
}

/// A record line without the fields that relate it to other articles of its batch.
fn unrelated(line: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    for key in ["story", "duplicate_of", "similarity"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

/// Shard outputs of the built corpus with `opts`, in `tmp/NAME-K`.
fn shard_outputs(tmp: &Path, input: &Path, name: &str, n: u64, opts: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let out = tmp.join(format!("{name}-{k}"));
            let spec = format!("{k}/{n}");
            let mut args = opts.to_vec();
            args.extend(["--shard", &spec]);
            run(input, &out, &args);
            out
        })
        .collect()
}

#[test]
fn merge_keeps_one_record_per_article_when_shards_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    let opts = ["--no-generate", "--models", &models];
    let single = tmp.path().join("single");
    run(&input, &single, &opts);
    let mut parts = shard_outputs(tmp.path(), &input, "s", 2, &opts);
    // A whole run merged with its own shards, and shard 0 given twice.
    parts.push(single.clone());
    parts.push(parts[0].clone());
    let merged = tmp.path().join("merged");
    let o = merge(&parts, &merged);
    expect_exit(&o, 0);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("more than one folder"), "{err}");
    assert_eq!(read_results(&merged).0, read_results(&single).0);
    let m = read_manifest(&merged);
    let used: usize = m.merged.iter().map(|p| p.used).sum();
    assert_eq!(used, m.counts.articles);
    // An ok record wins over an error record for the same article, whichever is later.
    let mut lines: Vec<String> = read_results(&parts[0])
        .0
        .lines()
        .map(String::from)
        .collect();
    let victim = lines
        .iter()
        .position(|l| l.contains("\"status\":\"ok\""))
        .expect("an ok record in shard 0");
    let mut r: serde_json::Value = serde_json::from_str(&lines[victim]).unwrap();
    let source = r["source"].as_str().unwrap().to_string();
    r["status"] = "error".into();
    r["error"] = serde_json::json!({"kind": "io", "message": "disk on fire"});
    lines[victim] = r.to_string();
    let broken = tmp.path().join("broken-0");
    copy_dir(&parts[0], &broken);
    std::fs::write(broken.join("results.jsonl"), lines.join("\n") + "\n").unwrap();
    let merged2 = tmp.path().join("merged2");
    expect_exit(
        &merge(&[parts[0].clone(), parts[1].clone(), broken], &merged2),
        0,
    );
    let (text, recs) = read_results(&merged2);
    assert_eq!(text, read_results(&single).0);
    assert!(recs.iter().any(|r| r.source == source && r.error.is_none()));
}

/// A temporary folder with the tiny models, the built corpus, and its two extractive
/// shards in `s-0` and `s-1`.
fn two_extractive_shards() -> (tempfile::TempDir, String, PathBuf, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    let opts = ["--no-generate", "--models", &models];
    let parts = shard_outputs(tmp.path(), &input, "s", 2, &opts);
    (tmp, models, input, parts)
}

#[test]
fn merge_refuses_outputs_of_different_runs_naming_the_field() {
    let (tmp, models, input, a) = two_extractive_shards();
    let b = shard_outputs(
        tmp.path(),
        &input,
        "b",
        2,
        &[
            "--no-generate",
            "--models",
            &models,
            "--summary-words",
            "40",
        ],
    );
    let o = merge(&[a[0].clone(), b[1].clone()], &tmp.path().join("m"));
    expect_exit(&o, 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("config.select.max_words") && err.contains("80 vs 40"),
        "{err}"
    );
    assert!(!tmp.path().join("m/results.jsonl").exists());
    // Other inputs: refused too.
    let other = tmp.path().join("other-in");
    copy_dir(&root().join("corpus/articles/seed"), &other);
    let c = tmp.path().join("c");
    run(
        &other,
        &c,
        &["--no-generate", "--models", &models, "--shard", "1/2"],
    );
    let o = merge(&[a[0].clone(), c], &tmp.path().join("m"));
    expect_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("differ in inputs"));
    // A missing shard is merged with a warning naming it.
    let o = merge(&a[..1], &tmp.path().join("m1"));
    expect_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard(s) 1/2 not among"));
}

#[test]
fn merge_handles_damaged_and_foreign_folders() {
    let (tmp, _models, input, parts) = two_extractive_shards();
    let results = parts[1].join("results.jsonl");
    let good = std::fs::read(&results).unwrap();
    // A torn last line: skipped with a warning.
    let mut torn = good.clone();
    torn.extend_from_slice(b"{\"schema_version\":1,\"id\":\"x");
    std::fs::write(&results, &torn).unwrap();
    let o = merge(&parts, &tmp.path().join("m"));
    expect_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("incomplete last line"));
    // A line in the middle that is not a record: an error naming file and line.
    let mut bad = b"{\"schema_version\":1,\"oops\n".to_vec();
    bad.extend_from_slice(&good);
    std::fs::write(&results, &bad).unwrap();
    let o = merge(&parts, &tmp.path().join("m2"));
    expect_exit(&o, 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("results.jsonl") && err.contains("line 1: not a brief record"),
        "{err}"
    );
    std::fs::write(&results, &good).unwrap();
    // Not a brief folder, an interrupted run, a foreign output: refused, nothing written.
    let o = merge(&[parts[0].clone(), input.clone()], &tmp.path().join("m3"));
    expect_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("not the output folder of a finished brief run"));
    let manifest = parts[1].join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("\"interrupted\": false", "\"interrupted\": true"),
    )
    .unwrap();
    let o = merge(&parts, &tmp.path().join("m3"));
    expect_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unfinished run"));
    std::fs::write(&manifest, text).unwrap();
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("results.jsonl"), "my own notes\n").unwrap();
    let o = merge(&parts, &foreign);
    expect_exit(&o, 2);
    assert_eq!(
        std::fs::read_to_string(foreign.join("results.jsonl")).unwrap(),
        "my own notes\n"
    );
    let o = merge(&parts, &parts[0]);
    expect_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("also one of the folders"));
}

/// Environment for running the example scripts locally: `brief` on PATH (the binary
/// under test), the tiny models as BRIEF_MODELS.
fn example_env(cmd: &mut Command, models: &str) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_brief"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).unwrap())
        .env("BRIEF_MODELS", models)
        .current_dir(root())
        .stdin(Stdio::null());
}

fn check(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {:?}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn slurm_recipe_runs_locally_and_merges_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    let out = tmp.path().join("slurm");
    let script = root().join("examples/slurm/brief.sbatch");
    let text = std::fs::read_to_string(&script).unwrap();
    // The array size and SHARDS must agree; run every task the way Slurm would.
    assert!(text.contains("#SBATCH --array=0-3") && text.contains("SHARDS=${SHARDS:-4}"));
    for task in 0..4 {
        let mut cmd = Command::new("bash");
        cmd.arg(&script)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("INPUT", &input)
            .env("OUT", &out)
            .env("BRIEF_OPTIONS", "--no-generate");
        example_env(&mut cmd, &models);
        check(&cmd.output().unwrap(), &format!("array task {task}"));
    }
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("examples/slurm/merge.sbatch"))
        .env("OUT", &out);
    example_env(&mut cmd, &models);
    check(&cmd.output().unwrap(), "merge job");
    let single = tmp.path().join("single");
    run(&input, &single, &["--no-generate", "--models", &models]);
    assert_eq!(read_results(&out.join("merged")).0, read_results(&single).0);
}

/// The `args:` shell line of the (only) container of a Job manifest.
fn job_command(yaml: &str) -> String {
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "args:");
    lines.next();
    let line = lines.next().expect("a line after args:").trim();
    line.strip_prefix("- ")
        .expect("args: - COMMAND")
        .to_string()
}

#[test]
fn kubernetes_recipe_runs_locally_and_merges_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let data = tmp.path().join("data");
    let input = corpus(&data);
    let job = std::fs::read_to_string(root().join("examples/kubernetes/job.yaml")).unwrap();
    assert!(job.contains("completionMode: Indexed"));
    let completions: u64 = job
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap()
        .parse()
        .unwrap();
    let shard_cmd = job_command(&job);
    assert!(
        shard_cmd.contains(&format!("--shard $JOB_COMPLETION_INDEX/{completions}")),
        "completions and --shard N disagree: {shard_cmd}"
    );
    // The pods' /data is our folder; each index runs the container's command.
    let local = |c: &str| c.replace("/data/", &format!("{}/", data.display()));
    for index in 0..completions {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(local(&shard_cmd).replacen("brief run", "brief run --no-generate", 1))
            .env("JOB_COMPLETION_INDEX", index.to_string());
        example_env(&mut cmd, &models);
        check(&cmd.output().unwrap(), &format!("index {index}"));
    }
    let merge_job = std::fs::read_to_string(root().join("examples/kubernetes/merge.yaml")).unwrap();
    let merge_cmd = job_command(&merge_job);
    for k in 0..completions {
        assert!(
            merge_cmd.contains(&format!("/data/out/shard-{k} ")),
            "{merge_cmd}"
        );
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(local(&merge_cmd));
    example_env(&mut cmd, &models);
    check(&cmd.output().unwrap(), "merge job");
    let single = tmp.path().join("single");
    run(&input, &single, &["--no-generate", "--models", &models]);
    assert_eq!(
        read_results(&data.join("out/merged")).0,
        read_results(&single).0
    );
}

/// The Python of the venv `.ci/run` makes (`target/venv`), if it has pyspark and
/// `java` runs. In CI (`BRIEF_REQUIRE_SPARK=1`, set by `.ci/run`) its absence fails.
fn spark_python() -> Option<PathBuf> {
    let python = root().join("target/venv/bin/python");
    let why = if !python.exists() {
        Some(format!("{} not found", python.display()))
    } else if !Command::new(&python)
        .args(["-c", "import pyspark"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some("pyspark is not installed in target/venv".into())
    } else if !Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some("java is not on PATH".into())
    } else {
        None
    };
    match why {
        None => Some(python),
        Some(why) if std::env::var_os("BRIEF_REQUIRE_SPARK").is_some() => {
            panic!("BRIEF_REQUIRE_SPARK is set but Spark cannot run: {why}")
        }
        Some(why) => {
            eprintln!(
                "skipping the Spark test: {why} (`.ci/run` installs it: python3 -m venv target/venv \
                 && target/venv/bin/pip install pyspark==3.5.3; needs Java 17)"
            );
            None
        }
    }
}

/// Records keyed by id, without `source` (`-:LINE` of each partition's stream) and
/// the relations to other articles (each partition relates its own).
fn by_id(jsonl: &str) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let mut v = unrelated(line);
        let id = v["id"].as_str().unwrap().to_string();
        v.as_object_mut().unwrap().remove("source");
        assert!(out.insert(id.clone(), v).is_none(), "{id} twice");
    }
    out
}

#[test]
fn spark_example_pipes_partitions_through_brief_like_a_single_run() {
    let Some(python) = spark_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    // JSONL of the sample articles, each with an id.
    let opts = brief::ingest::IngestOptions::default();
    let found = brief::ingest::discover(&[root().join("corpus/articles")], &opts).unwrap();
    let mut feed = String::new();
    for unit in &found.units {
        for a in brief::ingest::read_unit(unit, &opts).into_iter().flatten() {
            let obj = serde_json::json!({"id": a.id, "title": a.title, "body": a.body});
            feed.push_str(&format!("{obj}\n"));
        }
    }
    let articles = tmp.path().join("articles.jsonl");
    std::fs::write(&articles, &feed).unwrap();
    let out = tmp.path().join("spark-out");
    let bin = env!("CARGO_BIN_EXE_brief");
    let o = Command::new(&python)
        .arg(root().join("examples/spark/brief_spark.py"))
        .args([
            s(&articles),
            s(&out),
            "--master",
            "local[2]",
            "--partitions",
            "3",
            "--brief",
            bin,
        ])
        .args(["--", "--no-generate", "--models", &models, "-j", "1"])
        .env("PYSPARK_PYTHON", &python)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    check(&o, "spark job");
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("part-")
        })
        .collect();
    parts.sort();
    assert!(parts.len() >= 3, "{parts:?}");
    let spark: String = parts
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let single = extractive_stdin(&models, &feed, &[]);
    expect_exit(&single, 0);
    let single = String::from_utf8(single.stdout).unwrap();
    let (a, b) = (by_id(&spark), by_id(&single));
    assert_eq!(a.len(), 11);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (id, record) in &a {
        assert_eq!(
            record, &b[id],
            "{id} differs between Spark and a single run"
        );
    }
}
