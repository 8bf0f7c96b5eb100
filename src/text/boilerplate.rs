//! Recognisers for boilerplate lines and line prefixes: publication notices,
//! share/follow/promo lines, photo captions, bylines, timestamps, datelines, credits
//! and author bios. Each works on one whole (logical) line and is anchored at both
//! ends or bounded in length, so a real sentence that merely mentions "read more"
//! is never touched. Publisher-neutral: they cover the common wire and web styles.

use std::sync::LazyLock;

use regex::Regex;

fn re(pattern: &str) -> Regex {
    // Patterns are constants, tested below; a failure is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad boilerplate pattern: {e}"))
}

/// Whole-line categories that may appear anywhere in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Notice,
    Share,
    Caption,
}

const MAX_NOTICE: usize = 600;
const MAX_SHARE: usize = 200;
const MAX_CAPTION: usize = 250;

static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(?:
        this\s+(?:article|story|piece|post|report|column|essay|content|interview|feature|
                 commentary|op-ed|blog\s+post|analysis|version)\b.*?\b
          (?:re-?published|originally\s+(?:appeared|published|ran|posted)|
             first\s+(?:appeared|published|ran)|appeared\s+(?:originally|first)|
             was\s+(?:first\s+|originally\s+)?published|is\s+(?:re)?published|
             has\s+been\s+(?:re)?published|(?:is|was)\s+(?:reproduced|reprinted|syndicated)|
             was\s+produced\s+(?:by|in\s+partnership|in\s+collaboration))\b.*
      | read\s+the\s+original\s+(?:article|story|post|piece)\.?
      | (?:copyright|\(c\))\s*©?\s*\d{4}\b.*
      | ©.*
      | .*\ball\s+rights\s+reserved\.?
      | .*\bmay\s+not\s+be\s+(?:re)?published,\s*broadcast,\s*rewritten,?\s+or\s+redistributed\b.*
      | .*\bcontributed\s+to\s+this\s+(?:report|story|article)\.?
      | .*\bunder\s+a\s+creative\s+commons\b.*
    )$")
});

static SHARE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(?:
        read\s+more(?:\s*(?::|–|—|-|»|>>|\.\.\.|…|\|).*|\s+(?:here|at|on|about|from|in)\b.*|\.)?
      | (?:more|see\s+also|also\s+read|recommended(?:\s+reading)?|most\s+read|top\s+stories|
           trending(?:\s+now)?|you\s+may\s+also\s+like|more\s+(?:on|from)\s+this\s+story|
           related(?:\s+(?:articles?|stories|story|content|topics|links|coverage|reading|news|posts?))?)
        \s*(?::.*)?
      | share(?:\s+(?:this|on|via|the\s+story|article|story|page)\b.*)?
      | follow\s+(?:us\b|@\w+).*
      | follow\s+.{1,60}?\s+on\s+(?:twitter|facebook|instagram|x|threads|bluesky|linkedin|tiktok|youtube|mastodon)\b.*
      | click\s+here\b.*
      | (?:sign\s+up|subscribe)\s+(?:for|to|here|now|today)\b.*
      | (?:advertisement|advert|sponsored(?:\s+content)?|story\s+continues\s+below(?:\s+advertisement)?|
           continue\s+reading(?:\s+(?:below|the\s+main\s+story))?|article\s+continues\s+below|
           skip\s+advertisement|scroll\s+to\s+continue(?:\s+with\s+content)?)\.?
      | scroll\s+down\s+for\s+(?:the\s+)?(?:videos?|more)\b.*
      | (?:watch|video|listen|audio)\s*:.*
      | watch(?:\s+the)?\s+(?:video|live)\b.*
      | watch
      | (?:print|email|e-mail|save|bookmark)(?:\s+this)?(?:\s+(?:article|story|page))?
    )$")
});

static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(?:
        image\s+(?:copyright|caption|source|credit)\b.*
      | (?:photo|photograph|picture|image|video|illustration|graphic|main\s+image|top\s+image|
           file\s+photo|credit)(?:\s+(?:credit|courtesy|source))?\s*:.*
      | \((?:photo|picture|image|photograph)s?\s*(?:by|courtesy|credit|:)[^()]*\)\.?
      | pictured\s*(?::|\b(?:above|below|left|right|top|bottom)\b).*
      | .*\((?:[^()]*/\s*)?(?:getty\s+images|ap\s+photo|afp\s+photo|reuters\s+photo|epa\s+photo|
           shutterstock|alamy|pa\s+wire|pa\s+images)\b[^()]*\)\.?
    )$")
});

