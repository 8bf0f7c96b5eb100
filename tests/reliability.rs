//! Reliability cases of issue 16 through the real binary: file names that are not
//! UTF-8, the per-article sentence limit, special files, an output folder inside the
//! input, bounded `segment` and `eval`, and the smaller items (error texts, foreign
//! results files, one input reached by two spellings).

mod common;

use std::path::Path;

use brief::output::Status;
use common::*;

const STORY: &str =
    "The council approved a new bridge on Monday. It will cost £4m, officials said. \
Work starts in the spring and should take two years. Residents welcomed the plan.";

fn run_args<'a>(input: &'a str, out: &'a str, models: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        input,
        "-o",
        out,
        "--models",
        models,
        "--no-generate",
        "-j",
        "1",
        "-q",
    ]
}

fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_keep_their_identity() {
    use base64::Engine as _;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let names: [&[u8]; 4] = [b"caf\xe9.txt", b"caf\xe8.txt", b"x\xe9.txt", b"x\xe8.txt"];
    for (i, name) in names.iter().enumerate() {
        // Two articles, and two empty files (error records, ids from the path).
        let body = if i < 2 {
            format!("{STORY} Story {i}.")
        } else {
            String::new()
        };
        std::fs::write(input.join(OsStr::from_bytes(name)), body).unwrap();
    }
    let out = tmp.path().join("out");
    let o = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&o, 1);
    let (jsonl, recs) = read_results(&out);
    validate_schema(&jsonl);
    assert_eq!(recs.len(), 4, "{jsonl}");
    let ids: std::collections::HashSet<&str> = recs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "distinct ids");
    let mut raw: Vec<Vec<u8>> = recs
        .iter()
        .map(|r| {
            assert!(r.source.contains('\u{fffd}'), "lossy text for display");
            let b64 = r.source_bytes.as_deref().expect("source_bytes");
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        })
        .collect();
    raw.sort();
    let mut want: Vec<Vec<u8>> = names
        .iter()
        .map(|n| [input.as_os_str().as_bytes(), b"/", n].concat())
        .collect();
    want.sort();
    assert_eq!(raw, want);
    assert_eq!(
        recs.iter().filter(|r| r.status == Status::Ok).count(),
        2,
        "{jsonl}"
    );
    // A rerun skips all four.
    let o = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&o, 1);
    let m = read_manifest(&out);
    assert_eq!((m.counts.skipped, m.counts.done), (4, 0), "{:?}", m.counts);
    assert_eq!(read_results(&out).0, jsonl);
}

#[test]
fn articles_over_the_sentence_limit_are_too_large_records() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let long: String = (0..50)
        .map(|i| format!("Sentence number {i} reports a fact. "))
        .collect();
    std::fs::write(input.join("long.txt"), long).unwrap();
    std::fs::write(input.join("short.txt"), STORY).unwrap();
    let out = tmp.path().join("out");
    let mut args = run_args(s(&input), s(&out), &models);
    args.extend(["--max-sentences", "10"]);
    let o = brief(&args, None);
    expect_exit(&o, 1);
    let (_, recs) = read_results(&out);
    let long = recs
        .iter()
        .find(|r| r.source.ends_with("long.txt"))
        .unwrap();
    let e = long.error.as_ref().expect("an error record");
    assert_eq!(e.kind.as_str(), "too_large");
    assert!(
        e.message.contains("50 sentences") && e.message.contains("--max-sentences"),
        "{}",
        e.message
    );
    let short = recs
        .iter()
        .find(|r| r.source.ends_with("short.txt"))
        .unwrap();
    assert_eq!(short.status, Status::Ok);
    // Raising the limit redoes the too_large record (the limit is in the config hash
    // when it is not the default) and keeps nothing stale.
    let args = run_args(s(&input), s(&out), &models);
    let o = brief(&args, None);
    expect_exit(&o, 0);
    let (_, recs) = read_results(&out);
    assert!(recs.iter().all(|r| r.status == Status::Ok));
    assert_eq!(recs.len(), 2);
    // The encoder-token limit: the same long article is refused before encoding.
    let mut args = run_args(s(&input), s(&out), &models);
    args.extend(["--max-article-tokens", "100"]);
    let o = brief(&args, None);
    expect_exit(&o, 1);
    let (_, recs) = read_results(&out);
    let e = recs
        .iter()
        .find(|r| r.source.ends_with("long.txt"))
        .and_then(|r| r.error.as_ref())
        .expect("an error record");
    assert_eq!(e.kind.as_str(), "too_large");
    assert!(e.message.contains("--max-article-tokens"), "{}", e.message);
}

