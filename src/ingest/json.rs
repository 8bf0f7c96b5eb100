//! JSON (`.json`: one article object or an array of them) and JSONL (`.jsonl`, stdin: one
//! object per line). Field names follow [`super::record`].
//!
//! JSONL is streamed: memory is bounded by the longest line, which is itself bounded by
//! `max_article_bytes`; one bad line is one failure and the other lines are still read.

use std::fmt;
use std::io::{self, BufRead, Cursor, Read};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::decode::{binary_signature, decode, utf8_error};
use super::record::{self, describe};
use super::{Article, Failure, IngestOptions};
use crate::cancel::Cancel;
use crate::error::{ArticleError, ErrorKind};

/// Read a `.json` document (already decoded). An object is one article (source `path`);
/// an array is one article per element (source `path#INDEX`, 0-based). Anything else is
/// one `parse` failure; a non-object array element fails the whole document at once, so a
/// huge array of numbers is rejected at its first element.
pub fn read_json(text: &str, source: &str) -> Vec<Result<Article, Failure>> {
    let doc = match serde_json::from_str::<Doc>(text) {
        Ok(doc) => doc,
        Err(e) => {
            return vec![Err(Failure::new(
                source,
                ErrorKind::Parse,
                format!("not a JSON article: {e}"),
            ))]
        }
    };
    match doc {
        Doc::One(obj) => vec![to_article(&obj, source.to_string())],
        Doc::Many(items) if items.is_empty() => vec![Err(Failure::new(
            source,
            ErrorKind::Empty,
            "the JSON array holds no articles",
        ))],
        Doc::Many(items) => items
            .iter()
            .enumerate()
            .map(|(i, obj)| to_article(obj, format!("{source}#{i}")))
            .collect(),
    }
}

/// Read JSONL: one JSON object per line, blank lines skipped. Records get the source
/// `SOURCE:LINE` (1-based; use `-` as `source` for stdin). A line longer than
/// `max_article_bytes` is a `too_large` failure and is skipped without being held in
/// memory. UTF-8 (an initial BOM is allowed); UTF-16 with a BOM is read whole, within
/// `max_article_bytes`. Input with no records at all gives one `empty` failure.
pub fn read_jsonl<R: BufRead + Send>(
    reader: R,
    source: &str,
    opts: &IngestOptions,
) -> Vec<Result<Article, Failure>> {
    JsonlItems::new(reader, source, opts).collect()
}

/// [`read_jsonl`] one line at a time: each article is parsed when asked for, so
/// standard input or a huge JSONL file is processed as it arrives, in memory bounded
/// by one line.
pub struct JsonlItems<'a> {
    reader: Box<dyn BufRead + Send + 'a>,
    source: String,
    max_line: u64,
    buf: Vec<u8>,
    line_no: u64,
    records: usize,
    state: JsonlState,
    cancel: Option<Cancel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonlState {
    /// Nothing read yet: the head decides (binary, UTF-16, lines).
    Head,
    Lines,
    Done,
}

impl<'a> JsonlItems<'a> {
    /// Read `reader` as JSONL from `source` (see [`read_jsonl`]).
    pub fn new(reader: impl BufRead + Send + 'a, source: &str, opts: &IngestOptions) -> Self {
        JsonlItems {
            reader: Box::new(reader),
            source: source.to_string(),
            max_line: opts.max_article_bytes,
            buf: Vec::new(),
            line_no: 0,
            records: 0,
            state: JsonlState::Head,
            cancel: opts.cancel.clone(),
        }
    }

    fn fail(&mut self, failure: Failure) -> Option<Result<Article, Failure>> {
        self.state = JsonlState::Done;
        Some(Err(failure))
    }

    /// Look at the first bytes: binary input is one failure, UTF-16 is decoded whole
    /// (bounded) and read on from the decoded text.
    fn head(&mut self) -> Option<Failure> {
        let head = loop {
            match self.reader.fill_buf() {
                Ok(head) => break head,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(io_failure(&self.source, &e)),
            }
        };
        if let Some(name) = binary_signature(head) {
            return Some(Failure::new(
                &self.source,
                ErrorKind::Binary,
                format!("not text: the input looks like {name}"),
            ));
        }
        if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
            match read_utf16(&mut self.reader, &self.source, self.max_line) {
                Ok(text) => self.reader = Box::new(Cursor::new(text.into_bytes())),
                Err(f) => return Some(f),
            }
        }
        self.state = JsonlState::Lines;
        None
    }
}