/// A line that ends in a picture credit after a sentence or a separator: "Crowds at
/// the gates on Monday. REUTERS/Jane Doe", "The kite in flight | Getty Images",
/// "Rescuers at work (Photo: AP)" is handled by [`CAPTION`]. Without a separator only
/// the unambiguous agency forms count ("… the gates AP Photo/Jane Doe").
static CREDIT_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    let agency = r"(?:Getty\s+Images|AP\s+Photo|AFP(?:\s+(?:Photo|via\s+Getty\s+Images))?|REUTERS|Reuters|EPA(?:-EFE)?|PA(?:\s+(?:Wire|Images|Media))?|Shutterstock|Alamy|Rex\s+Features|Rex/Shutterstock|Xinhua|Anadolu(?:\s+Agency)?)";
    let name = r"[\p{L}][\p{L}\x20.'’-]{0,50}";
    re(&format!(
        r"(?x)(?:
            (?:[.!?][\x22'”’)]*\s+|\s+[|–—-]\s+)
              (?:(?i:photo|picture|image|photograph)s?(?:\s+(?i:credit))?\s*:\s*{name}|{agency}(?:\s*/\s*{name})?)
          | \s+(?:AP\s+Photo|REUTERS|AFP\s+Photo|EPA)\s*/\s*{name}
          | \s+Getty\s+Images
        )$"
    ))
});

/// Is `line` (short, already a caption candidate by length) ending in a credit?
fn ends_in_credit(line: &str) -> bool {
    CREDIT_TAIL.is_match(line)
}

/// "Scroll down for video" and the like, anywhere in a line.
static SCROLL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bscroll\s+down\s+(?:for|to\s+(?:see|watch))\s+(?:the\s+)?(?:videos?|more(?:\s+videos?)?)\b",
    )
});

/// "Click here to see the pictures" and the like, anywhere in a line.
static CLICK: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bclick\s+here\s+(?:to|for)\b"));

/// Most words of a "Click here …" prompt.
const MAX_PROMPT_WORDS: usize = 25;

/// Most words in a caption's label ("Flying high", "The bride and her grooms").
const MAX_LABEL_WORDS: usize = 6;
/// Most words in the label of a caption that is a whole line.
const MAX_LINE_LABEL_WORDS: usize = 4;
/// Most words in an inline caption's text after the label.
const MAX_INLINE_CAPTION_WORDS: usize = 60;

/// Words a caption's text must run before a full stop for the caption before it to
/// count although this one is not taken.
const MIN_RUN_ON: usize = 10;

/// Words that do not end a caption label, nor stand right before one.
const LABEL_STOP: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "as",
    "into", "than", "his", "her", "their", "its", "our", "my", "your", "this", "that",
];

/// Words that make a "Name verb: text" a quotation or list, not a caption label.
const LABEL_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "adds",
    "adding",
    "explained",
    "explains",
    "wrote",
    "writes",
    "asked",
    "asks",
    "stated",
    "states",
    "declared",
    "tweeted",
    "posted",
    "reads",
    "read",
    "include",
    "includes",
    "including",
    "are",
    "is",
    "was",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "saying",
    "warned",
    "warns",
    "noted",
    "notes",
    "replied",
    "insisted",
    "claimed",
    "confirmed",
    "announced",
    "follows",
    "following",
    "continued",
    "admitted",
    "admits",
    "admit",
    "revealed",
    "reveals",
    "insists",
    "claims",
    "confirms",
    "announces",
    "replies",
];

/// Capitalised words that open a news sentence and hardly ever follow a lowercase
/// word inside one: where a caption without a full stop gives way to the story.
const STORY_RESUMES: &[&str] = &[
    "He",
    "She",
    "They",
    "We",
    "It",
    "His",
    "Their",
    "There",
    "This",
    "But",
    "However",
    "Meanwhile",
    "Earlier",
    "According",
    "Speaking",
    "In",
    "When",
    "After",
    "Many",
    "Some",
    "Dozens",
    "Police",
    "Officials",
    "Authorities",
    "Yesterday",
    "Experts",
    "Critics",
    "Analysts",
    "Researchers",
    "Scientists",
    "Witnesses",
];

