//! Word lists for sentence-boundary decisions: abbreviations by how they behave
//! before a capitalised word, and common sentence-opening words.

/// Titles and other abbreviations that never end a sentence when the next word is
/// capitalised or a number ("Mr. Putin", "St. John", "e.g. Germany", "vs. Chelsea").
const NEVER_END: &[&str] = &[
    "Adm", "Amb", "Atty", "Brig", "Capt", "Cdr", "Cmdr", "Col", "Cpl", "Det", "Dr", "Fr", "Gen",
    "Gov", "Hon", "Insp", "Lt", "Maj", "Messrs", "Mlle", "Mme", "Mmes", "Mr", "Mrs", "Ms", "Msgr",
    "Mt", "Mx", "Pres", "Prof", "Pte", "Pvt", "Rep", "Rev", "Rt", "Sen", "Sgt", "St", "Supt",
    "approx", "ca", "cf", "e.g", "E.g", "i.e", "I.e", "v", "viz", "vs", "Vs",
];

/// Abbreviations that stand before a number ("No. 10", "p. 5", "Vol. 2") and are
/// otherwise ordinary words.
const BEFORE_NUMBER: &[&str] = &[
    "Art", "art", "Ch", "ch", "Fig", "fig", "Figs", "figs", "Nr", "nr", "No", "no", "Nos", "nos",
    "Op", "op", "p", "pp", "Para", "para", "Sec", "sec", "Tel", "tel", "Vol", "vol", "est", "Est",
];

/// Abbreviations that can end a sentence: they end one only if the next word is a
/// common sentence opener ("in the U.S. The ..." splits, "U.S. Army" does not).
const CAN_END: &[&str] = &[
    "Ave", "Bros", "Blvd", "Co", "Corp", "Dept", "Inc", "Jr", "Ltd", "Plc", "PLC", "Rd", "Sr",
    "al", "etc", "Etc", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
    "Nov", "Dec", "LLC", "Univ",
];

/// Words that commonly open a sentence in news text.
const STARTERS: &[&str] = &[
    "A",
    "About",
    "According",
    "After",
    "Afterwards",
    "Again",
    "Against",
    "All",
    "Also",
    "Although",
    "Among",
    "An",
    "Analysts",
    "And",
    "Another",
    "Any",
    "Around",
    "As",
    "At",
    "Because",
    "Before",
    "Being",
    "Both",
    "But",
    "By",
    "Critics",
    "Despite",
    "Did",
    "Do",
    "Does",
    "During",
    "Each",
    "Earlier",
    "Either",
    "Even",
    "Every",
    "Experts",
    "Few",
    "Finally",
    "First",
    "Following",
    "For",
    "From",
    "Further",
    "Furthermore",
    "He",
    "Her",
    "Here",
    "His",
    "How",
    "However",
    "I",
    "If",
    "In",
    "Indeed",
    "Instead",
    "It",
    "Its",
    "It's",
    "It’s",
    "Just",
    "Last",
    "Later",
    "Like",
    "Many",
    "Meanwhile",
    "More",
    "Moreover",
    "Most",
    "Much",
    "My",
    "Neither",
    "Never",
    "Nevertheless",
    "Next",
    "No",
    "Nobody",
    "None",
    "Nor",
    "Not",
    "Nothing",
    "Now",
    "Officials",
    "On",
    "Once",
    "One",
    "Only",
    "Or",
    "Other",
    "Others",
    "Our",
    "Over",
    "People",
    "Perhaps",
    "Police",
    "Since",
    "She",
    "So",
    "Some",
    "Still",
    "Such",
    "That",
    "The",
    "Their",
    "Then",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "Though",
    "Thus",
    "To",
    "Today",
    "Two",
    "Under",
    "Unlike",
    "Until",
    "We",
    "What",
    "When",
    "Where",
    "Whether",
    "Which",
    "While",
    "Who",
    "Why",
    "With",
    "Without",
    "Yesterday",
    "Yet",
    "You",
    "Your",
];

/// Is `token` (the word before a period, without the period) a title-like
/// abbreviation that never ends a sentence?
pub(crate) fn never_ends(token: &str) -> bool {
    NEVER_END.contains(&token)
}

/// Is `token` an abbreviation used before numbers ("No", "p", "Vol")?
pub(crate) fn before_number(token: &str) -> bool {
    BEFORE_NUMBER.contains(&token)
}

