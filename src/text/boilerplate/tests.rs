use super::*;

#[test]
fn all_patterns_compile() {
    for r in [
        &*NOTICE,
        &*SHARE,
        &*CAPTION,
        &*TIMESTAMP,
        &*DM_BYLINE_TO_STAMP,
        &*DM_BYLINE,
        &*PLAIN_BYLINE,
        &*DATELINE_AGENCY,
        &*DATELINE_CAPS,
        &*CREDIT,
        &*CREDIT_SUFFIX,
        &*CREDIT_NAME,
        &*CREDIT_PLACE,
        &*BIO,
        &*ROLE,
        &*CREDIT_TAIL,
        &*SCROLL,
    ] {
        assert!(!r.as_str().is_empty());
    }
}

#[test]
fn notices() {
    for s in [
        "This article was republished from The Conversation under a Creative Commons license. Read the original article.",
        "This article is republished from The Conversation under a Creative Commons license.",
        "This story was originally published by ProPublica.",
        "This article originally appeared on Vox.",
        "Read the original article.",
        "Copyright 2013 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
        "© 2024 Guardian News & Media Limited",
        "All rights reserved.",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "The Associated Press contributed to this report.",
        "Reuters contributed to this story",
    ] {
        assert_eq!(line_kind(s), Some(LineKind::Notice), "{s}");
    }
    for s in [
        "Copyright law has changed a great deal since the 1990s, experts say.",
        "The book was originally published in 1960 and became a classic.",
        "He said the story was published without his consent.",
    ] {
        assert_eq!(line_kind(s), None, "{s}");
    }
}

#[test]
fn share_and_promo_lines() {
    for s in [
        "Read more",
        "Read more:",
        "READ MORE: Putin arrives in Pyongyang",
        "Read more: How the deal was done",
        "Read more about this story",
        "Share this article",
        "Share on Facebook",
        "Share",
        "Follow us on Twitter",
        "Follow @BBCWorld",
        "Follow Jane Doe on Twitter: @janedoe",
        "Click here to subscribe",
        "Sign up for our newsletter",
        "Subscribe to our daily briefing",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Related:",
        "Related: Kim visits Moscow",
        "Related articles",
        "Scroll down for video",
        "Watch: Putin's arrival in Pyongyang",
        "WATCH: the moment the treaty was signed",
        "See also: Russia's arms trade",
    ] {
        assert_eq!(line_kind(s), Some(LineKind::Share), "{s}");
    }
    for s in [
        "Read more books, the minister told schools.",
        "Readers who want to read more can visit the library.",
        "Share prices fell sharply on Monday.",
        "Following the talks, the leaders signed a treaty.",
        "Watchdogs said the deal was flawed.",
        "Related companies also reported losses.",
        "Subscribers rose 8% in the quarter.",
        "He told reporters to click on the link he had sent them.",
    ] {
        assert_eq!(line_kind(s), None, "{s}");
    }
}

#[test]
fn captions() {
    for s in [
        "Image copyright Getty Images",
        "Image caption Kim Jong Un greets Vladimir Putin at the airport",
        "Photo: Reuters",
        "Photograph: Alexander Zemlianichenko/AP",
        "(Photo by John Smith/Getty Images)",
        "Pictured: Kim Il Sung in 1948",
        "Kim Jong Un waves to the crowd (AFP Photo/KCNA via KNS)",
        "Putin and Kim at the summit. (Mikhail Metzel/Getty Images)",
    ] {
        assert_eq!(line_kind(s), Some(LineKind::Caption), "{s}");
    }
    for s in [
        "Pictures of the summit were shown on state television.",
        "The image of Kim Il Sung is everywhere in Pyongyang.",
    ] {
        assert_eq!(line_kind(s), None, "{s}");
    }
}