/// A whitespace-separated word of `line`: byte range.
#[derive(Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
}

/// The word without opening and closing quotes and brackets.
fn core(w: &str) -> &str {
    w.trim_start_matches(super::boundary::is_opener)
        .trim_end_matches(super::boundary::is_closer)
}

/// Does the word end a sentence: a final `.` `!` `?` `…` (before closing quotes) that
/// is not an abbreviation's or initial's ("U.S.", "Mr.", "J.")?
fn ends_sentence(w: &str) -> bool {
    let c = w.trim_end_matches(super::boundary::is_closer);
    let Some(last) = c.chars().next_back() else {
        return false;
    };
    if last != '.' {
        return super::boundary::is_terminator(last);
    }
    let tok = core(c).trim_end_matches('.');
    !(super::abbrev::never_ends(tok)
        || super::abbrev::can_end(tok)
        || super::abbrev::is_initial(tok))
}

fn starts_upper(w: &str) -> bool {
    core(w).chars().next().is_some_and(char::is_uppercase)
}

fn lower(w: &str) -> String {
    core(w)
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// Start (word index) of a caption label ending with the word `k` ("…sweet:"), if
/// the words before the colon read as one: at most [`MAX_LABEL_WORDS`] words, the
/// first capitalised, no punctuation inside, no verb of saying or being, not ending
/// in a function word; and the word before it ends a sentence, ends a previous
/// caption (a word without punctuation that is not a function word), or there is
/// none. The nearest such start wins ("…the magazine Short and sweet:").
fn label_start(line: &str, words: &[Word], k: usize) -> Option<usize> {
    let text = |i: usize| &line[words[i].start..words[i].end];
    let last = text(k).trim_end_matches(':');
    if last.is_empty() || LABEL_STOP.contains(&lower(last).as_str()) {
        return None;
    }
    for m in (k.saturating_sub(MAX_LABEL_WORDS - 1)..=k).rev() {
        let w = text(m);
        if (m < k && w.ends_with(|c: char| ",;:.!?…".contains(c)))
            || LABEL_VERBS.contains(&lower(w).as_str())
        {
            return None; // punctuation inside the label, or a verb: "He admits:"
        }
        if !starts_upper(w) || w.starts_with('(') {
            continue;
        }
        let ok_before = m == 0 || {
            let p = text(m - 1);
            ends_sentence(p)
                || (p
                    .trim_end_matches(super::boundary::is_closer)
                    .ends_with(|c: char| c.is_alphanumeric())
                    && !LABEL_STOP.contains(&lower(p).as_str()))
        };
        if ok_before {
            return Some(m);
        }
    }
    None
}

/// Page furniture that flattened web pages put inside a running line, between
/// paragraphs and without a full stop: "Scroll down for video" (after a sentence
/// end), and picture captions, "Label: text" ("Flying high: Half of the kite took to
/// the sky"). Returns byte ranges in `line`, in order and disjoint, with their kind.
///
/// A caption's text runs to the next label, to a word that resumes the story ("…in
/// 2010 He said…", see [`STORY_RESUMES`]) or to the end of the line. If it reaches a
/// full stop first it is taken for a sentence and kept: the rule gives up recall for
/// precision. Linear: each colon looks at most a bounded number of words either side.
pub(crate) fn inline_furniture(line: &str) -> Vec<(usize, usize, LineKind)> {
    let mut out = Vec::new();
    if line.len() < 12 {
        return out;
    }
    let words = word_spans(line);
    let scroll = prompt_spans(line, &words);
    let captions = caption_spans(line, &words);
    // Merge the two ordered lists; a caption overlapping a scroll line loses.
    let (mut a, mut b) = (
        scroll.into_iter().peekable(),
        captions.into_iter().peekable(),
    );
    loop {
        let (r, kind) = match (a.peek(), b.peek()) {
            (Some(&x), Some(&y)) if x.0 <= y.0 => (a.next(), LineKind::Share),
            (Some(_), None) => (a.next(), LineKind::Share),
            (_, Some(_)) => (b.next(), LineKind::Caption),
            (None, None) => break,
        };
        let Some((s, e)) = r else { break };
        if out.last().is_none_or(|&(_, pe, _)| s >= pe) {
            out.push((s, e, kind));
        }
    }
    out
}

/// The whitespace-separated words of `line`, as byte spans.
fn word_spans(line: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push(Word { start: s, end: i });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(Word {
            start: s,
            end: line.len(),
        });
    }
    words
}

