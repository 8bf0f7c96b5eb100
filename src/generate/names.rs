//! Put names back into generated text. Small models shorten "The Russian
//! president, Vladimir Putin, has…" to "The Russian president has…", which leaves a
//! reader of the summary or of a lone claim guessing who acted. When the article
//! itself ties a descriptive phrase to one name by apposition, the first use of
//! that phrase in a generated sentence that does not already name the person gets
//! the name added ("The Russian president Vladimir Putin has…"). Nothing is added
//! that the article does not say.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::generate::prompt::Parsed;

/// "the <up to three words, last one lowercase>, <two to four capitalised words>,"
/// e.g. "The Russian president, Vladimir Putin," or "the party leader, Ed Miliband,".
static APPOSITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b([Tt]he(?: [A-Z][\w-]*| [a-z][\w-]*){0,2} [a-z][a-z-]+), ((?:[A-Z][\w’'-]*[a-z][\w’'-]*)(?: [A-Z][\w’'-]*[a-z][\w’'-]*){1,3}),",
    )
    .expect("valid regex")
});

/// Descriptive phrases the article ties to exactly one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appositions {
    /// (phrase without its article, lowercased; the phrase as written; name)
    pairs: Vec<(String, String)>,
}

impl Appositions {
    /// Collect "the `role`, `Name`," pairs from `source`; a phrase tied to two
    /// different names is ambiguous and dropped.
    pub fn of(source: &str) -> Self {
        let mut seen: HashMap<String, Option<String>> = HashMap::new();
        let mut order = Vec::new();
        for c in APPOSITION.captures_iter(source) {
            let role = role_key(&c[1]);
            let name = c[2].to_string();
            match seen.get_mut(&role) {
                None => {
                    order.push(role.clone());
                    seen.insert(role, Some(name));
                }
                Some(Some(n)) if *n != name => *seen.get_mut(&role).expect("present") = None,
                Some(_) => {}
            }
        }
        let pairs = order
            .into_iter()
            .filter_map(|r| seen.remove(&r).flatten().map(|n| (r, n)))
            .collect();
        Appositions { pairs }
    }

    /// Whether no pair was found.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// `sentence` with the name added after the first phrase whose person it does
    /// not already name (by surname), unless `context` (e.g. the rest of the summary
    /// so far) names them.
    pub fn restore(&self, sentence: &str, context: &str) -> String {
        let mut out = sentence.to_string();
        for (role, name) in &self.pairs {
            let surname = name.rsplit(' ').next().unwrap_or(name);
            if contains_word(&out, surname) || contains_word(context, surname) {
                continue;
            }
            let Some(end) = find_phrase(&out, role) else {
                continue;
            };
            out = format!("{} {name}{}", &out[..end], &out[end..]);
        }
        out
    }
}

/// The phrase without a leading "the ", lowercased: "russian president".
fn role_key(phrase: &str) -> String {
    let p = phrase.to_lowercase();
    p.strip_prefix("the ").unwrap_or(&p).to_string()
}

/// Byte offset just after the first whole-word "the `role`" in `text`, any case.
fn find_phrase(text: &str, role: &str) -> Option<usize> {
    let re = Regex::new(&format!(r"(?i)\bthe {}\b", regex::escape(role))).ok()?;
    let found = re.find_iter(text).find(|m| {
        text[m.end()..]
            .chars()
            .next()
            .is_none_or(|c| !matches!(c, '-' | '\'' | '’'))
    });
    found.map(|m| m.end())
}

/// Restore names in a parsed generation: summary sentences see the summary before
/// them as context (a name given once is enough), each claim stands alone.
pub fn restore_names(parsed: &mut Parsed, source: &str) {
    let a = Appositions::of(source);
    if a.is_empty() {
        return;
    }
    let mut context = String::new();
    for s in &mut parsed.summary {
        *s = a.restore(s, &context);
        context.push_str(s);
        context.push(' ');
    }
    for c in &mut parsed.claims {
        *c = a.restore(c, "");
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "The Russian president, Vladimir Putin, has spent two days in \
        Pyongyang, meeting the North Korean leader, Kim Jong Un, and signing a pact. \
        Later the Russian president flew home.";

    #[test]
    fn finds_role_name_pairs() {
        let a = Appositions::of(SOURCE);
        assert_eq!(
            a.pairs,
            vec![
                (
                    "russian president".to_string(),
                    "Vladimir Putin".to_string()
                ),
                ("north korean leader".to_string(), "Kim Jong Un".to_string()),
            ]
        );
    }

    #[test]
    fn adds_the_name_once_where_it_is_missing() {
        let a = Appositions::of(SOURCE);
        assert_eq!(
            a.restore("The Russian president met the North Korean leader.", ""),
            "The Russian president Vladimir Putin met the North Korean leader Kim Jong Un."
        );
        // Already named in the sentence or earlier in the summary: unchanged.
        let s = "Putin, the Russian president, flew home.";
        assert_eq!(a.restore(s, ""), s);
        let s = "The Russian president flew home.";
        assert_eq!(a.restore(s, "Vladimir Putin visited Pyongyang."), s);
        // Only whole phrases: "the Russian presidential jet" is not the person.
        let s = "The Russian presidential jet landed.";
        assert_eq!(a.restore(s, ""), s);
    }

    #[test]
    fn ambiguous_roles_and_plain_text_are_left_alone() {
        let a =
            Appositions::of("The minister, Ann Lee, spoke. Then the minister, Bo Chan, replied.");
        assert!(a.is_empty());
        let a = Appositions::of("No apposition here, Really Not, at all.");
        assert!(a.is_empty());
        assert_eq!(
            Appositions::default().restore("The minister spoke.", ""),
            "The minister spoke."
        );
    }

    #[test]
    fn summary_names_once_claims_each() {
        let mut p = Parsed {
            summary: vec![
                "The Russian president arrived.".into(),
                "The Russian president signed a pact.".into(),
            ],
            claims: vec!["The Russian president signed a pact.".into()],
            warnings: vec![],
        };
        restore_names(&mut p, SOURCE);
        assert_eq!(
            p.summary[0],
            "The Russian president Vladimir Putin arrived."
        );
        assert_eq!(p.summary[1], "The Russian president signed a pact.");
        assert_eq!(
            p.claims[0],
            "The Russian president Vladimir Putin signed a pact."
        );
    }

    #[test]
    fn non_ascii_text_does_not_panic() {
        let a = Appositions::of("The Élysée spokesman, Jean-Noël Barrot, said so.");
        let out = a.restore("Ünïcödé: the élysée spokesman said so — ok.", "");
        assert!(out.contains("said so"));
    }
}
