//! Resuming runs with the real binary: kill it with SIGKILL at several points and
//! start it again, stop it with SIGTERM/SIGINT, change an article or an option, repair
//! a torn line, `--force`. The final `results.jsonl` is always compared byte for byte
//! with a clean uninterrupted run (default output carries no timings, so it is
//! deterministic).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// Articles in the corpus: enough that a run with two threads takes a few seconds in a
/// debug build, so kills land part-way.
const ARTICLES: usize = 400;

/// A corpus of `n` distinct articles (BBC stories with a distinct opening sentence),
/// plus one empty file (a kept error record) in a subfolder.
fn corpus(dir: &Path, n: usize) {
    let stories: Vec<String> = std::fs::read_dir(root().join("corpus/articles/bbc"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    std::fs::create_dir_all(dir.join("z")).unwrap();
    for i in 0..n {
        let story = &stories[i % stories.len()];
        let (headline, body) = story.split_once('\n').unwrap();
        std::fs::write(
            dir.join(format!("a{i:04}.txt")),
            format!(
                "{headline}\n\nReport number {i} was filed on day {} of the month.\n{body}",
                i % 28 + 1
            ),
        )
        .unwrap();
    }
    std::fs::write(dir.join("z/empty.txt"), "").unwrap();
}

struct Setup {
    _tmp: tempfile::TempDir,
    input: PathBuf,
    models: String,
    base: PathBuf,
}

fn setup(n: usize) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    corpus(&input, n);
    let models = tiny_models(tmp.path());
    Setup {
        input,
        models,
        base: tmp.path().to_path_buf(),
        _tmp: tmp,
    }
}

impl Setup {
    fn out(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    fn args<'a>(&'a self, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![
            "run",
            self.input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--models",
            &self.models,
            "--no-generate",
            "-j",
            "2",
        ];
        a.extend_from_slice(extra);
        a
    }

    /// Run to completion; returns the process output.
    fn run(&self, out: &Path, extra: &[&str]) -> std::process::Output {
        let o = brief(&self.args(out, extra), None);
        expect_exit(&o, 1); // the empty file is an error record
        o
    }
}

fn results(out: &Path) -> Vec<u8> {
    std::fs::read(out.join("results.jsonl")).unwrap()
}

fn line_count(out: &Path) -> usize {
    std::fs::read(out.join("results.jsonl"))
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// Wait until `out/results.jsonl` holds at least `lines` lines (or the child exits).
fn wait_for_lines(child: &mut std::process::Child, out: &Path, lines: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if line_count(out) >= lines {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no progress in 120 s");
}

/// Every line parses and the file ends with a newline (or is empty).
fn assert_whole_lines(bytes: &[u8]) {
    assert!(bytes.is_empty() || bytes.ends_with(b"\n"));
    let text = std::str::from_utf8(bytes).unwrap();
    validate_schema(text);
}

fn send(child: &std::process::Child, signal: i32) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

#[test]
fn killed_runs_resume_to_the_same_result_as_a_clean_run() {
    let s = setup(ARTICLES);
    let total = ARTICLES + 1;
    let clean = s.out("clean");
    let t = Instant::now();
    s.run(&clean, &["-q"]);
    let clean_secs = t.elapsed().as_secs_f64();
    let reference = results(&clean);
    assert_eq!(reference.iter().filter(|&&c| c == b'\n').count(), total);

    let out = s.out("resumed");
    let mut killed_at = Vec::new();
    // Kill points: before any line, then after about a third and two thirds of the
    // lines. A kill can land mid-write, leaving a torn line the next start repairs.
    for target in [0, total / 3, 2 * total / 3] {
        let mut child = spawn_brief(&s.args(&out, &["-q"]));
        if target == 0 {
            std::thread::sleep(Duration::from_millis(20));
        } else {
            assert!(
                wait_for_lines(&mut child, &out, target),
                "the run finished before the kill point ({target} lines; a clean run takes {clean_secs:.1} s): make the corpus bigger"
            );
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed_at.push(line_count(&out));
    }
    println!("clean run {clean_secs:.1} s; killed at {killed_at:?} of {total} lines");
    assert!(
        killed_at[2] > killed_at[1] && killed_at[2] < total,
        "kill points {killed_at:?} of {total}"
    );
    let o = s.run(&out, &[]);
    let m = read_manifest(&out);
    assert!(!m.interrupted);
    assert_eq!(m.counts.articles, total);
    assert_eq!(m.counts.skipped + m.counts.done, total);
    assert!(
        m.counts.skipped >= killed_at[2],
        "{:?} {killed_at:?}",
        m.counts
    );
    assert_eq!((m.counts.ok, m.counts.failed), (ARTICLES, 1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("already done"), "{stderr}");
    assert!(
        results(&out) == reference,
        "resumed results differ from a clean run (kills at {killed_at:?} lines)"
    );
}

#[test]
fn second_run_skips_everything_and_changes_are_redone() {
    let s = setup(24);
    let out = s.out("out");
    s.run(&out, &["-q"]);
    let first = results(&out);
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (25, 0));
    assert_eq!(m.config_hash.len(), 64);
    let recs = records(std::str::from_utf8(&first).unwrap());
    assert!(recs
        .iter()
        .all(|r| r.config_hash.as_deref() == Some(m.config_hash.as_str())));

    // Nothing changed: everything skipped, the file untouched.
    s.run(&out, &["-q"]);
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (0, 25));
    assert_eq!(
        (m.counts.ok, m.counts.failed),
        (24, 1),
        "kept records are counted"
    );
    assert_eq!(m.counts.failed_by_kind["empty"], 1);
    assert_eq!(results(&out), first);

    // One article changed (in the middle): only it is redone, and the file is what a
    // clean run over the changed corpus gives (same order, no duplicate).
    let changed = s.input.join("a0007.txt");
    let text = std::fs::read_to_string(&changed).unwrap();
    std::fs::write(
        &changed,
        text.replace("Report number 7", "Report number seven"),
    )
    .unwrap();
    s.run(&out, &["-q"]);
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (1, 24));
    assert_eq!(m.counts.stale.changed, 1);
    let clean = s.out("clean-changed");
    s.run(&clean, &["-q"]);
    assert!(results(&out) == results(&clean));
    let recs = records(std::str::from_utf8(&results(&out)).unwrap());
    let mut sources: Vec<&str> = recs.iter().map(|r| r.source.as_str()).collect();
    sources.dedup();
    assert_eq!(sources.len(), 25, "one record per article");

    // A changed option: everything redone, nothing left from before.
    s.run(&out, &["-q", "--summary-sentences", "2"]);
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (25, 0));
    assert_eq!(m.counts.stale.config, 25);
    let clean2 = s.out("clean-2");
    s.run(&clean2, &["-q", "--summary-sentences", "2"]);
    assert!(results(&out) == results(&clean2));
    assert!(results(&out) != results(&clean));

    // A removed article's record goes; an added one is done.
    std::fs::remove_file(s.input.join("a0003.txt")).unwrap();
    std::fs::write(
        s.input.join("new.txt"),
        "A new story arrived today. It has two sentences.",
    )
    .unwrap();
    s.run(&out, &["-q", "--summary-sentences", "2"]);
    let m = read_manifest(&out);
    assert_eq!(
        (m.counts.done, m.counts.skipped, m.counts.stale.gone),
        (1, 24, 1)
    );
    let clean3 = s.out("clean-3");
    s.run(&clean3, &["-q", "--summary-sentences", "2"]);
    assert!(results(&out) == results(&clean3));
}

#[test]
fn torn_line_is_repaired_and_force_redoes_everything() {
    let s = setup(12);
    let out = s.out("out");
    s.run(&out, &["-q"]);
    let reference = results(&out);
    // What a crash in the middle of a write leaves: the last line cut short.
    let torn = &reference[..reference.len() - 40];
    std::fs::write(out.join("results.jsonl"), torn).unwrap();
    let o = s.run(&out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("incomplete last line"), "{stderr}");
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (1, 12));
    assert_eq!(m.warnings.len(), 1);
    assert!(results(&out) == reference);

    // --force: everything again, into a fresh file.
    s.run(&out, &["-q", "--force"]);
    let m = read_manifest(&out);
    assert_eq!((m.counts.done, m.counts.skipped), (13, 0));
    assert!(results(&out) == reference);
    // Nothing but the two files (and the run lock) is left behind.
    let names = file_names(&out);
    assert_eq!(
        names,
        [
            ".brief.lock",
            "manifest.json",
            "results.jsonl",
            "stories.jsonl"
        ]
    );
}

#[test]
fn sigterm_and_sigint_stop_cleanly_with_a_valid_file() {
    let s = setup(ARTICLES);
    let out = s.out("out");
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = spawn_brief(&s.args(&out, &[]));
        let before = line_count(&out);
        assert!(
            wait_for_lines(&mut child, &out, before + 20),
            "finished before the signal"
        );
        send(&child, signal);
        let o = child.wait_with_output().unwrap();
        expect_exit(&o, code);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("stopping"), "{stderr}");
        let bytes = results(&out);
        assert_whole_lines(&bytes);
        let m = read_manifest(&out);
        assert!(m.interrupted);
        let lines = bytes.iter().filter(|&&c| c == b'\n').count();
        assert_eq!(m.counts.articles, lines, "{:?}", m.counts);
        assert!(lines < ARTICLES + 1);
    }
    // The next run finishes the job; the result is a clean run's.
    s.run(&out, &["-q"]);
    assert!(!read_manifest(&out).interrupted);
    let clean = s.out("clean");
    s.run(&clean, &["-q"]);
    assert!(results(&out) == results(&clean));
}