/// "Scroll down for video" and "Click here to …" prompts in `line` (after a sentence
/// end or at the start), as sorted byte spans.
fn prompt_spans(line: &str, words: &[Word]) -> Vec<(usize, usize)> {
    let text = |i: usize| &line[words[i].start..words[i].end];
    // Scroll lines: after a sentence end (or at the start), before a capital or the end.
    let mut scroll = Vec::new();
    for m in SCROLL.find_iter(line) {
        let before = line[..m.start()].trim_end();
        let after = line[m.end()..].trim_start();
        let before_ok = before.is_empty()
            || before
                .split_whitespace()
                .next_back()
                .is_some_and(ends_sentence);
        let after_ok = after.is_empty()
            || starts_upper(after)
            || after.starts_with(|c: char| c.is_ascii_digit());
        if before_ok && after_ok {
            scroll.push((m.start(), m.end()));
        }
    }
    // "Click here to …" after a sentence end: to the end of its sentence or line.
    for m in CLICK.find_iter(line) {
        let before = line[..m.start()].trim_end();
        let before_ok = before.is_empty()
            || before
                .split_whitespace()
                .next_back()
                .is_some_and(ends_sentence);
        let first = words.partition_point(|w| w.start < m.start());
        // It ends at a full stop, the end of the line, or before a capitalised word
        // (the story going on without a stop, or a name: then less is taken).
        let stop = (first..words.len().min(first + MAX_PROMPT_WORDS)).find_map(|j| {
            if j > first + 2 && starts_upper(text(j)) {
                Some(j - 1)
            } else {
                (ends_sentence(text(j)) || j + 1 == words.len()).then_some(j)
            }
        });
        if let (true, Some(j)) = (before_ok, stop) {
            scroll.push((m.start(), words[j].end));
        }
    }
    scroll.sort_unstable();
    scroll
}

/// Inline "Label: text" captions in `line`, as byte spans in order.
fn caption_spans(line: &str, words: &[Word]) -> Vec<(usize, usize)> {
    let text = |i: usize| &line[words[i].start..words[i].end];
    // Labels: (first word, word with the colon).
    let mut labels = Vec::new();
    for k in 0..words.len() {
        let w = text(k);
        if w.len() > 1 && w.ends_with(':') && k + 1 < words.len() && starts_upper(text(k + 1)) {
            if let Some(m) = label_start(line, words, k) {
                if labels.last().is_none_or(|&(_, pk)| m > pk) {
                    labels.push((m, k));
                }
            }
        }
    }
    // From the last label back, so that a caption ending where the next label starts
    // is taken only if that next one is a caption too ("Robin Hood: Prince of Thieves
    // and Churchill: The Hollywood Years." is a sentence, not two captions).
    // Per label: taken as a caption, or else how many words its text ran before a
    // full stop (a short "Label: Title." is part of a sentence; a long run is a
    // caption that ran on into the next paragraph).
    let mut accepted = vec![false; labels.len()];
    let mut ran = vec![usize::MAX; labels.len()];
    let mut captions = Vec::new();
    for (li, &(m, k)) in labels.iter().enumerate().rev() {
        let next_label = labels.get(li + 1).map(|&(nm, _)| nm);
        let mut end = None;
        for j in k + 1..words.len().min(k + 2 + MAX_INLINE_CAPTION_WORDS) {
            if Some(j) == next_label {
                end = (accepted[li + 1] || ran[li + 1] >= MIN_RUN_ON).then_some(j);
                break;
            }
            let w = text(j);
            // "The" opens titles too ("presents The One Show"): only after a long run.
            let resumes = STORY_RESUMES.contains(&core(w)) || (core(w) == "The" && j > k + 6);
            if j > k + 2 && resumes {
                let p = text(j - 1);
                if p.ends_with(|c: char| c.is_alphanumeric())
                    && !LABEL_STOP.contains(&lower(p).as_str())
                {
                    end = Some(j);
                    break;
                }
            }
            if ends_sentence(w) {
                ran[li] = j - k;
                break; // a full sentence: keep it
            }
            if j + 1 == words.len() {
                end = Some(words.len());
            }
        }
        // A whole line "Label: text" without a stop may be a sentence that lost its
        // stop: only a short label makes it a caption.
        let whole_line = m == 0 && end == Some(words.len()) && k + 1 - m > MAX_LINE_LABEL_WORDS;
        if let Some(e) = end.filter(|&e| e >= k + 3 && !whole_line) {
            accepted[li] = true;
            captions.push((words[m].start, words[e - 1].end));
        }
    }
    captions.reverse();
    captions
}