#[test]
fn daily_mail_byline_and_timestamps_as_prefixes() {
    let mut line = "By . Associated Press . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . 14:30 EST, 25 October 2013 . A man was arrested on Friday.";
    let mut got = Vec::new();
    while let Some((p, len)) = leading_prefix(line) {
        got.push(p);
        line = &line[len..];
    }
    assert_eq!(
        got,
        vec![
            Prefix::Byline("Associated Press".into()),
            Prefix::Timestamp,
            Prefix::Timestamp
        ]
    );
    assert_eq!(line, "A man was arrested on Friday.");

    let (p, len) = leading_prefix(
        "By . Associated Press . and Daily Mail Reporter . PUBLISHED: . 09:01 GMT, 1 May 2014 . x",
    )
    .unwrap();
    assert_eq!(
        p,
        Prefix::Byline("Associated Press and Daily Mail Reporter".into())
    );
    assert!(
        "By . Associated Press . and Daily Mail Reporter . PUBLISHED: . 09:01 GMT, 1 May 2014 . x"
            [len..]
            .starts_with("PUBLISHED")
    );

    let line = "Last updated at 10:12 AM on 1st January 2014 . The storm hit.";
    let (p, len) = leading_prefix(line).unwrap();
    assert_eq!((p, &line[len..]), (Prefix::Timestamp, "The storm hit."));
    assert!(is_timestamp_line("PUBLISHED: 14:11 EST, 25 October 2013"));
    assert!(is_timestamp_line("Published: 3 March 2014"));
    assert!(is_timestamp_line("Updated: June 19, 2024 at 4:05 p.m."));
    assert!(is_timestamp_line("Wed 19 Jun 2024 14.31 BST"));
    assert!(is_timestamp_line("June 19, 2024"));
    assert!(!is_timestamp_line("June 19, 2024 was hot."));
    assert!(!is_timestamp_line("Published research shows a rise."));
    assert!(!is_timestamp_line(
        "Updated figures are due on 3 March 2014 from the ONS."
    ));
}