impl Iterator for JsonlItems<'_> {
    type Item = Result<Article, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == JsonlState::Head {
            if let Some(f) = self.head() {
                return self.fail(f);
            }
        }
        while self.state == JsonlState::Lines {
            self.line_no += 1;
            let line_source = format!("{}:{}", self.source, self.line_no);
            let cancel = self.cancel.as_ref();
            match read_line_bounded(&mut self.reader, &mut self.buf, self.max_line, cancel) {
                Ok(LineRead::Stopped) => self.state = JsonlState::Done,
                Ok(LineRead::Eof) => {
                    self.state = JsonlState::Done;
                    if self.records == 0 {
                        return Some(Err(Failure::new(
                            &self.source,
                            ErrorKind::Empty,
                            "no JSON lines: the input is empty or blank",
                        )));
                    }
                }
                Ok(LineRead::TooLong(len)) => {
                    self.records += 1;
                    return Some(Err(Failure::new(
                        line_source,
                        ErrorKind::TooLarge,
                        format!(
                            "the line is {len} bytes; the limit is {} bytes \
                             (--max-article-bytes)",
                            self.max_line
                        ),
                    )));
                }
                Ok(LineRead::Line) => {
                    let mut line = self.buf.as_slice();
                    if self.line_no == 1 {
                        line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
                    }
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    self.records += 1;
                    return Some(parse_line(line, line_source));
                }
                Err(e) => return self.fail(io_failure(&line_source, &e)),
            }
        }
        None
    }
}

/// UTF-16 JSONL cannot be split on byte `\n`: decode it whole, within `max` bytes.
fn read_utf16(reader: &mut dyn Read, source: &str, max: u64) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(max.saturating_add(1)).read_to_end(&mut bytes) {
        return Err(io_failure(source, &e));
    }
    if bytes.len() as u64 > max {
        return Err(Failure::new(
            source,
            ErrorKind::TooLarge,
            format!(
                "UTF-16 JSONL is read whole and this input exceeds the limit of {max} bytes \
                 (--max-article-bytes); convert it to UTF-8 to stream it line by line"
            ),
        ));
    }
    decode(bytes, None).map_err(|e| Failure::from_error(source, e))
}

/// One JSONL line (newline included or not) to an article.
fn parse_line(line: &[u8], source: String) -> Result<Article, Failure> {
    let fail = |e: ArticleError| Failure::from_error(source.clone(), e);
    if let Some(pos) = line.iter().position(|&b| b == 0) {
        return Err(fail(ArticleError::new(
            ErrorKind::Binary,
            format!("not text: NUL byte at offset {pos} in the line"),
        )));
    }
    let text = std::str::from_utf8(line).map_err(|e| fail(utf8_error(e.valid_up_to())))?;
    let text = text.trim();
    // Reject non-objects by their first byte, before parsing a possibly huge value.
    if !text.starts_with('{') {
        let found = match serde_json::from_str::<Value>(text) {
            Ok(v) => describe(&v),
            Err(_) => "malformed JSON",
        };
        return Err(fail(ArticleError::new(
            ErrorKind::Parse,
            format!("expected one JSON article object per line, found {found}"),
        )));
    }
    match serde_json::from_str::<Map<String, Value>>(text) {
        Ok(obj) => to_article(&obj, source),
        Err(e) => Err(fail(ArticleError::new(
            ErrorKind::Parse,
            format!("malformed JSON: {e}"),
        ))),
    }
}

fn to_article(obj: &Map<String, Value>, source: String) -> Result<Article, Failure> {
    match record::from_object(obj) {
        Ok((extracted, id)) => Ok(extracted.into_article(source, id)),
        Err(e) => Err(Failure::from_error(source, e)),
    }
}

fn io_failure(source: &str, e: &io::Error) -> Failure {
    Failure::new(source, ErrorKind::Io, format!("read failed: {e}"))
}

/// Outcome of [`read_line_bounded`].
enum LineRead {
    Eof,
    Line,
    TooLong(u64),
    /// The run was stopped part-way through the line.
    Stopped,
}

/// Read one line into `buf` (newline kept), holding at most about `max` bytes of it; the
/// rest of an over-long line is consumed and dropped. `cancel` is looked at between
/// reads, so an endless line (`< /dev/zero`) does not outlive a stop.
fn read_line_bounded<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: u64,
    cancel: Option<&Cancel>,
) -> io::Result<LineRead> {
    buf.clear();
    let mut len = 0u64; // line length without the newline
    let mut any = false;
    loop {
        if cancel.is_some_and(Cancel::is_cancelled) {
            return Ok(LineRead::Stopped);
        }
        let chunk = match r.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let used = newline.map_or(chunk.len(), |i| i + 1);
        len += (used - usize::from(newline.is_some())) as u64;
        if len <= max {
            buf.extend_from_slice(&chunk[..used]);
        }
        r.consume(used);
        if newline.is_some() {
            break;
        }
    }
    Ok(if !any {
        LineRead::Eof
    } else if len > max {
        LineRead::TooLong(len)
    } else {
        LineRead::Line
    })
}