/// Classify a whole line as notice, share/promo or caption boilerplate.
pub(crate) fn line_kind(line: &str) -> Option<LineKind> {
    let n = line.len();
    if n <= MAX_SHARE && SHARE.is_match(line) {
        return Some(LineKind::Share);
    }
    if n <= MAX_CAPTION && (CAPTION.is_match(line) || ends_in_credit(line)) {
        return Some(LineKind::Caption);
    }
    if n <= MAX_NOTICE && NOTICE.is_match(line) {
        return Some(LineKind::Notice);
    }
    None
}

const MONTH: &str = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?";

/// A time and/or date as printed in web bylines.
fn stamp_pattern() -> String {
    let time = r"\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?\s?[Mm]\.?)?(?:\s+[A-Z]{2,5}\b)?";
    let day = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?";
    let date = format!(
        r"{day}(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+\d{{4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    );
    format!(r"(?:{time},?\s+(?:on\s+)?{date}|{date}(?:,?\s+(?:at\s+)?{time})?|{time})")
}

/// "PUBLISHED: . 14:11 EST, 25 October 2013 . ", "| . UPDATED: . …", "Last updated at
/// 10:12 AM on 1st January 2014 .", "Published: 3 March 2014". Matches a prefix.
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?:\|\s*)?(?:\.\s+)?(?i:published|updated|last\s+updated|posted|first\s+published|last\s+modified|modified)\s*(?::\s*)?(?:\.\s+)?(?:(?i:at|on)\s+)?{}(?:\s*\.(?:\s+|$)|\s*\|\s*|\s*$)",
        stamp_pattern()
    ))
});

/// Daily Mail style "By . Name . " before PUBLISHED/UPDATED (the name may itself
/// contain " . and "), or a plain "By . Name . " prefix.
static DM_BYLINE_TO_STAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^By\s*\.\s+(?P<name>.+?)\s+\.\s+(?:\|\s+\.\s+)?(?P<next>(?:PUBLISHED|UPDATED)\s*:|Last\s+updated\b)",
    )
});
static DM_BYLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^By\s*\.\s+(?P<name>[^.]{1,100}?)\s+\.(?:\s+|$)"));

/// A whole line "By Jane Doe, Reuters" / "BY JANE DOE Associated Press".
static PLAIN_BYLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?i:by)[:\s]\s*(?P<name>[^.!?]{2,150}?)\.?$"));

const AGENCY: &str = r"(?:AP|AFP|CNN|Reuters|UPI|dpa|DPA|Xinhua|Bloomberg|PA|IANS|ANI|PTI|Kyodo|Yonhap|TASS|Tass|RIA|EFE|ANSA|BBC|NBC|ABC|CBS|NPR|WSJ|CNBC|AAP|CP|Thomson\s+Reuters\s+Foundation|The\s+Conversation|CNN\s+Business|CNNMoney|[A-Z][A-Za-z]*(?:\s+[A-Z][A-Za-z]*){0,2}\s+(?:News|Press|Wire|Online|Business|Money|Foundation|Service|Agency))";

/// "WASHINGTON (AP) — ", "LONDON (Reuters) - ", "(CNN) -- ", "SAN JUAN, Puerto Rico
/// (AP) — ", "LONDON, Jan 5 (Reuters) - ".
static DATELINE_AGENCY: LazyLock<Regex> = LazyLock::new(|| {
    let place = r"[A-Z][\p{L}'’.-]*";
    re(&format!(
        r"^(?:{place}(?:,?\s+{place}){{0,5}}(?:,?\s+{MONTH}\s+\d{{1,2}})?,?\s*)?\({AGENCY}\)\s*(?:—|–|--|-|:)\s*"
    ))
});

/// "(CNN)The …", "(The Hollywood Reporter)Stan …": a credit in brackets opening the
/// text, with the story's first word right after it (no space, no dash).
static DATELINE_CREDIT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\([A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3}\)"));