/// The first SIGTERM ends a run within a couple of seconds even while one huge article
/// is being encoded: the article is abandoned (no record), the manifest says
/// `interrupted`, and the next run does it.
#[cfg(unix)]
#[test]
fn a_stop_signal_abandons_the_article_in_progress() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // 15,000 long sentences: encoding them takes the tiny test encoder about 6 s on
    // a quiet machine (cleaning and segmenting 0.3 s, claims 1 s), so the signal lands
    // in the encoder.
    let huge: String = (0..15_000)
        .map(|i| {
            format!(
                "Report {i} says that the council of the town met on day {} again and \
                 agreed, after a long and heated debate about roads, schools, parks, the \
                 budget, the harbour, the new library and the old bridge across the \
                 river, to meet again next week. ",
                i % 28
            )
        })
        .collect();
    std::fs::write(input.join("huge.txt"), huge).unwrap();
    let out = tmp.path().join("out");
    let mut args = run_args(s(&input), s(&out), &models);
    args.retain(|a| *a != "-q");
    args.extend([
        "--max-sentences",
        "1000000",
        "--max-article-tokens",
        "1000000000",
    ]);
    let mut child = spawn_brief(&args);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the article was done before the signal: make it bigger"
    );
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let signalled = Instant::now();
    let deadline = signalled + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = signalled.elapsed();
    let o = child.wait_with_output().unwrap();
    expect_exit(&o, 143);
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    assert!(stderr(&o).contains("abandoned"), "{}", stderr(&o));
    let m = read_manifest(&out);
    assert!(m.interrupted);
    assert_eq!(m.counts.articles, 0, "{:?}", m.counts);
    assert_eq!(
        read_results(&out).1.len(),
        0,
        "no record of the abandoned article"
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_skipped_in_folders_and_refused_when_named() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("a.txt"), STORY).unwrap();
    let fifo = input.join("pipe.txt");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let _socket = std::os::unix::net::UnixListener::bind(input.join("sock.txt")).unwrap();
    let out = tmp.path().join("out");
    let o = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&o, 0);
    let m = read_manifest(&out);
    assert_eq!(m.counts.articles, 1);
    assert_eq!(m.counts.skipped_special.get("fifo"), Some(&1));
    assert_eq!(m.counts.skipped_special.get("socket"), Some(&1));
    // Named explicitly: refused at once, nothing opened.
    let o = brief(&run_args(s(&fifo), "-", &models), None);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("named pipe (FIFO)"), "{}", stderr(&o));
    let o = brief(&run_args("/dev/zero", "-", &models), None);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("is a device"), "{}", stderr(&o));
}

#[test]
fn stdin_lines_obey_the_size_limit_while_read() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    // 8 MB without a newline, then a good line: the first is skipped unread.
    let mut input = vec![b'x'; 8 << 20];
    input.extend_from_slice(format!("\n{{\"body\": \"{STORY}\"}}\n").as_bytes());
    let mut args = run_args("-", "-", &models);
    args.extend(["--max-article-bytes", "10000"]);
    let o = brief(&args, Some(&input));
    expect_exit(&o, 1);
    let recs = records(&String::from_utf8(o.stdout).unwrap());
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].error.as_ref().unwrap().kind.as_str(), "too_large");
    assert_eq!(recs[0].source, "-:1");
    assert_eq!(recs[1].status, Status::Ok);
}

