//! `brief report`: one self-contained HTML page from a run's `results.jsonl` and
//! `manifest.json`, for people who do not read JSON lines — a run overview, a
//! filterable article list, and an article view where clicking a claim highlights its
//! evidence in the cleaned text.
//!
//! The page needs no network: styles and script are inline and a Content Security
//! Policy forbids every fetch. Article text is hostile input: it goes into the page
//! only as auto-escaped template values or as escaped JSON in inert `<script
//! type="application/json">` blocks, which the script reads with `textContent` and
//! renders as text nodes. Records are read leniently (`serde_json::Value`), so
//! records of other brief versions, from interrupted runs or with fields added later
//! still make a page. Each article's detail is its own JSON block, parsed only when
//! the article is opened, so 10,000 articles load as a list, not 10,000 bodies.
//!
//! Parts: [`model`] turns records and the manifest into the page's data, [`offsets`]
//! converts byte offsets to the UTF-16 offsets the script slices with, [`html`]
//! renders the template and escapes embedded JSON.

pub mod html;
pub mod model;
pub mod offsets;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::results::LineReader;

/// Where the page goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutput {
    /// A file, written atomically (temporary file in the same folder, renamed).
    File(PathBuf),
    /// Standard output.
    Stdout,
}

/// What to report on and where to write it.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// A run's output folder (with `results.jsonl`, and `manifest.json` when the run
    /// wrote one) or a results file (its folder's `manifest.json` is used if present).
    pub input: PathBuf,
    /// Destination.
    pub output: ReportOutput,
}

/// What [`run`] did.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    /// Articles (records) on the page.
    pub articles: usize,
    /// Size of the page in bytes.
    pub bytes: usize,
    /// Problems with the input that did not stop the report (skipped lines, a
    /// manifest that does not parse), for the caller to show.
    pub warnings: Vec<String>,
}

/// Read the run at `opts.input` and write its page to `opts.output`.
pub fn run(opts: &ReportOptions) -> Result<ReportOutcome> {
    let (results, manifest_path) = locate(&opts.input)?;
    let mut warnings = Vec::new();
    let manifest = read_manifest(&manifest_path, &mut warnings);
    let mut page = model::Page::default();
    read_records(&results, &mut page, &mut warnings)?;
    page.stories = read_stories(&results.with_file_name(crate::relate::STORIES_FILE))?;
    let title = opts
        .input
        .canonicalize()
        .unwrap_or_else(|_| opts.input.clone())
        .display()
        .to_string();
    let html = html::render(&page, manifest.as_ref(), &title, &warnings)?;
    match &opts.output {
        ReportOutput::File(path) => crate::output::writer::write_atomic(path, html.as_bytes())?,
        ReportOutput::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(html.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Error::io("<stdout>", e))?;
        }
    }
    Ok(ReportOutcome {
        articles: page.len(),
        bytes: html.len(),
        warnings,
    })
}

/// The results file and where its manifest would be.
fn locate(input: &Path) -> Result<(PathBuf, PathBuf)> {
    if input.is_dir() {
        let results = input.join("results.jsonl");
        if !results.is_file() {
            return Err(Error::Input {
                path: input.to_path_buf(),
                message: "has no results.jsonl: pass a folder written by `brief run -o` or a \
                          results file"
                    .into(),
            });
        }
        return Ok((results, input.join("manifest.json")));
    }
    let folder = input
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((input.to_path_buf(), folder.join("manifest.json")))
}

/// Largest manifest read: a real one is a few kilobytes.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// The manifest as JSON, or `None` when there is none (standard-output runs write
/// none) or it cannot be used (a warning says why).
fn read_manifest(path: &Path, warnings: &mut Vec<String>) -> Option<serde_json::Value> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_MANIFEST_BYTES).read_to_end(&mut bytes) {
        warnings.push(format!(
            "{}: {e}; the overview uses the records only",
            path.display()
        ));
        return None;
    }
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.is_object() => Some(v),
        Ok(_) | Err(_) => {
            warnings.push(format!(
                "{}: not a brief manifest; the overview uses the records only",
                path.display()
            ));
            None
        }
    }
}

/// The stories beside the results, when there are (lines that are not JSON are
/// skipped: the table is a view, the records are the data).
fn read_stories(path: &Path) -> Result<Option<model::StoryTable>> {
    if !path.is_file() {
        return Ok(None);
    }
    let mut table = model::StoryTable::default();
    let mut lines = LineReader::open(path)?;
    while let Some(line) = lines.next_line()? {
        if let Ok(story) = serde_json::from_slice::<serde_json::Value>(line.bytes) {
            table.add(&story);
        }
    }
    Ok(Some(table))
}

/// Stream the records into `page`. A line that is not a JSON object is skipped with a
/// warning — the torn last line of an interrupted run, or damage in the middle — so a
/// partial run still gets its page.
fn read_records(path: &Path, page: &mut model::Page, warnings: &mut Vec<String>) -> Result<()> {
    let mut lines = LineReader::open(path)?;
    while let Some(line) = lines.next_line()? {
        if line.is_blank() {
            continue;
        }
        match serde_json::from_slice::<serde_json::Value>(line.bytes) {
            Ok(serde_json::Value::Object(record)) => page.add(record)?,
            _ if !line.complete => warnings.push(format!(
                "{}:{}: skipped an incomplete last line (an interrupted run?)",
                path.display(),
                line.number
            )),
            _ => warnings.push(format!(
                "{}:{}: skipped a line that is not a brief record",
                path.display(),
                line.number
            )),
        }
    }
    Ok(())
}
