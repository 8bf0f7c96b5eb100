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

/// Classify a whole line as notice, share/promo or caption boilerplate.
pub(crate) fn line_kind(line: &str) -> Option<LineKind> {
    let n = line.len();
    if n <= MAX_SHARE && SHARE.is_match(line) {
        return Some(LineKind::Share);
    }
    if n <= MAX_CAPTION && CAPTION.is_match(line) {
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

const NOT_NAMES: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Then",
    "Now",
    "Contrast",
    "Comparison",
    "Far",
    "Law",
];

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
    if !first.chars().next().is_some_and(char::is_uppercase) || NOT_NAMES.contains(&first) {
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