/// Is `token` an abbreviation that may or may not end a sentence? Includes dotted
/// acronyms such as "U.S", "U.K", "D.C", "a.m", "Ph.D".
pub(crate) fn can_end(token: &str) -> bool {
    CAN_END.contains(&token) || is_dotted_acronym(token)
}

/// "U.S", "E.U", "a.m", "U.S.A", "Ph.D": letters in groups of one or two joined by
/// single dots, at least two groups.
fn is_dotted_acronym(token: &str) -> bool {
    let mut groups = 0;
    for part in token.split('.') {
        let n = part.chars().count();
        if n == 0 || n > 2 || !part.chars().all(char::is_alphabetic) {
            return false;
        }
        groups += 1;
    }
    groups >= 2
}

/// "a.m", "P.M", "pm", "6p.m", "6:30am": a clock suffix, possibly glued to the time.
pub(crate) fn is_clock_suffix(token: &str) -> bool {
    let t = token.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == '.');
    matches!(t.to_ascii_lowercase().as_str(), "a.m" | "p.m" | "am" | "pm")
}

/// The days of the week, capitalised (not names, not sentence starts after a time).
pub(crate) const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Words besides [`WEEKDAYS`] that follow a time without starting a sentence:
/// short days, months, time zones ("6 p.m. Friday", "9 a.m. ET", "5 p.m. Eastern time").
const TIME_FOLLOWERS: &[&str] = &[
    "Mon",
    "Tue",
    "Tues",
    "Wed",
    "Thu",
    "Thurs",
    "Fri",
    "Sat",
    "Sun",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
    "Eastern",
    "Pacific",
    "Central",
    "Mountain",
    "Atlantic",
    "Greenwich",
    "GMT",
    "BST",
    "UTC",
    "ET",
    "EST",
    "EDT",
    "CT",
    "CST",
    "CDT",
    "MT",
    "MST",
    "MDT",
    "PT",
    "PST",
    "PDT",
    "CET",
    "CEST",
    "EET",
    "EEST",
    "IST",
    "JST",
    "KST",
    "AEST",
    "AEDT",
    "HKT",
    "SGT",
    "WIB",
    "local",
    "Local",
];

/// Does `word` follow a time within a sentence (a day, month or time zone)?
pub(crate) fn follows_time(word: &str) -> bool {
    WEEKDAYS.contains(&word) || TIME_FOLLOWERS.contains(&word)
}

/// Is `word` (already stripped of surrounding punctuation) a common sentence opener?
pub(crate) fn is_starter(word: &str) -> bool {
    STARTERS.contains(&word)
}

/// A single capital letter: an initial as in "George W. Bush".
pub(crate) fn is_initial(token: &str) -> bool {
    let mut cs = token.chars();
    matches!((cs.next(), cs.next()), (Some(c), None) if c.is_uppercase())
}

/// "1", "12", "a", "B", "iv", "XII": what numbers a list item.
pub(crate) fn is_list_number(token: &str) -> bool {
    let n = token.chars().count();
    if n == 0 {
        return false;
    }
    if token.chars().all(|c| c.is_ascii_digit()) {
        return n <= 3;
    }
    if n == 1 {
        return token.chars().all(char::is_alphabetic);
    }
    n <= 4
        && (token.chars().all(|c| "ivxlIVXL".contains(c)))
        && (token.chars().all(char::is_lowercase) || token.chars().all(char::is_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(never_ends("Mr") && never_ends("St") && never_ends("e.g"));
        assert!(!never_ends("U.S") && can_end("U.S") && can_end("a.m") && can_end("U.S.A"));
        assert!(can_end("Inc") && can_end("Jan") && !can_end("May"));
        assert!(!can_end("www.bbc") && !can_end("3.14") && !can_end("bbc.co.uk"));
        assert!(before_number("No") && !never_ends("No"));
        assert!(is_initial("W") && !is_initial("We") && !is_initial("w"));
        assert!(is_list_number("1") && is_list_number("iv") && is_list_number("b"));
        assert!(!is_list_number("2019") && !is_list_number("Ivx") && !is_list_number("word"));
        assert!(is_starter("The") && !is_starter("Army"));
        assert!(is_clock_suffix("p.m") && is_clock_suffix("A.M") && is_clock_suffix("6pm"));
        assert!(is_clock_suffix("6:30a.m") && !is_clock_suffix("U.S") && !is_clock_suffix("pmx"));
        assert!(follows_time("Friday") && follows_time("ET") && !follows_time("Mr"));
    }
}
