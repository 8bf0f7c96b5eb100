//! Near-duplicates and stories through the real binary (tiny in-process models):
//! edited copies point at their original, an unrelated story on the same topic does
//! not, `--duplicates skip` skips generation and says so, `stories.jsonl` agrees with
//! the records, and resuming keeps all of it as a clean run has it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use brief::output::{Record, Status};
use brief::relate::edits::Edit;
use brief::relate::stories::Story;
use common::*;

/// `in/`: the original BBC story first, its edited copies and an exact copy after it,
/// and another business story (same topic, another event) last.
fn corpus(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let bbc = root().join("corpus/articles/bbc/business");
    let original = std::fs::read_to_string(bbc.join("001.txt")).unwrap();
    std::fs::write(input.join("a-original.txt"), &original).unwrap();
    for (i, edit) in Edit::ALL.iter().enumerate() {
        std::fs::write(
            input.join(format!("b{i}-edited.txt")),
            edit.apply(&original),
        )
        .unwrap();
    }
    std::fs::write(input.join("c-copy.txt"), &original).unwrap();
    std::fs::copy(bbc.join("002.txt"), input.join("d-unrelated.txt")).unwrap();
    input
}

fn run(input: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    expect_exit(&brief(&args, None), 0);
}

fn by_file(recs: &[Record]) -> BTreeMap<String, &Record> {
    recs.iter()
        .map(|r| {
            let name = Path::new(&r.source).file_name().unwrap();
            (name.to_string_lossy().into_owned(), r)
        })
        .collect()
}

fn read_stories(out: &Path) -> Vec<Story> {
    std::fs::read_to_string(out.join("stories.jsonl"))
        .expect("stories.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a story"))
        .collect()
}

/// Every ok record is in exactly the story it names, and every story member is a
/// record; sizes are member counts. (Exact copies of a file share its id, a hash of
/// the content, so an id may be a member twice, of one story.)
fn check_stories(recs: &[Record], stories: &[Story]) {
    let mut story_of = BTreeMap::new();
    let mut members = 0;
    for s in stories {
        assert_eq!(s.size, s.members.len());
        members += s.size;
        for m in &s.members {
            let before = story_of.insert(m.clone(), s.id.clone());
            assert!(before.is_none_or(|b| b == s.id), "{m} in two stories");
        }
    }
    let ok: Vec<&Record> = recs.iter().filter(|r| r.status == Status::Ok).collect();
    for r in &ok {
        assert_eq!(story_of.get(&r.id), r.story.as_ref(), "{}", r.source);
    }
    assert_eq!(members, ok.len());
}

#[test]
fn edited_copies_are_duplicates_of_the_original_and_others_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    let out = tmp.path().join("out");
    run(&input, &out, &["--no-generate", "--models", &models]);
    let (jsonl, recs) = read_results(&out);
    validate_schema(&jsonl);
    let files = by_file(&recs);
    let original = files["a-original.txt"];
    assert_eq!(original.duplicate_of, None);
    assert!(original.fingerprint.as_ref().unwrap().lead.is_some());
    for (i, edit) in Edit::ALL.iter().enumerate() {
        let r = files[&format!("b{i}-edited.txt")];
        assert_eq!(
            r.duplicate_of.as_ref(),
            Some(&original.id),
            "{}",
            edit.name()
        );
        let s = r.similarity.unwrap();
        assert!((0.5..=1.0).contains(&s), "{}: {s}", edit.name());
        // Processed all the same (--duplicates mark).
        assert!(r.summary.is_some() && r.skipped.is_none());
        assert_eq!(
            r.story, original.story,
            "a duplicate is in its original's story"
        );
    }
    let copy = files["c-copy.txt"];
    assert_eq!(copy.duplicate_of.as_ref(), Some(&original.id));
    assert_eq!(copy.similarity, Some(1.0));
    let unrelated = files["d-unrelated.txt"];
    assert_eq!(unrelated.duplicate_of, None);
    assert_eq!(unrelated.similarity, None);
    let stories = read_stories(&out);
    check_stories(&recs, &stories);
    let first = stories
        .iter()
        .find(|s| Some(&s.id) == original.story.as_ref())
        .unwrap();
    assert!(first.members.len() >= 7, "{first:?}");
    assert_eq!(first.members[0], original.id);
    assert!(first.label.is_some());

    // Standard output streams the same records.
    let o = brief(
        &[
            "run",
            "--no-generate",
            "--models",
            &models,
            "-q",
            input.to_str().unwrap(),
            "-o",
            "-",
        ],
        None,
    );
    expect_exit(&o, 0);
    assert!(String::from_utf8(o.stdout).unwrap() == jsonl);
}

