//! Role swaps: a generated statement can reuse its evidence sentence's words and
//! still get who did what wrong ("Valencia are five points clear" from "Barcelona
//! are five points clear of Valencia"). Word overlap and embeddings both pass such a
//! statement; this check looks at who the evidence puts before the action.
//!
//! The statement's subject is the name it opens with; its action, the first two
//! consecutive words after that name which the evidence sentence also has, in that
//! order. In the evidence, the name nearest before the action is the one doing it.
//! When that is another name, and the statement's subject is not among the words
//! between them, the roles are swapped. Shallow by design (no parser): it only
//! speaks when both sides name someone, so it misses swaps and rarely cries wolf.

use crate::extract::features::{self, is_pronoun};

/// The names in `s` that can do something: pronouns ("It's", "I") are not names.
fn entities(s: &str) -> Vec<String> {
    features::entities(s)
        .into_iter()
        .filter(|e| {
            let w = plain_words(e);
            !(w.len() == 1 && (is_pronoun(&w[0]) || w[0].len() < 2))
        })
        .collect()
}

/// Words of `s`, lower-cased, punctuation trimmed, possessive `'s` dropped.
fn plain_words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            let w = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            w.strip_suffix("’s")
                .or_else(|| w.strip_suffix("'s"))
                .map(str::to_string)
                .unwrap_or(w)
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether two name words are the same name: equal, or one the other's stem
/// ("Russia" and "Russian", "Korea" and "Korean"), short words excepted.
fn same_name(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.len() >= 4 && long.starts_with(short))
}

/// How far before the action the evidence's actor may stand, in words.
const REACH: usize = 12;

/// Why `statement` swaps the roles of its `evidence` sentence, if it does.
pub fn swapped(statement: &str, evidence: &str) -> Option<String> {
    let words = plain_words(statement);
    let (st_names, ev_names) = (entities(statement), entities(evidence));
    // The subject: a name among the statement's first words ("The race director X").
    let subject = st_names.iter().find(|e| {
        let first = plain_words(e);
        first
            .first()
            .and_then(|f| words.iter().position(|w| w == f))
            .is_some_and(|at| at < 4)
    })?;
    let subject_last = plain_words(subject).pop()?;
    let after = words.iter().position(|w| *w == subject_last)? + 1;
    let ev = plain_words(evidence);
    // Words of names on either side: an action is what someone does, not a name.
    let name_words: Vec<String> = st_names
        .iter()
        .chain(&ev_names)
        .flat_map(|e| plain_words(e))
        .collect();
    // The action: the first two consecutive statement words after the subject that
    // occur together in the evidence, neither part of a name.
    let (said_at, action_at) = (after..words.len().saturating_sub(1)).find_map(|k| {
        let pair = &words[k..k + 2];
        if pair.iter().any(|w| name_words.contains(w)) {
            return None;
        }
        ev.windows(2).position(|e| e == pair).map(|p| (k, p))
    })?;
    // Everything the statement names before its action is its subject ("Russia's
    // president Vladimir Putin").
    let subject_words: Vec<String> = words[..said_at]
        .iter()
        .filter(|w| name_words.contains(w))
        .cloned()
        .collect();
    // The evidence's name nearest before the action, within reach.
    let mut actor: Option<(usize, String)> = None;
    for name in &ev_names {
        let nw = plain_words(name);
        let Some(last) = nw.last() else { continue };
        for (i, w) in ev.iter().enumerate().take(action_at) {
            if w == last && action_at - i <= REACH && actor.as_ref().is_none_or(|(j, _)| i > *j) {
                actor = Some((i, name.clone()));
            }
        }
    }
    let (at, name) = actor?;
    let same = plain_words(&name)
        .iter()
        .any(|w| subject_words.iter().any(|s| same_name(s, w)));
    // The subject named between the actor and the action ("Y's coach X said") is fine.
    let between = ev[at + 1..action_at]
        .iter()
        .any(|w| subject_words.iter().any(|s| same_name(s, w)));
    if same || between {
        return None;
    }
    Some(format!(
        "role swap: it says {subject} where the article says {name}"
    ))
}

#[cfg(test)]
mod tests {
    use super::swapped;

    #[test]
    fn a_swapped_subject_is_caught() {
        let ev = "Barcelona are temporarily five points clear of Valencia after the win.";
        let why = swapped("Valencia are temporarily five points clear.", ev).unwrap();
        assert!(
            why.contains("Valencia") && why.contains("Barcelona"),
            "{why}"
        );
        let ev =
            "Race director Charlie Whiting said Max Verstappen will make his debut in Melbourne.";
        assert!(swapped("Charlie Whiting will make his debut in Melbourne.", ev).is_some());
    }

    #[test]
    fn the_right_subject_passes() {
        let ev = "Barcelona are temporarily five points clear of Valencia after the win.";
        assert_eq!(
            swapped("Barcelona are five points clear of Valencia.", ev),
            None
        );
        let ev =
            "Race director Charlie Whiting said Max Verstappen will make his debut in Melbourne.";
        assert_eq!(
            swapped("Max Verstappen will make his debut in Melbourne.", ev),
            None
        );
        // The subject between the other name and the action: "Arsenal's Ian Wright".
        let ev = "Arsenal legend Ian Wright will present the trophy at Sandown.";
        assert_eq!(swapped("Ian Wright will present the trophy.", ev), None);
        // The same actor under another form of its name.
        let ev = "The Russian president, Vladimir Putin, has spent two days in Pyongyang.";
        assert_eq!(
            swapped(
                "Russia's president Vladimir Putin has spent two days in Pyongyang.",
                ev
            ),
            None
        );
        // Pronouns are not names.
        let ev = "'I have heard of the saying but I don't understand it,' she said.";
        assert_eq!(
            swapped(
                "'I have heard of the saying but I don't understand it.'",
                ev
            ),
            None
        );
        let ev = "Germans are now thinking of themselves as victims of Hitler.";
        assert_eq!(
            swapped(
                "German people are now thinking of themselves as victims.",
                ev
            ),
            None
        );
        // No name to compare: silent.
        assert_eq!(
            swapped(
                "The council will close the bridge.",
                "The council will close the bridge."
            ),
            None
        );
    }
}