#[test]
fn datelines() {
    for (line, rest) in [
        ("WASHINGTON (AP) — The president said", "The president said"),
        (
            "LONDON (Reuters) - Britain's economy grew",
            "Britain's economy grew",
        ),
        ("(CNN) -- A man was arrested", "A man was arrested"),
        (
            "SAN JUAN, Puerto Rico (AP) — Power returned",
            "Power returned",
        ),
        ("LONDON, Jan 5 (Reuters) - Shares fell", "Shares fell"),
        ("Washington (CNN)—Lawmakers agreed", "Lawmakers agreed"),
        ("WASHINGTON — The Senate voted", "The Senate voted"),
        (
            "BEIRUT, Lebanon — Israeli jets struck",
            "Israeli jets struck",
        ),
    ] {
        let (p, len) = leading_prefix(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(p, Prefix::Dateline, "{line}");
        assert_eq!(&line[len..], rest, "{line}");
    }
    for line in [
        "NATO — the alliance founded in 1949 — met.",
        "Apple (AAPL) - shares rose.",
        "The Kremlin (Moscow) said",
        "WASHINGTON (AP) — ",
    ] {
        assert_eq!(leading_prefix(line), None, "{line}");
    }
}

#[test]
fn plain_bylines() {
    assert_eq!(
        plain_byline("By John Smith, Reuters").as_deref(),
        Some("John Smith, Reuters")
    );
    assert_eq!(
        plain_byline("By JANE DOE Associated Press").as_deref(),
        Some("JANE DOE Associated Press")
    );
    assert_eq!(
        plain_byline("By Jane Doe and Bob Roe in Moscow").as_deref(),
        Some("Jane Doe and Bob Roe in Moscow")
    );
    assert_eq!(
        plain_byline("BY Jane Doe, staff writer").as_deref(),
        Some("Jane Doe, staff writer")
    );
    for s in [
        "By the time the war ended, Korea was divided.",
        "By contrast, Seoul grew rich.",
        "By Friday officials had left",
        "By Monday",
        "Bye bye",
        "By 2030, the population will shrink.",
    ] {
        assert_eq!(plain_byline(s), None, "{s}");
    }
}

#[test]
fn credits() {
    assert_eq!(
        credit_line("Reporting by John Smith and Jane Doe in Washington; Editing by Bob Roe"),
        Some(Some("John Smith and Jane Doe".into()))
    );
    assert_eq!(credit_line("(Editing by Bob Roe)"), Some(None));
    assert_eq!(credit_line("Reporting was slow this year."), None);
    let line = "Shares fell 3%. (Reporting by Jane Doe; Editing by Bob Roe)";
    let (off, names) = credit_suffix(line).unwrap();
    assert_eq!(&line[..off], "Shares fell 3%.");
    assert_eq!(names.as_deref(), Some("Jane Doe"));
    assert_eq!(credit_suffix("He said (quietly) no."), None);
}

#[test]
fn bios() {
    assert_eq!(
        bio("Robert Barnes is York St. John University’s senior historian.").as_deref(),
        Some("Robert Barnes")
    );
    assert_eq!(
        bio("Jane Q. Doe is a senior lecturer in politics at the University of Leeds.").as_deref(),
        Some("Jane Q. Doe")
    );
    assert_eq!(
        bio("Ana de Souza is professor of history at King's College London. She writes on Korea.")
            .as_deref(),
        Some("Ana de Souza")
    );
    for s in [
        "Mary Poppins was originally created by author Pamela Travers.",
        "Dame Muriel Spark is among three British authors on the list.",
        "Mr Brown has been locked in talks with finance ministers.",
        "The Producers was named best musical and Rufus Norris best director.",
        "Kim Jong Un is the leader of North Korea.",
    ] {
        assert_eq!(bio(s), None, "{s}");
    }
}

#[test]
fn lines_ending_in_a_picture_credit_are_captions() {
    for s in [
        "Rescue workers search the rubble of a school on Tuesday. REUTERS/Ana Lima",
        "A protester waves a flag outside parliament AP Photo/Tom Berg",
        "Fans celebrate in the main square | Getty Images",
        "Firefighters at the scene of the blaze. Photo: Anna Berg",
        "The lifeboat crew return to the harbour - PA",
        "Smoke rises over the harbour on Monday. AFP via Getty Images",
        "Pictured: the lifeboat crew back in the harbour",
        "(Photo: Anna Berg)",
    ] {
        assert_eq!(line_kind(s), Some(LineKind::Caption), "{s}");
    }
    for s in [
        "The company told Reuters it would appeal.",
        "Shares in Getty Images rose 5% on Monday.",
        "He said the PA had not been told.",
        "The agency Getty Images said it had withdrawn the picture.",
        "She moved to Philadelphia, PA",
        "Officials declined to comment to Reuters",
    ] {
        assert_eq!(line_kind(s), None, "{s}");
    }
}

/// The inline furniture of `line` as (text, kind).
fn inline(line: &str) -> Vec<(&str, LineKind)> {
    inline_furniture(line)
        .into_iter()
        .map(|(s, e, k)| (&line[s..e], k))
        .collect()
}

#[test]
fn inline_captions_and_scroll_lines() {
    let page = "Thousands came to the beach for the kite festival on Sunday. Scroll down for video Flying high: A giant kite shaped like a whale rises over the dunes at the start of the festival Crowds: Families watch from the sand as the wind picks up The organisers said the event would return next year.";
    assert_eq!(
        inline(page),
        vec![
            ("Scroll down for video", LineKind::Share),
            (
                "Flying high: A giant kite shaped like a whale rises over the dunes at the start of the festival",
                LineKind::Caption
            ),
            (
                "Crowds: Families watch from the sand as the wind picks up",
                LineKind::Caption
            ),
        ]
    );
    let t = "The council published the list on Monday. Click here to see all the closures The list runs to 40 pages. Click here for more.";
    assert_eq!(
        inline(t),
        vec![
            ("Click here to see all the closures", LineKind::Share),
            ("Click here for more.", LineKind::Share)
        ]
    );
    // A caption after a story sentence, ending where the story resumes with "She".
    let t = "The mayor opened the bridge on Friday. Grand opening: The mayor cuts the ribbon watched by residents She said it had taken ten years.";
    assert_eq!(
        inline(t),
        vec![(
            "Grand opening: The mayor cuts the ribbon watched by residents",
            LineKind::Caption
        )]
    );
    let t = "Works began in May. Muddy: Volunteers clear the site of the old mill In a statement the council thanked them.";
    assert_eq!(
        inline(t),
        vec![(
            "Muddy: Volunteers clear the site of the old mill",
            LineKind::Caption
        )]
    );
    // Captions that run to the end of the line, in a chain; all-caps labels.
    let t = "It was the wettest April on record. SCROLL DOWN FOR VIDEO Washed out: Water covers the main road into town on Monday morning STRANDED: A driver waits on the roof of his car for rescuers";
    let got = inline(t);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, "SCROLL DOWN FOR VIDEO");
    assert!(got[1].0.starts_with("Washed out:") && got[1].0.ends_with("morning"));
    assert!(got[2].0.starts_with("STRANDED:") && got[2].0.ends_with("rescuers"));
}