/// "WASHINGTON — ", "BEIRUT, Lebanon — ": an all-caps place and a dash.
static DATELINE_CAPS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[A-Z][A-Z'’.-]{2,}(?:\s+[A-Z][A-Z'’.-]+)*(?:,\s+[A-Z][\p{L}'’.-]*(?:\s+[A-Z][\p{L}'’.-]*){0,3})?\s+(?:—|–|--)\s+",
    )
});

/// A prefix of a leading line that is boilerplate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// "By . Name . " (Daily Mail style); carries the name.
    Byline(String),
    /// "PUBLISHED: … ." and similar.
    Timestamp,
    /// "WASHINGTON (AP) — ".
    Dateline,
}

/// Boilerplate at the start of `line`: its kind and byte length (including the
/// whitespace after it). Datelines only count when text follows that does not start
/// in lowercase.
pub(crate) fn leading_prefix(line: &str) -> Option<(Prefix, usize)> {
    if let Some(c) = DM_BYLINE_TO_STAMP.captures(line) {
        let (name, next) = (c.name("name")?, c.name("next")?);
        if name.as_str().len() <= 200 {
            return Some((
                Prefix::Byline(tidy_dotted_name(name.as_str())),
                next.start(),
            ));
        }
    }
    if let Some(c) = DM_BYLINE.captures(line) {
        let name = c.name("name")?;
        return Some((
            Prefix::Byline(tidy_dotted_name(name.as_str())),
            c.get(0)?.end(),
        ));
    }
    if let Some(m) = TIMESTAMP.find(line) {
        return Some((Prefix::Timestamp, m.end()));
    }
    if let Some(m) = DATELINE_CREDIT.find(line) {
        if line[m.end()..].starts_with(|c: char| c.is_uppercase() || "\"“‘".contains(c)) {
            return Some((Prefix::Dateline, m.end()));
        }
    }
    for r in [&*DATELINE_AGENCY, &*DATELINE_CAPS] {
        if let Some(m) = r.find(line) {
            let rest = &line[m.end()..];
            if !rest.is_empty() && !super::boundary::starts_lowercase(rest) {
                return Some((Prefix::Dateline, m.end()));
            }
        }
    }
    None
}

/// "Associated Press . and Daily Mail Reporter" → "Associated Press and Daily Mail
/// Reporter".
fn tidy_dotted_name(s: &str) -> String {
    s.split_whitespace()
        .filter(|w| *w != "." && *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lowercase words allowed inside a byline name part.
const BYLINE_SMALL: &[&str] = &[
    "and",
    "&",
    "of",
    "the",
    "de",
    "van",
    "von",
    "der",
    "den",
    "da",
    "di",
    "du",
    "del",
    "la",
    "le",
    "y",
    "in",
    "for",
    "at",
    "bin",
    "al",
    "el",
    "staff",
    "writer",
    "reporter",
    "correspondent",
    "editor",
    "senior",
    "chief",
    "political",
    "business",
    "news",
    "with",
    "|",
    "-",
    "–",
    "—",
    "/",
];

/// Capitalised words that start a "By …" line without being a name (besides the
/// weekdays).
const NOT_NAMES: &[&str] = &["Then", "Now", "Contrast", "Comparison", "Far", "Law"];

/// A whole line that is a byline: "By Jane Doe, Reuters". Returns the name part.
pub(crate) fn plain_byline(line: &str) -> Option<String> {
    if line.len() > 160 {
        return None;
    }
    let c = PLAIN_BYLINE.captures(line)?;
    let name = c.name("name")?.as_str().trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() || words.len() > 16 {
        return None;
    }
    let first = words[0].trim_matches(|c: char| !c.is_alphanumeric());
    if !first.chars().next().is_some_and(char::is_uppercase)
        || NOT_NAMES.contains(&first)
        || super::abbrev::WEEKDAYS.contains(&first)
    {
        return None;
    }
    let ok = words.iter().all(|w| {
        let core = w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')'));
        core.is_empty()
            || core
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            || BYLINE_SMALL.contains(&core.to_lowercase().as_str())
    });
    ok.then(|| name.trim_end_matches([',', ';', ':']).to_string())
}

/// Is the whole line a timestamp ("Published: 3 March 2014", "Last updated at …")?
pub(crate) fn is_timestamp_line(line: &str) -> bool {
    TIMESTAMP.find(line).is_some_and(|m| m.end() == line.len()) || BARE_STAMP.is_match(line)
}