/// A `.json` document: one object or an array of objects.
enum Doc {
    One(Map<String, Value>),
    Many(Vec<Map<String, Value>>),
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an article object or an array of article objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Doc, A::Error> {
        serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map)).map(Doc::One)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            match v {
                Value::Object(obj) => items.push(obj),
                other => {
                    return Err(de::Error::custom(format!(
                        "array element {} is {}, expected an article object",
                        items.len(),
                        describe(&other)
                    )))
                }
            }
        }
        Ok(Doc::Many(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn opts(max: u64) -> IngestOptions {
        IngestOptions {
            max_article_bytes: max,
            ..IngestOptions::default()
        }
    }

    fn kinds(v: &[Result<Article, Failure>]) -> Vec<Option<ErrorKind>> {
        v.iter()
            .map(|r| r.as_ref().err().map(|f| f.error.kind))
            .collect()
    }

    #[test]
    fn json_object_and_array() {
        let one = read_json(r#"{"title": "T", "body": "Text one.", "id": 7}"#, "a.json");
        let a = one[0].as_ref().unwrap();
        assert_eq!(
            (a.id.as_str(), a.source.as_str(), a.body.as_str()),
            ("7", "a.json", "Text one.")
        );

        let many = read_json(
            r#"[{"text": "First."}, {"title": "no body"}, {"content": "Third."}]"#,
            "b.json",
        );
        assert_eq!(kinds(&many), [None, Some(ErrorKind::Parse), None]);
        assert_eq!(many[0].as_ref().unwrap().source, "b.json#0");
        assert_eq!(
            many[0].as_ref().unwrap().id,
            super::super::content_id("First.")
        );
        assert_eq!(many[1].as_ref().unwrap_err().source, "b.json#1");
        assert_eq!(many[2].as_ref().unwrap().source, "b.json#2");
    }

    #[test]
    fn json_non_articles_are_parse_errors_naming_the_expectation() {
        for text in [
            "\"just a string\"",
            "42",
            "[1, 2, 3]",
            "{\"title\": \"T\"}",
            "{\"body\": ",
            "[{\"body\": \"x\"}] trailing",
        ] {
            let out = read_json(text, "x.json");
            assert_eq!(out.len(), 1, "{text}");
            let f = out[0].as_ref().unwrap_err();
            assert_eq!(f.error.kind, ErrorKind::Parse, "{text}");
            assert_eq!(f.source, "x.json");
            if text != "{\"body\": " && !text.ends_with("trailing") {
                assert!(
                    f.error.message.contains("expected"),
                    "{text}: {}",
                    f.error.message
                );
            }
        }
        let out = read_json("[1, 2]", "x.json");
        let msg = &out[0].as_ref().unwrap_err().error.message;
        assert!(
            msg.contains("array element 0 is a number, expected an article object"),
            "{msg}"
        );
        assert_eq!(kinds(&read_json("[]", "x.json")), [Some(ErrorKind::Empty)]);
    }

    #[test]
    fn json_huge_number_array_fails_fast() {
        let mut text = String::with_capacity(8_000_000);
        text.push('[');
        for i in 0..1_000_000u32 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&i.to_string());
        }
        text.push(']');
        let start = Instant::now();
        let out = read_json(&text, "n.json");
        assert_eq!(kinds(&out), [Some(ErrorKind::Parse)]);
        assert!(
            start.elapsed() < Duration::from_millis(200),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn json_deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(kinds(&read_json(&text, "d.json")), [Some(ErrorKind::Parse)]);
    }

    #[test]
    fn jsonl_bad_middle_line_is_one_failure() {
        let input = "{\"id\": \"a1\", \"body\": \"First story.\"}\n\n{\"body\": \"broken\"\n{\"text\": \"Third story.\", \"id\": 3}\n";
        let out = read_jsonl(Cursor::new(input), "feed.jsonl", &IngestOptions::default());
        assert_eq!(kinds(&out), [None, Some(ErrorKind::Parse), None]);
        let first = out[0].as_ref().unwrap();
        assert_eq!(
            (first.id.as_str(), first.source.as_str()),
            ("a1", "feed.jsonl:1")
        );
        let bad = out[1].as_ref().unwrap_err();
        assert_eq!(bad.source, "feed.jsonl:3");
        assert_eq!(bad.id, super::super::content_id("feed.jsonl:3"));
        let third = out[2].as_ref().unwrap();
        assert_eq!(
            (
                third.id.as_str(),
                third.source.as_str(),
                third.body.as_str()
            ),
            ("3", "feed.jsonl:4", "Third story.")
        );
    }

    #[test]
    fn jsonl_stdin_sources_crlf_bom_and_no_trailing_newline() {
        let input = "\u{feff}{\"body\": \"One.\"}\r\n{\"body\": \"Two.\"}";
        let out = read_jsonl(Cursor::new(input), "-", &IngestOptions::default());
        let sources: Vec<&str> = out
            .iter()
            .map(|r| r.as_ref().unwrap().source.as_str())
            .collect();
        assert_eq!(sources, ["-:1", "-:2"]);
        assert_eq!(
            out[1].as_ref().unwrap().id,
            super::super::content_id("Two.")
        );
    }

    #[test]
    fn jsonl_non_object_lines_and_bad_bytes() {
        let input: &[u8] = b"[1,2]\n\"s\"\nnot json\n{\"body\": \"caf\xe9\"}\n{\"body\": \"a\x00\"}\n{\"body\": \"ok\"}\n";
        let out = read_jsonl(Cursor::new(input), "f.jsonl", &IngestOptions::default());
        assert_eq!(
            kinds(&out),
            [
                Some(ErrorKind::Parse),
                Some(ErrorKind::Parse),
                Some(ErrorKind::Parse),
                Some(ErrorKind::Encoding),
                Some(ErrorKind::Binary),
                None
            ]
        );
        assert!(out[0]
            .as_ref()
            .unwrap_err()
            .error
            .message
            .contains("found an array"));
        assert!(out[3]
            .as_ref()
            .unwrap_err()
            .error
            .message
            .contains("offset 13"));
    }

    /// A reader that fails when read: standing in for input that has not arrived.
    struct NotYet;

    impl Read for NotYet {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("read past what was sent"))
        }
    }

    #[test]
    fn jsonl_items_are_read_one_line_at_a_time_and_stop_when_cancelled() {
        let first = Cursor::new(b"{\"body\": \"first\"}\n".to_vec());
        let mut items = JsonlItems::new(
            io::BufReader::new(first.chain(NotYet)),
            "-",
            &IngestOptions::default(),
        );
        // The first article comes without reading further.
        assert_eq!(items.next().unwrap().unwrap().body, "first");
        let f = items.next().unwrap().unwrap_err();
        assert_eq!(f.error.kind, ErrorKind::Io);
        assert!(items.next().is_none());
        // An endless line (`< /dev/zero`) ends once the run is stopped.
        let cancel = Cancel::new();
        let opts = IngestOptions {
            cancel: Some(cancel.clone()),
            ..IngestOptions::default()
        };
        let mut endless = JsonlItems::new(io::BufReader::new(io::repeat(b'x')), "-", &opts);
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            cancel.cancel();
        });
        assert!(
            endless.next().is_none(),
            "no record for a line cut by the stop"
        );
        stopper.join().unwrap();
    }

    #[test]
    fn jsonl_long_line_is_too_large_and_the_rest_still_read() {
        let long = format!("{{\"body\": \"{}\"}}", "x".repeat(5000));
        let input = format!("{{\"body\": \"short\"}}\n{long}\n{{\"body\": \"after\"}}\n");
        // A tiny buffer makes the long line span many fill_buf chunks.
        let reader = io::BufReader::with_capacity(64, Cursor::new(input));
        let out = read_jsonl(reader, "f.jsonl", &opts(1000));
        assert_eq!(kinds(&out), [None, Some(ErrorKind::TooLarge), None]);
        let f = out[1].as_ref().unwrap_err();
        assert_eq!(f.source, "f.jsonl:2");
        assert!(
            f.error.message.contains(&format!("{} bytes", long.len())),
            "{}",
            f.error.message
        );
        assert_eq!(out[2].as_ref().unwrap().body, "after");
    }

    #[test]
    fn jsonl_utf16_and_empty_and_binary_input() {
        let mut bytes = b"\xff\xfe".to_vec();
        for u in "{\"body\": \"Größe\"}\n{\"body\": \"Zwei\"}\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let out = read_jsonl(Cursor::new(bytes), "u.jsonl", &IngestOptions::default());
        assert_eq!(
            out.iter()
                .map(|r| r.as_ref().unwrap().body.as_str())
                .collect::<Vec<_>>(),
            ["Größe", "Zwei"]
        );
        assert_eq!(out[1].as_ref().unwrap().source, "u.jsonl:2");

        assert_eq!(
            kinds(&read_jsonl(
                Cursor::new("\n \n"),
                "-",
                &IngestOptions::default()
            )),
            [Some(ErrorKind::Empty)]
        );
        let gz: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\n\n\n";
        assert_eq!(
            kinds(&read_jsonl(
                Cursor::new(gz),
                "g.jsonl",
                &IngestOptions::default()
            )),
            [Some(ErrorKind::Binary)]
        );
    }
}