#[test]
fn sentences_with_colons_are_not_captions() {
    for t in [
        // quotations, transcripts and titles end with a full stop
        "The minister was clear. Smith: We will rebuild the town within a year.",
        "Mr Smith said: We will rebuild the town and it will be better than before",
        "She admits: 'I never thought we would win this' and laughed",
        "He stars in Fall of Rome: The Last Days of the Empire, which opens on Friday.",
        "His films include Heathers, Robin Hood: Prince of Thieves and more recently Churchill: The Hollywood Years.",
        "The report reached one conclusion: Ministers must act now to protect the coast",
        "They flew to the capital of the country: Paris was their first stop on the tour",
        "Goals: 12 Assists: 7 Appearances: 30",
        "Q: What did you see? A: Nothing at all.",
        "Update: Police have arrested a man in connection with the attack on the U.S. embassy.",
        "Scroll down for more details of how the plan was drawn up, officials said.",
        "You can scroll down for video of the event.",
        "Readers who click here to vote will be counted.",
    ] {
        assert!(inline(t).is_empty(), "{t:?}: {:?}", inline(t));
    }
}

#[test]
fn inline_furniture_is_bounded_on_long_lines() {
    let t = "Label: Text without a stop and ".repeat(20_000);
    let start = std::time::Instant::now();
    let got = inline_furniture(&t);
    assert!(start.elapsed().as_secs() < 5);
    let mut pos = 0;
    for (s, e, _) in got {
        assert!(s >= pos && s < e && e <= t.len());
        pos = e;
    }
    for t in [
        "",
        ":",
        ": :",
        "A: B",
        "Ab: Cd ef",
        "é: É é é",
        "x:\u{a0}Y y y",
    ] {
        let _ = inline_furniture(t);
    }
}

#[test]
fn a_bracketed_credit_glued_to_the_first_word_is_a_dateline() {
    let cut = |l: &'static str| leading_prefix(l).map(|(p, n)| (p, &l[n..]));
    assert_eq!(
        cut("(CNN)The last time Frank Jordan spoke with his son."),
        Some((
            Prefix::Dateline,
            "The last time Frank Jordan spoke with his son."
        ))
    );
    assert_eq!(
        cut("(The Hollywood Reporter)Stan Freberg has died."),
        Some((Prefix::Dateline, "Stan Freberg has died."))
    );
    // A bracket the sentence goes on from, or one that opens an aside: kept.
    assert_eq!(cut("(CNN) reported first."), None);
    assert_eq!(cut("(Updated) the council met."), None);
    assert_eq!(cut("(and this is why) it matters."), None);
}