#[test]
fn skip_mode_does_not_generate_for_duplicates_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let generator = tiny_generator(tmp.path());
    let input = corpus(tmp.path());
    let out = tmp.path().join("out");
    let opts = [
        "--models",
        &models,
        "--generator",
        &generator,
        "--max-new-tokens",
        "8",
    ];
    run(
        &input,
        &out,
        &[&opts[..], &["--duplicates", "skip"]].concat(),
    );
    let (jsonl, recs) = read_results(&out);
    validate_schema(&jsonl);
    let files = by_file(&recs);
    let original = files["a-original.txt"];
    assert!(original.stats.as_ref().unwrap().generated_tokens.unwrap() > 0);
    assert!(original.skipped.is_none() && original.summary.is_some());
    let duplicates: Vec<&&Record> = files
        .iter()
        .filter(|(f, _)| f.starts_with('b') || f.starts_with('c'))
        .map(|(_, r)| r)
        .collect();
    assert_eq!(duplicates.len(), 6);
    for r in duplicates {
        assert_eq!(r.skipped.as_deref(), Some("duplicate"), "{}", r.source);
        assert_eq!(r.duplicate_of.as_ref(), Some(&original.id));
        assert!(r.summary.is_none() && r.claims.is_empty() && r.model.is_none());
        assert!(r.stats.as_ref().unwrap().generated_tokens.is_none());
        assert!(!r.sentences.is_empty(), "still cleaned and segmented");
        assert_eq!(r.story, original.story);
    }
    let unrelated = files["d-unrelated.txt"];
    assert!(unrelated.skipped.is_none() && unrelated.summary.is_some());
    check_stories(&recs, &read_stories(&out));

    // The same corpus marked: the canonical records are the same, the duplicates
    // processed in full.
    let marked = tmp.path().join("marked");
    run(&input, &marked, &opts);
    let (_, marked_recs) = read_results(&marked);
    let marked_files = by_file(&marked_recs);
    assert!(marked_files["b0-edited.txt"].summary.is_some());
    assert_eq!(
        marked_files["d-unrelated.txt"].summary, unrelated.summary,
        "an article that is not a duplicate is processed alike"
    );
}

#[test]
fn resumed_runs_relate_new_articles_to_kept_ones_like_a_clean_run() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tiny_models(tmp.path());
    let input = corpus(tmp.path());
    for mode in ["mark", "skip"] {
        let opts = ["--no-generate", "--models", &models, "--duplicates", mode];
        let out = tmp.path().join(format!("out-{mode}"));
        // First only some of the articles: the original is added later, before the
        // copies already done (so they become its duplicates), and one copy after.
        let partial = tmp.path().join(format!("partial-{mode}"));
        std::fs::create_dir_all(&partial).unwrap();
        for f in ["b1-edited.txt", "b3-edited.txt", "d-unrelated.txt"] {
            std::fs::copy(input.join(f), partial.join(f)).unwrap();
        }
        run(&partial, &out, &opts);
        for f in ["a-original.txt", "b0-edited.txt", "c-copy.txt"] {
            std::fs::copy(input.join(f), partial.join(f)).unwrap();
        }
        run(&partial, &out, &opts);
        let m = read_manifest(&out);
        assert_eq!((m.counts.done, m.counts.skipped), (3, 3), "{mode}");
        let clean = tmp.path().join(format!("clean-{mode}"));
        run(&partial, &clean, &opts);
        let (resumed, recs) = read_results(&out);
        assert!(
            resumed == read_results(&clean).0,
            "{mode}: resumed differs from clean"
        );
        let files = by_file(&recs);
        let original = &files["a-original.txt"].id;
        assert_eq!(files["b1-edited.txt"].duplicate_of.as_ref(), Some(original));
        assert_eq!(
            std::fs::read(out.join("stories.jsonl")).unwrap(),
            std::fs::read(clean.join("stories.jsonl")).unwrap()
        );
    }
}
