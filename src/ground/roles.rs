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
                .to_lowercase()
                .replace('’', "'");
            w.strip_suffix("'s").map(str::to_string).unwrap_or(w)
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

/// Nouns for the people around someone, who act in their name or beside them: "the
/// family of X" or "X's lawyer" doing something is not X doing it.
const RELATIONS: &[&str] = &[
    "family",
    "families",
    "wife",
    "husband",
    "widow",
    "widower",
    "son",
    "sons",
    "daughter",
    "daughters",
    "mother",
    "father",
    "mum",
    "dad",
    "parents",
    "brother",
    "brothers",
    "sister",
    "sisters",
    "siblings",
    "children",
    "relatives",
    "friend",
    "friends",
    "girlfriend",
    "boyfriend",
    "partner",
    "fiancee",
    "fiancée",
    "lawyer",
    "lawyers",
    "attorney",
    "attorneys",
    "solicitor",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "representative",
    "representatives",
    "agent",
    "fans",
    "supporters",
    "killer",
    "killers",
];

/// Words of a statement that copies its evidence sentence, over which a changed name
/// or number is a substitution. A gap of more words is a rewording.
const SWAP_GAP: usize = 2;

/// Share of a statement's words that must be copied, in order, from its evidence
/// before [`substituted`] compares the rest (below it, the statement rewords).
const COPIED: f32 = 0.6;

/// Why `statement`, a near copy of `evidence`, puts another name or number where the
/// evidence has one ("urged people to vote SNP" from "urged people to vote Labour"),
/// if it does. Only gaps between copied words are compared, and only short ones with a
/// name or number on both sides, so a name added at the start ("Gordon Brown" for
/// "Mr Brown") or a reworded clause says nothing.
pub fn substituted(statement: &str, evidence: &str) -> Option<String> {
    // Words as written (a name is capitalised) and as compared.
    let written = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (st, ev) = (written(statement), written(evidence));
    let (a, b) = (plain_words(statement), plain_words(evidence));
    let pairs = aligned(&a, &b);
    if (pairs.len() as f32) < COPIED * a.len() as f32 {
        return None;
    }
    for g in pairs.windows(2) {
        let ((c0, e0), (c1, e1)) = (g[0], g[1]);
        let (said, source) = (&st[c0 + 1..c1], &ev[e0 + 1..e1]);
        let (said_keys, source_keys) = (&a[c0 + 1..c1], &b[e0 + 1..e1]);
        if said.is_empty() || source.is_empty() || said.len() > SWAP_GAP || source.len() > SWAP_GAP
        {
            continue;
        }
        let (new, old) = (marked(said, said_keys), marked(source, source_keys));
        // The same name in another form, or the same digits spaced otherwise.
        let said_digits = digits(said);
        let related = new.iter().any(|n| old.iter().any(|o| same_name(n, o)))
            || (!said_digits.is_empty() && said_digits == digits(source));
        if !new.is_empty() && !old.is_empty() && !related {
            return Some(format!(
                "it says \"{}\" where the article says \"{}\"",
                said.join(" "),
                source.join(" ")
            ));
        }
    }
    None
}

/// The compared forms (`keys`) of the words that, as written, are names or numbers.
fn marked<'k>(written: &[String], keys: &'k [String]) -> Vec<&'k str> {
    written
        .iter()
        .zip(keys)
        .filter(|(w, _)| is_name_or_number(w))
        .map(|(_, k)| k.as_str())
        .collect()
}

/// Whether a word as written is a name (capitalised) or a number (has a digit).
fn is_name_or_number(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase) || w.chars().any(|c| c.is_ascii_digit())
}

/// The digits of some words, in order ("£100, 000" and "£100,000" alike).
fn digits(ws: &[String]) -> String {
    ws.iter()
        .flat_map(|w| w.chars())
        .filter(char::is_ascii_digit)
        .collect()
}