#[test]
fn an_output_folder_inside_the_input_is_not_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for i in 0..3 {
        std::fs::write(input.join(format!("{i}.txt")), format!("{STORY} Part {i}.")).unwrap();
    }
    // Another run's output in the input folder: skipped too.
    let other = input.join("old-run");
    let o = brief(&run_args(s(&input), s(&other), &models), None);
    expect_exit(&o, 0);
    let out = input.join("out");
    for _ in 0..3 {
        let o = brief(&run_args(s(&input), s(&out), &models), None);
        expect_exit(&o, 0);
        assert_eq!(read_results(&out).1.len(), 3);
        assert_eq!(read_manifest(&out).counts.articles, 3);
    }
    assert_eq!(read_manifest(&out).counts.skipped_output_folders, 2);
}

#[test]
fn segment_is_bounded_and_sees_what_the_pipeline_sees() {
    let tmp = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        let o = brief(&["segment", "/dev/zero"], None);
        expect_exit(&o, 2);
        assert!(stderr(&o).contains("is a device"), "{}", stderr(&o));
    }
    let big = tmp.path().join("big.txt");
    std::fs::write(&big, "word ".repeat(10_000)).unwrap();
    let o = brief(&["segment", s(&big), "--max-article-bytes", "1000"], None);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("too_large"), "{}", stderr(&o));
    let o = brief(
        &["segment", "--max-article-bytes", "1000"],
        Some(&[b'x'; 5000]),
    );
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("too_large"), "{}", stderr(&o));
    let html = tmp.path().join("page.html");
    std::fs::write(
        &html,
        format!("<html><head><title>Bridge</title></head><body><nav>Home | News</nav><article><p>{STORY}</p></article></body></html>"),
    )
    .unwrap();
    let o = brief(&["segment", s(&html)], None);
    expect_exit(&o, 0);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("The council approved"), "{text}");
    assert!(
        !text.contains('<') && !text.contains("Home | News"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "{text}");
}

#[test]
fn eval_reports_duplicates_and_bad_references_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("a.txt"), STORY).unwrap();
    let o = brief(&run_args(s(&input), "-", &models), None);
    expect_exit(&o, 0);
    let line = String::from_utf8(o.stdout).unwrap();
    let id = records(&line)[0].id.clone();
    let results = tmp.path().join("results.jsonl");
    std::fs::write(&results, format!("{line}{line}")).unwrap();
    let refs = tmp.path().join("refs.jsonl");
    std::fs::write(
        &refs,
        format!(
            "{{\"id\": \"{id}\", \"reference\": \"A bridge.\"}}\n{{\"id\": \"{id}\", \"reference\": \"A new bridge.\"}}\n"
        ),
    )
    .unwrap();
    let o = brief(&["eval", s(&results), "--refs", s(&refs)], None);
    expect_exit(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("refs.jsonl: 1 id(s) appear more than once"),
        "{err}"
    );
    assert!(err.contains("1 record(s) repeat"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 duplicate record"));
    std::fs::write(&refs, "{\"reference\": \"x\"}\n").unwrap();
    let o = brief(&["eval", s(&results), "--refs", s(&refs)], None);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("references:") && err.contains("no `id` field"),
        "{err}"
    );
    assert!(!err.contains("invalid configuration"), "{err}");
}