/// A line that is only a date and/or time: "Wed 19 Jun 2024 14.31 BST".
static BARE_STAMP: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^{}\.?$", stamp_pattern())));

/// Reuters-style credits: "Reporting by X; Editing by Y", "(Additional reporting by Z)".
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|research|production|graphics)\s+by\b[^()]*\)?\.?$",
    )
});
/// The same credit in parentheses at the end of a paragraph.
static CREDIT_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\s*\(\s*(?:additional\s+)?(?:reporting|writing|editing)\s+by\b[^()]*\)\.?$")
});
static CREDIT_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:^|[(;]\s*)(?:reporting|writing)\s+by\s+(?P<n>[^;()]+)"));
static CREDIT_PLACE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\s+(?:in|at|from)\s+[A-Z][\p{L} ,.'’-]*$"));

/// A whole credit line; returns the reporter names if given.
pub(crate) fn credit_line(line: &str) -> Option<Option<String>> {
    if line.len() > 300 || !CREDIT.is_match(line) {
        return None;
    }
    Some(credit_names(line))
}

/// A credit in parentheses ending `line`: its start offset and the reporter names.
pub(crate) fn credit_suffix(line: &str) -> Option<(usize, Option<String>)> {
    let m = CREDIT_SUFFIX.find(line)?;
    if m.len() > 300 || m.start() == 0 {
        return None;
    }
    Some((m.start(), credit_names(m.as_str())))
}

fn credit_names(s: &str) -> Option<String> {
    let n = CREDIT_NAME.captures(s)?.name("n")?.as_str();
    let n = CREDIT_PLACE.replace(n, "");
    let n = n.trim().trim_end_matches(['.', ',', ')']).trim();
    (!n.is_empty()).then(|| n.to_string())
}

static BIO: LazyLock<Regex> = LazyLock::new(|| {
    let tok = r"(?:[A-Z][\p{L}'’-]+|[A-Z]\.)";
    re(&format!(
        r"^(?P<name>{tok}(?:\s+(?:{tok}|de|van|von|der|den|da|di|du|del|la|le|bin|al|el)){{1,4}})\s+(?:is|was|has\s+been|serves\s+as|works\s+as)\s+(?P<rest>.+)$"
    ))
});
static ROLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:professor|lecturer|historian|researcher|fellow|correspondent|editor|reporter|writer|author|analyst|director|journalist|columnist|scientist|economist|scholar|contributor|student|candidate|chair|dean|expert|associate|producer|commentator|curator|consultant|teacher|lawyer|academic|specialist|strategist|adviser|advisor|ph\.?\s?d)s?\b",
    )
});

/// An author bio line ("Robert Barnes is York St. John University’s senior
/// historian."): returns the name. The caller checks the name's surname does not
/// occur elsewhere in the story (then it is a person in the news, not the author).
pub(crate) fn bio(line: &str) -> Option<String> {
    if line.len() > 400 {
        return None;
    }
    let c = BIO.captures(line)?;
    let rest = c.name("rest")?.as_str();
    let name = c.name("name")?.as_str();
    // "Jane Doe is a lecturer …", "… is York St. John University’s senior historian",
    // "… is professor of …" — not "… was originally created by …".
    let first = rest.split_whitespace().next().unwrap_or("");
    let opens_role = BIO_OPENERS.contains(&first)
        || first.chars().next().is_some_and(char::is_uppercase)
        || ROLE.find(rest).is_some_and(|m| m.start() == 0);
    let first_name = name.split_whitespace().next().unwrap_or("");
    if !opens_role || !ROLE.is_match(rest) || NOT_NAME_START.contains(&first_name) {
        return None;
    }
    Some(name.to_string())
}

/// Words that may follow "is"/"was" in a bio before the role.
const BIO_OPENERS: &[&str] = &[
    "a",
    "an",
    "the",
    "currently",
    "also",
    "now",
    "formerly",
    "senior",
    "associate",
    "assistant",
    "emeritus",
    "honorary",
    "visiting",
    "principal",
    "chief",
    "deputy",
];

/// Capitalised sentence openers that are not part of a person's name.
const NOT_NAME_START: &[&str] = &[
    "The", "This", "That", "These", "Those", "A", "An", "It", "Its", "There",
];

#[cfg(test)]
mod tests;
