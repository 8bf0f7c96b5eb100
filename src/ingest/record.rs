//! JSON article objects to [`Extracted`] fields. Field names are matched liberally: the
//! first of several common names that holds a usable value wins (exact name first, then
//! ASCII case-insensitive), so exports from different tools read without configuration.

use serde_json::{Map, Value};

use super::Extracted;
use crate::error::{ArticleError, ErrorKind};

/// Headline fields, in order of preference.
pub const TITLE_KEYS: &[&str] = &["title", "headline"];
/// Article text fields; the first holding a non-empty string is the body.
pub const BODY_KEYS: &[&str] = &["body", "text", "article", "content", "story"];
/// Link fields.
pub const URL_KEYS: &[&str] = &["url", "link"];
/// Publication date fields.
pub const PUBLISHED_KEYS: &[&str] = &["published", "date", "published_at", "pubDate"];
/// Record id fields.
pub const ID_KEYS: &[&str] = &["id", "guid"];
/// Author fields: a string, an array of strings, or objects with a `name`.
pub const AUTHOR_KEYS: &[&str] = &["author", "byline", "authors"];

/// Map a JSON object to article fields and the record's own id (if it has one).
///
/// Errors: `parse` when no body field holds a string, `empty` when the body fields hold
/// only whitespace.
pub fn from_object(obj: &Map<String, Value>) -> Result<(Extracted, Option<String>), ArticleError> {
    let body = body(obj)?;
    let extracted = Extracted {
        title: first_text(obj, TITLE_KEYS),
        byline: author(obj),
        published: first_scalar(obj, PUBLISHED_KEYS),
        url: first_text(obj, URL_KEYS),
        body,
    };
    Ok((extracted, first_scalar(obj, ID_KEYS)))
}

/// A short description of a JSON value's type, for messages.
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value under `key`: exact match, else the first ASCII case-insensitive match.
fn lookup<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn body(obj: &Map<String, Value>) -> Result<String, ArticleError> {
    let mut blank = None;
    let mut wrong_type = None;
    for key in BODY_KEYS {
        match lookup(obj, key) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Ok(s.clone()),
            Some(Value::String(_)) => blank = blank.or(Some(*key)),
            Some(Value::Null) | None => {}
            Some(other) => wrong_type = wrong_type.or(Some((*key, describe(other)))),
        }
    }
    if let Some(key) = blank {
        return Err(ArticleError::new(
            ErrorKind::Empty,
            format!("the `{key}` field holds no text"),
        ));
    }
    let expected = format!(
        "expected an article object with a string field named one of: {}",
        BODY_KEYS.join(", ")
    );
    Err(ArticleError::new(
        ErrorKind::Parse,
        match wrong_type {
            Some((key, what)) => format!("{expected} (`{key}` is {what})"),
            None => format!("{expected} (none found)"),
        },
    ))
}

/// First non-blank string among `keys`, trimmed.
fn first_text(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match lookup(obj, k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    })
}

/// Like [`first_text`], but numbers count too (numeric ids, Unix timestamps).
fn first_scalar(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match lookup(obj, k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn author(obj: &Map<String, Value>) -> Option<String> {
    AUTHOR_KEYS.iter().find_map(|k| {
        let names: Vec<&str> = match lookup(obj, k)? {
            Value::Array(items) => items.iter().filter_map(person_name).collect(),
            one => person_name(one).into_iter().collect(),
        };
        (!names.is_empty()).then(|| names.join(", "))
    })
}

/// A person as a string, or as an object with a `name` (schema.org style).
fn person_name(v: &Value) -> Option<&str> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Object(o) => lookup(o, "name")?.as_str()?,
        _ => return None,
    };
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => unreachable!("test helper takes objects"),
        }
    }

    #[test]
    fn reads_the_common_names() {
        let (e, id) = from_object(&obj(json!({
            "headline": " Markets rally ",
            "story": "Shares rose.",
            "link": "https://example.com/a",
            "pubDate": "2024-06-20",
            "guid": "abc-1",
            "byline": "Jane Doe",
        })))
        .unwrap();
        assert_eq!(e.title.as_deref(), Some("Markets rally"));
        assert_eq!(e.body, "Shares rose.");
        assert_eq!(e.url.as_deref(), Some("https://example.com/a"));
        assert_eq!(e.published.as_deref(), Some("2024-06-20"));
        assert_eq!(e.byline.as_deref(), Some("Jane Doe"));
        assert_eq!(id.as_deref(), Some("abc-1"));
    }

    #[test]
    fn body_is_the_first_non_empty_string_in_preference_order() {
        let (e, _) = from_object(&obj(json!({"content": "C", "text": "  ", "body": 5}))).unwrap();
        assert_eq!(e.body, "C");
        let (e, _) = from_object(&obj(json!({"content": "C", "text": "T"}))).unwrap();
        assert_eq!(e.body, "T");
    }

    #[test]
    fn case_insensitive_fallback_and_numeric_id() {
        let (e, id) = from_object(&obj(json!({"Title": "T", "BODY": "B", "ID": 42}))).unwrap();
        assert_eq!(e.title.as_deref(), Some("T"));
        assert_eq!(e.body, "B");
        assert_eq!(id.as_deref(), Some("42"));
    }

    #[test]
    fn authors_array_is_joined() {
        let (e, _) = from_object(&obj(
            json!({"body": "x", "authors": ["A One", {"name": "B Two"}, 3, " "]}),
        ))
        .unwrap();
        assert_eq!(e.byline.as_deref(), Some("A One, B Two"));
    }

    #[test]
    fn missing_body_is_parse_and_blank_body_is_empty() {
        let err = from_object(&obj(json!({"title": "T"}))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse);
        assert!(
            err.message.contains("body, text, article, content, story"),
            "{}",
            err.message
        );
        let err =
            from_object(&obj(json!({"title": "T", "content": {"rendered": "x"}}))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse);
        assert!(
            err.message.contains("`content` is an object"),
            "{}",
            err.message
        );
        let err = from_object(&obj(json!({"body": " \n "}))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Empty);
    }
}