#[test]
fn smaller_items_errors_foreign_results_and_duplicate_spellings() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("a.txt"), STORY).unwrap();
    std::fs::write(input.join("b.txt"), format!("{STORY} More.")).unwrap();

    // An io error says the OS text once.
    let missing = tmp.path().join("no-such-folder");
    let o = brief(&run_args(s(&missing), "-", &models), None);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    // -o naming a regular file.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = brief(&run_args(s(&input), s(&file), &models), None);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("is not a folder"), "{}", stderr(&o));

    // A results.jsonl brief did not write is refused and left alone, unless --force.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let foreign = "id,name\n1,precious data\n";
    std::fs::write(out.join("results.jsonl"), foreign).unwrap();
    let o = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("not a results file written by brief"));
    assert_eq!(
        std::fs::read_to_string(out.join("results.jsonl")).unwrap(),
        foreign
    );
    let mut args = run_args(s(&input), s(&out), &models);
    args.push("--force");
    expect_exit(&brief(&args, None), 0);
    assert_eq!(read_results(&out).1.len(), 2);

    // A complete last line that is not a record is not called incomplete.
    let mut text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    text.push_str("not a record\n");
    std::fs::write(out.join("results.jsonl"), &text).unwrap();
    let mut args = run_args(s(&input), s(&out), &models);
    args.retain(|a| *a != "-q");
    let o = brief(&args, None);
    expect_exit(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("a last line that is not a brief record"),
        "{err}"
    );
    assert!(!err.contains("incomplete"), "{err}");

    // One folder under two spellings: each file once, under the first spelling.
    let again = format!("{}/../in/", s(&input));
    let mut args = run_args(s(&input), "-", &models);
    args.insert(2, &again);
    let o = brief(&args, None);
    expect_exit(&o, 0);
    let recs = records(&String::from_utf8(o.stdout).unwrap());
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| !r.source.contains("..")));
}

/// Two runs on one output folder: the second is refused at once (exit 2, naming the
/// first run's pid) instead of appending to or rewriting the same results file; the
/// folder is free again when the first run ends.
#[test]
fn a_second_run_on_the_same_output_folder_is_refused() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("a.txt"), STORY).unwrap();
    let out = tmp.path().join("out");
    // The first run reads standard input, which the test holds open: it keeps the
    // folder as long as the test wants.
    let mut first = Command::new(env!("CARGO_BIN_EXE_brief"))
        .args([
            "run",
            "-",
            "-o",
            s(&out),
            "--models",
            &models,
            "--no-generate",
            "-q",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let holder = format!("pid {}", first.id());
    let lock = out.join(".brief.lock");
    let t = std::time::Instant::now();
    while std::fs::read_to_string(&lock).ok().as_deref() != Some(holder.as_str()) {
        assert!(
            t.elapsed().as_secs() < 60,
            "the first run never took the folder"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&second, 2);
    assert!(stderr(&second).contains(&holder), "{}", stderr(&second));
    assert!(
        !out.join("results.jsonl").exists()
            || std::fs::read(out.join("results.jsonl")).unwrap().is_empty()
    );
    // One article on stdin, then end of input: the first run finishes normally.
    let mut stdin = first.stdin.take().unwrap();
    writeln!(stdin, "{}", serde_json::json!({"id": "s1", "body": STORY})).unwrap();
    drop(stdin);
    let o = first.wait_with_output().unwrap();
    expect_exit(&o, 0);
    assert_eq!(read_results(&out).1.len(), 1);
    // The folder is free again.
    let third = brief(&run_args(s(&input), s(&out), &models), None);
    expect_exit(&third, 0);
    assert_eq!(read_results(&out).1.len(), 1);
}

/// Standard input is processed as it arrives, not collected first: records of the first
/// lines come out while the writer still holds the pipe open.
#[test]
fn stdin_is_processed_as_it_arrives() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(&tmp.path().join("models"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(run_args("-", "-", &models))
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // More than one group (16 articles), so the first group is complete and goes.
    for i in 0..40 {
        let line =
            serde_json::json!({"id": format!("a{i}"), "body": format!("{STORY} Story {i}.")});
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    // Blocks until a record is written; stdin is still open, so a run that waited for
    // the end of its input would never write one: a watchdog kills it after 60 s and
    // the empty read fails the test.
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watched = done.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        if !watched.load(std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: kill(2) on our own child's pid; no memory is involved.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    out.read_line(&mut first).unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(!first.is_empty(), "no record before the end of input");
    let r: brief::output::Record = serde_json::from_str(&first).unwrap();
    assert_eq!(r.id, "a0");
    drop(stdin);
    let rest = out.lines().count();
    assert_eq!(rest, 39);
    assert!(child.wait().unwrap().success());
}
