//! Edited copies of a story, as wire services and aggregators make them: the test
//! material of near-duplicate detection (tests, `examples/relate_eval.rs`). A fixture,
//! not API: built only for tests and with the `fixtures` feature.
//!
//! A story is plain text: a headline on the first line when that line is short and
//! more follows (the layout of `corpus/`), paragraphs separated by blank lines; a body
//! of one paragraph (CNN/DailyMail's layout) is taken as paragraphs of three
//! sentences.

/// One kind of edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Another headline.
    Headline,
    /// The middle paragraph dropped (of three or more).
    DropParagraph,
    /// A byline under the headline and "Read more" / share lines at the end.
    BylineAndReadMore,
    /// The first sentence of the body replaced by another wording.
    RewriteFirstSentence,
    /// All of the above at once.
    All,
}

impl Edit {
    /// Every kind, in a fixed order.
    pub const ALL: [Edit; 5] = [
        Edit::Headline,
        Edit::DropParagraph,
        Edit::BylineAndReadMore,
        Edit::RewriteFirstSentence,
        Edit::All,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Edit::Headline => "changed headline",
            Edit::DropParagraph => "dropped paragraph",
            Edit::BylineAndReadMore => "byline + Read more lines",
            Edit::RewriteFirstSentence => "rewritten first sentence",
            Edit::All => "all four",
        }
    }

    /// `story` with this edit applied.
    pub fn apply(self, story: &str) -> String {
        let (headline, body) = match story.trim_start().split_once('\n') {
            Some((h, b)) if h.len() <= 200 && !b.trim().is_empty() => (Some(h.trim()), b),
            _ => (None, story),
        };
        let mut paragraphs = paragraphs_of(body);
        let mut headline = headline.map(str::to_string);
        let mut byline = None;
        let mut tail = Vec::new();
        let all = self == Edit::All;
        if all || self == Edit::Headline {
            headline = Some(match headline {
                Some(h) => format!("UPDATE: {} - latest", h.trim_end_matches('.')),
                None => "UPDATE: the latest on this story".to_string(),
            });
        }
        if (all || self == Edit::DropParagraph) && paragraphs.len() > 2 {
            paragraphs.remove(paragraphs.len() / 2);
        }
        if all || self == Edit::BylineAndReadMore {
            byline = Some("By Chris Morgan, Wire Services Correspondent");
            tail.extend([
                "Read more: The stories behind the headlines this week",
                "Share this article on Facebook Twitter Email",
            ]);
        }
        if all || self == Edit::RewriteFirstSentence {
            if let Some(first) = paragraphs.first_mut() {
                let end = first
                    .char_indices()
                    .find(|&(i, c)| {
                        matches!(c, '.' | '!' | '?')
                            && first[i + c.len_utf8()..].starts_with([' ', '\n'])
                    })
                    .map_or(first.len(), |(i, c)| i + c.len_utf8());
                let rest = first[end..].trim_start().to_string();
                *first = format!(
                    "Officials confirmed the news in a statement released to reporters late \
                     on Monday evening. {rest}"
                )
                .trim()
                .to_string();
            }
        }
        let mut out = String::new();
        if let Some(h) = headline {
            out.push_str(&h);
            out.push_str("\n\n");
        }
        if let Some(b) = byline {
            out.push_str(b);
            out.push_str("\n\n");
        }
        out.push_str(&paragraphs.join("\n\n"));
        for t in tail {
            out.push_str("\n\n");
            out.push_str(t);
        }
        out.push('\n');
        out
    }
}

/// The paragraphs of `body`; one paragraph is cut into paragraphs of three sentences.
fn paragraphs_of(body: &str) -> Vec<String> {
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.len() != 1 {
        return paragraphs;
    }
    let sentences: Vec<&str> = paragraphs[0].split_inclusive(". ").collect();
    sentences
        .chunks(3)
        .map(|c| c.concat().trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Rates rise again\n\nThe bank raised rates. It was the third rise.\n\n\
        Markets were calm and traders said the move had been expected for weeks.\n\n\
        Economists expect more.\n";

    #[test]
    fn each_edit_changes_what_it_says() {
        assert!(Edit::Headline
            .apply(STORY)
            .starts_with("UPDATE: Rates rise again - latest\n"));
        assert!(!Edit::DropParagraph
            .apply(STORY)
            .contains("Markets were calm"));
        let more = Edit::BylineAndReadMore.apply(STORY);
        assert!(more.contains("By Chris Morgan") && more.contains("Read more:"));
        let rewritten = Edit::RewriteFirstSentence.apply(STORY);
        assert!(!rewritten.contains("The bank raised rates."));
        assert!(rewritten.contains("It was the third rise."));
        let all = Edit::All.apply(STORY);
        assert!(all.starts_with("UPDATE:") && all.contains("Read more:"));
        assert!(all.contains("Economists expect more."));
    }

    #[test]
    fn a_story_of_one_paragraph_without_headline() {
        let story = "One thing happened. Two things followed. Three people said so. \
            Four more came. Five went home. Six stayed. Seven left at night.";
        let edited = Edit::Headline.apply(story);
        assert!(edited.starts_with("UPDATE: the latest on this story\n\nOne thing happened."));
        let dropped = Edit::DropParagraph.apply(story);
        assert!(dropped.contains("One thing") && dropped.contains("Seven left"));
        assert!(!dropped.contains("Four more came."), "{dropped}");
    }
}