/// The positions of a longest common subsequence of `a` and `b`, in order, in both.
/// A plain table: a claim has at most 40 words and its evidence is one sentence, and
/// `eval::lcs` (bit-parallel, for ROUGE) marks the matches of one side only.
fn aligned(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    // Suffix table: `t[i][j]` = LCS length of `a[i..]` and `b[j..]`.
    let mut t = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Why `statement`, whose subject is someone's relative or agent ("The family of
/// X…", "X's lawyer…"), is backed by an `evidence` sentence that never mentions
/// that relation: the sentence says what X (or someone else) did, not the family
/// ("The family of Chris Lane was jogging…" from "The 22-year-old … was jogging…").
pub fn related_subject(statement: &str, evidence: &str) -> Option<String> {
    let words = plain_words(statement);
    let raw: Vec<&str> = statement.split_whitespace().take(5).collect();
    let possessed = |w: &str| w.ends_with("'s") || w.ends_with("’s");
    let relation = match words.as_slice() {
        [the, rel, of, ..] if the == "the" && of == "of" && RELATIONS.contains(&rel.as_str()) => {
            rel.clone()
        }
        _ => (1..raw.len())
            .filter(|&i| possessed(raw[i - 1]))
            .filter_map(|i| plain_words(raw[i]).pop())
            .find(|w| RELATIONS.contains(&w.as_str()))?,
    };
    // "family"/"families", "lawyer"/"lawyers": the same relation.
    let singular = |w: &str| match w.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => w.trim_end_matches('s').to_string(),
    };
    let mentioned = plain_words(evidence)
        .iter()
        .any(|w| RELATIONS.contains(&w.as_str()) && singular(w) == singular(&relation));
    (!mentioned).then(|| {
        format!("it says the {relation} did this; the article's sentence has no {relation}")
    })
}

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
    if same {
        // The right name, but as someone else's relative or agent: "the family of
        // X broke down" or "X's lawyer said", told as "X broke down".
        let first = (at + 1).saturating_sub(plain_words(&name).len());
        let of = ev[first.saturating_sub(REACH)..first]
            .windows(2)
            .find(|p| p[1] == "of" && RELATIONS.contains(&p[0].as_str()))
            .map(|p| p[0].clone());
        let owns = ev[at + 1..action_at]
            .iter()
            .find(|w| RELATIONS.contains(&w.as_str()))
            .cloned();
        if let Some(rel) = of.or(owns) {
            if !words[..said_at].contains(&rel) {
                return Some(format!(
                    "role swap: it says {subject} where the article says {subject}'s {rel}"
                ));
            }
        }
    }
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
    use super::{related_subject, substituted, swapped};

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
    fn a_relative_acting_is_not_the_person() {
        let ev = "The family of murdered baseball player Chris Lane broke down in court as they listened.";
        let why = swapped("Chris Lane broke down in court as he listened.", ev).unwrap();
        assert!(why.contains("family"), "{why}");
        let ev = "Chris Lane's lawyer said the case would go on.";
        assert!(swapped("Chris Lane said the case would go on.", ev).is_some());
        // Said with the relation, or about the person himself: silent.
        assert_eq!(
            swapped(
                "Chris Lane's family broke down in court.",
                "The family of Chris Lane broke down in court."
            ),
            None
        );
        assert_eq!(
            swapped(
                "Chris Lane broke the record.",
                "Chris Lane, 22, broke the record."
            ),
            None
        );
    }

    #[test]
    fn a_changed_name_or_number_in_a_copy_is_caught() {
        let ev =
            "Mr Brown urged people to vote Labour to end the bedroom tax and food bank poverty.";
        let why = substituted(
            "Gordon Brown urged people to vote SNP to end the bedroom tax and food bank poverty.",
            ev,
        )
        .unwrap();
        assert!(why.contains("SNP") && why.contains("Labour"), "{why}");
        let ev = "He scored an audacious 27-yard goal into a basketball hoop.";
        assert!(substituted(
            "He scored an audacious 25-yard goal into a basketball hoop.",
            ev
        )
        .is_some());
        // A name added at the start, a form of the same name, a reworded clause, a
        // split number, a paraphrase: silent.
        assert_eq!(
            substituted(
                "Gordon Brown urged people to vote Labour to end the bedroom tax.",
                ev.replace("27-yard", "x").as_str()
            ),
            None
        );
        let ev = "Mr Brown urged people to vote Labour to end the bedroom tax.";
        assert_eq!(
            substituted(
                "Gordon Brown urged people to vote Labour to end the bedroom tax.",
                ev
            ),
            None
        );
        assert_eq!(
            substituted("Peter O'Toole was on set.", "Peter O’Toole was on set."),
            None
        );
        assert_eq!(
            substituted(
                "Russian troops crossed the border on Monday.",
                "Russia's troops crossed the border on Monday."
            ),
            None
        );
        assert_eq!(
            substituted(
                "Hardy is selling antiques in a £100, 000 auction this week.",
                "Hardy is selling antiques in a £100,000 auction this week."
            ),
            None
        );
        assert_eq!(
            substituted(
                "An announcement will be made by Kilmarnock on Friday.",
                "An announcement will be made by the Rugby Park club on Friday."
            ),
            None
        );
        assert_eq!(
            substituted(
                "Labour won.",
                "The SNP said on Friday that they had lost the seat."
            ),
            None
        );
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

    #[test]
    fn a_relative_as_subject_needs_the_relative_in_the_evidence() {
        let ev = "The 22-year-old, from Melbourne, was jogging along a street in Duncan when he was shot.";
        let why = related_subject(
            "The family of murdered baseball player Chris Lane was jogging along a street in Duncan.",
            ev,
        )
        .unwrap();
        assert!(why.contains("family"), "{why}");
        assert!(related_subject("Lane's lawyer said he was jogging along a street.", ev).is_some());
        // The relation in the evidence, in any form: fine.
        let ev = "His family said Chris Lane was jogging along a street when he was shot.";
        assert_eq!(
            related_subject("The family of Chris Lane said he was jogging.", ev),
            None
        );
        let ev = "Lane's families wept in court.";
        assert_eq!(
            related_subject("The family of Chris Lane wept in court.", ev),
            None
        );
        // A statement whose subject is not a relation says nothing here.
        assert_eq!(
            related_subject("Chris Lane was jogging along a street.", ev),
            None
        );
        assert_eq!(related_subject("The mother ship landed.", ev), None);
    }
}
