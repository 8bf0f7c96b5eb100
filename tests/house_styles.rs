//! Articles in house styles other than the BBC's (wire copy with bylines and
//! timestamps first, a magazine piece with captions, "Read more" and share lines, a
//! local news page with navigation and asides) come out with only the story in the
//! body and the furniture in `removed` or the metadata.

mod common;

use brief::output::{Record, Status};
use common::*;

fn run(file: &str) -> Record {
    let tmp = tempfile::tempdir().unwrap();
    brief::model::testing::write_tiny_bert(&tmp.path().join("all-MiniLM-L6-v2")).expect("tiny");
    let models = tmp.path();
    let path = root().join("tests/fixtures/house-styles").join(file);
    let o = brief(
        &[
            "run",
            path.to_str().unwrap(),
            "-o",
            "-",
            "-q",
            "--no-generate",
            "--models",
            models.to_str().unwrap(),
        ],
        None,
    );
    expect_exit(&o, 0);
    let jsonl = String::from_utf8(o.stdout).unwrap();
    validate_schema(&jsonl);
    let r = records(&jsonl).pop().unwrap();
    assert_eq!(r.status, Status::Ok);
    r
}

fn removed(r: &Record, kind: &str) -> Vec<String> {
    r.removed
        .iter()
        .filter(|x| serde_json::to_value(x.kind).unwrap() == kind)
        .map(|x| x.text.clone())
        .collect()
}

fn assert_absent(text: &str, furniture: &[&str]) {
    for f in furniture {
        assert!(!text.contains(f), "{f:?} left in the body:\n{text}");
    }
}

#[test]
fn wire_copy() {
    let r = run("wire.txt");
    let text = r.text.as_deref().unwrap();
    assert_eq!(
        r.title.as_deref(),
        Some("Port workers strike shuts Rotterdam container terminals")
    );
    assert!(
        text.starts_with("Dock workers at Europe's largest port"),
        "{text}"
    );
    assert_absent(
        text,
        &[
            "MAARTEN",
            "Published",
            "Updated",
            "(AP)",
            "Copyright",
            "All rights reserved",
        ],
    );
    assert!(r.byline.as_deref().unwrap().contains("MAARTEN DE VRIES"));
    assert_eq!(removed(&r, "timestamp").len(), 2);
    assert_eq!(removed(&r, "dateline").len(), 1);
    assert_eq!(removed(&r, "notice").len(), 1);
    // The story itself is intact: 5 sentences, quotes and numbers included.
    assert_eq!(r.sentences.len(), 5);
    assert!(text.contains("about 2,300 members"));
}

#[test]
fn magazine_piece_with_captions_and_promos() {
    let r = run("magazine.md");
    let text = r.text.as_deref().unwrap();
    assert_eq!(
        r.title.as_deref(),
        Some("The quiet return of the night train")
    );
    assert_absent(
        text,
        &[
            "Photograph:",
            "Getty",
            "Read more",
            "Share",
            "Sign up",
            "correspondent based",
        ],
    );
    assert_eq!(removed(&r, "caption").len(), 1);
    assert!(removed(&r, "share").len() >= 3);
    assert_eq!(removed(&r, "bio").len(), 1);
    assert!(text.contains("1.4 million passengers"));
    assert!(text.contains("track access charges"));
}

#[test]
fn local_news_page() {
    let r = run("local.html");
    let text = r.text.as_deref().unwrap();
    assert_eq!(r.title.as_deref(), Some("Council approves new footbridge"));
    assert_eq!(
        r.byline.as_deref(),
        Some("By Tom Reed, Local Democracy Reporter")
    );
    assert_absent(
        text,
        &[
            "Home",
            "Most read",
            "pigeons",
            "artist's impression",
            "Read more",
            "Follow us",
            "window.ads",
            "color:red",
            "5:30pm",
        ],
    );
    assert!(text.starts_with("Riverside Council has approved plans"));
    assert!(text.contains("voted 31 to 9"));
    assert!(text.ends_with("better spent on bus services."));
}
