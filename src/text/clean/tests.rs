use super::*;
use crate::text::segment::segment;
use crate::text::test_corpus;

fn kinds(c: &Cleaned) -> Vec<RemovedKind> {
    c.removed.iter().map(|r| r.kind).collect()
}

/// Every char of the cleaned text maps to the same char in the input, unless it is
/// whitespace, or a character that cleaning rewrites (quotes, NFC), where it must map
/// to whitespace or to something.
fn check_map(input: &str, c: &Cleaned) {
    assert_eq!(c.map.cleaned_len(), c.text.len());
    let mut last = 0;
    for (i, ch) in c.text.char_indices() {
        let o = c.map.to_original(i);
        assert!(o <= input.len());
        assert!(input.is_char_boundary(o), "offset {o} not a char boundary");
        assert!(o >= last, "map not monotonic at {i}");
        last = o;
        let oc = input[o..].chars().next();
        if ch.is_alphanumeric() && ch.is_ascii() {
            assert_eq!(
                oc,
                Some(ch),
                "cleaned {i} ({ch:?}) -> original {o} ({oc:?})"
            );
        }
    }
}

#[test]
fn seed_article() {
    let body = test_corpus::seed();
    let c = clean(&body, None);
    assert_eq!(
        c.title.as_deref(),
        Some("There’s a history to Moscow-Pyongyang collaboration – Asia Times")
    );
    assert_eq!(c.byline.as_deref(), Some("Robert Barnes"));
    assert_eq!(
        kinds(&c),
        vec![RemovedKind::Title, RemovedKind::Notice, RemovedKind::Bio]
    );
    assert!(c.text.starts_with("The Russian president, Vladimir Putin,"));
    assert!(c
        .text
        .ends_with("take risky measures to alter the situation."));
    for want in [
        "Kim Jong-us",
        "a “complete proper relationship”.",
        "the Russian forces’ growing pressure",
        "both officials’ claims",
        "the closest Russia-North Korea empire",
        "the Soviet-North Korean alliance",
        "\n\nHarks up to WWII\n\n",
    ] {
        assert!(c.text.contains(want), "missing {want:?}");
    }
    for gone in [
        "Robert Barnes",
        "Creative Commons",
        "Asia Times",
        "Jong- us",
        "Russia- North",
    ] {
        assert!(!c.text.contains(gone), "still has {gone:?}");
    }
    check_map(&body, &c);
}

#[test]
fn seed_sentence_starts_map_back_to_the_same_word() {
    let body = test_corpus::seed();
    let c = clean(&body, None);
    let spans = segment(&c.text);
    assert!(spans.len() > 40);
    for s in spans {
        let cleaned = &c.text[s.start..s.end];
        let first = cleaned.split_whitespace().next().unwrap();
        let o = c.map.to_original(s.start);
        assert!(
            body[o..].starts_with(first),
            "{first:?} maps to {:?}",
            &body[o..o + 20]
        );
        // and the end maps just past the same last character
        let last = cleaned.chars().next_back().unwrap();
        let oe = c.map.to_original(s.end);
        assert!(body[..oe].ends_with(last), "end of {cleaned:?}");
    }
}

#[test]
fn known_title_is_dropped() {
    let body = "Putin and Kim sign pact\n\nBy Jane Doe, Reuters\n\nThe two leaders met.";
    let c = clean(body, Some("Putin and Kim sign pact | Reuters"));
    assert_eq!(c.title.as_deref(), Some("Putin and Kim sign pact"));
    assert_eq!(c.byline.as_deref(), Some("Jane Doe, Reuters"));
    assert_eq!(c.text, "The two leaders met.");
    // Same line with different quotes/case/spacing still matches.
    let c = clean(
        "Kim’s “new” deal\nThe two leaders met.",
        Some("KIM'S \"NEW\"  DEAL."),
    );
    assert_eq!(c.text, "The two leaders met.");
    // A known title not at the top: the top line is still tested as a headline.
    let c = clean("Different headline\n\nText here.", Some("Something else"));
    assert_eq!(c.title.as_deref(), Some("Different headline"));
    assert_eq!(c.text, "Text here.");
}

#[test]
fn headline_detection() {
    // Only text after it; sentence-like first lines are not headlines.
    assert_eq!(clean("Only a heading", None).title, None);
    assert_eq!(clean("Only a heading", None).text, "Only a heading");
    let c = clean("It was a cold day.\n\nThen it rained.", None);
    assert_eq!(c.title, None);
    let c = clean("Campbell: E-mail row 'silly fuss'\n\nText here.", None);
    assert_eq!(
        c.title.as_deref(),
        Some("Campbell: E-mail row 'silly fuss'")
    );
    let c = clean(
        "Ethiopia's crop production up 24%\nEthiopia produced 14.27 million tonnes.",
        None,
    );
    assert_eq!(
        c.title.as_deref(),
        Some("Ethiopia's crop production up 24%")
    );
    assert_eq!(c.text, "Ethiopia produced 14.27 million tonnes.");
    // Headline + subtitle: both go; three headline-like lines: none (idempotence).
    let c = clean(
        "Big headline\nA standfirst without a stop\nThe story.",
        None,
    );
    assert_eq!(c.title.as_deref(), Some("Big headline"));
    assert_eq!(c.text, "The story.");
    assert_eq!(kinds(&c), vec![RemovedKind::Title, RemovedKind::Subtitle]);
    let three = "Big headline\n\nA standfirst\n\nA heading\n\nThe story.";
    assert_eq!(clean(three, None).text, three);
    let c = clean("key points to remember\n\nText here.", None);
    assert_eq!(c.title, None);
    let long = format!("{}\n\nText.", "Word ".repeat(40).trim());
    assert_eq!(clean(&long, None).title, None);
}

#[test]
fn wire_copy_ap_style() {
    let body = "Officials meet in Pyongyang\n\nBy JANE DOE Associated Press\n\nPYONGYANG, North Korea (AP) — Russian President Vladimir Putin arrived on Wednesday.\n\nThe visit is his first in 24 years.\n\nCopyright 2024 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.";
    let c = clean(body, None);
    assert_eq!(c.title.as_deref(), Some("Officials meet in Pyongyang"));
    assert_eq!(c.byline.as_deref(), Some("JANE DOE Associated Press"));
    assert_eq!(
        c.text,
        "Russian President Vladimir Putin arrived on Wednesday.\n\nThe visit is his first in 24 years."
    );
    assert_eq!(
        kinds(&c),
        vec![
            RemovedKind::Title,
            RemovedKind::Byline,
            RemovedKind::Dateline,
            RemovedKind::Notice
        ]
    );
    assert_eq!(c.removed[2].text, "PYONGYANG, North Korea (AP) —");
    check_map(body, &c);
}

#[test]
fn daily_mail_cnn_style() {
    let body = "By . Associated Press . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . 14:30 EST, 25 October 2013 . A man was arrested on Friday after a chase. Police said he was armed .\nHe will appear in court on Monday .";
    let c = clean(body, None);
    assert_eq!(c.byline.as_deref(), Some("Associated Press"));
    assert_eq!(c.title, None);
    assert_eq!(
        c.text,
        "A man was arrested on Friday after a chase. Police said he was armed.\nHe will appear in court on Monday."
    );
    assert_eq!(
        kinds(&c),
        vec![
            RemovedKind::Byline,
            RemovedKind::Timestamp,
            RemovedKind::Timestamp
        ]
    );
    let a = c.text.find("A man").unwrap();
    assert!(body[c.map.to_original(a)..].starts_with("A man was arrested"));

    let body = "Last updated at 10:12 AM on 1st January 2014 .\n(CNN) -- Storms battered the coast. Thousands lost power.";
    let c = clean(body, None);
    assert_eq!(c.text, "Storms battered the coast. Thousands lost power.");
    assert_eq!(
        kinds(&c),
        vec![RemovedKind::Timestamp, RemovedKind::Dateline]
    );
}

#[test]
fn scraped_web_page_style() {
    let body = "Russia and North Korea sign mutual defence pact\nPutin and Kim agree to come to each other’s aid if attacked\nWed 19 Jun 2024 14.31 BST\nShare\nVladimir Putin and Kim Jong-un have signed a mutual defence pact.\nPhotograph: Gavriil Grigorov/AP\nThe agreement was signed in Pyongyang.";
    let c = clean(
        body,
        Some("Russia and North Korea sign mutual defence pact | World news"),
    );
    use RemovedKind::*;
    assert_eq!(kinds(&c), vec![Title, Subtitle, Timestamp, Share, Caption]);
    assert_eq!(
        c.text,
        "Vladimir Putin and Kim Jong-un have signed a mutual defence pact.\nThe agreement was signed in Pyongyang."
    );
    check_map(body, &c);
    // Without metadata the headline and subtitle are found by their shape.
    let c2 = clean(body, None);
    assert_eq!(kinds(&c2), kinds(&c));
    assert_eq!(c2.text, c.text);
}

#[test]
fn reuters_style() {
    let body = "LONDON (Reuters) - Britain's economy grew 0.6% in the first quarter, official data showed.\n\nThe pound rose.\n\nReporting by John Smith in London; Editing by Bob Roe";
    let c = clean(body, None);
    assert_eq!(
        c.text,
        "Britain's economy grew 0.6% in the first quarter, official data showed.\n\nThe pound rose."
    );
    assert_eq!(c.byline.as_deref(), Some("John Smith"));
    let body = "Shares fell 3% on Tuesday.\n\nThe index closed lower. (Reporting by Jane Doe; Editing by Bob Roe)";
    let c = clean(body, None);
    assert_eq!(
        c.text,
        "Shares fell 3% on Tuesday.\n\nThe index closed lower."
    );
    assert_eq!(c.byline.as_deref(), Some("Jane Doe"));
}

#[test]
fn web_promo_lines_anywhere() {
    let body = "Putin visits Kim\n\nShare this article\n\nThe leaders met on Wednesday.\nAdvertisement\nThey signed a pact.\n\nRead more: Russia's arms trade explained\n\nImage copyright Getty Images\nImage caption Kim greets Putin\n\nThe pact covers defence. Readers who want to read more can visit the library.\n\nFollow us on Twitter\n\nSign up for our newsletter";
    let c = clean(body, None);
    assert_eq!(
        c.text,
        "The leaders met on Wednesday.\nThey signed a pact.\n\nThe pact covers defence. Readers who want to read more can visit the library."
    );
    use RemovedKind::{Caption, Share, Title};
    // leading block, then the rest in document order
    assert_eq!(
        kinds(&c),
        vec![Title, Share, Share, Share, Caption, Caption, Share, Share]
    );
    assert_eq!(c.removed[2].text, "Advertisement");
    assert_eq!(c.removed[7].text, "Sign up for our newsletter");
    check_map(body, &c);
}

#[test]
fn author_bio_only_when_it_is_a_closing_paragraph() {
    let body = "Story text here.\n\nMore story.\n\nJane Doe is a senior lecturer in politics at the University of Leeds.";
    let c = clean(body, None);
    assert_eq!(c.text, "Story text here.\n\nMore story.");
    assert_eq!(c.byline.as_deref(), Some("Jane Doe"));
    // The person is in the story: a news fact, not a bio.
    let body = "Jane Doe spoke on Monday.\n\nJane Doe is a senior lecturer in politics at Leeds.";
    assert_eq!(clean(body, None).text, body);
    // Inside a paragraph: kept.
    let body = "Story text here.\nJohn Roe is a professor at Oxford.";
    assert_eq!(clean(body, None).text, body);
}

#[test]
fn unicode_and_whitespace_normalisation() {
    let body = "\u{feff}Cafe\u{301}\u{a0}society\u{200b} grows.\r\n\r\n\r\n\tIt  was\u{2009}a\u{202f}boom .\u{0}";
    let c = clean(body, None);
    assert_eq!(c.text, "Café society grows.\n\nIt was a boom.");
    check_map(body, &c);
}

#[test]
fn hard_wrapped_text_is_reflowed_but_headings_kept() {
    let body = "The Russian president, Vladimir Putin, has spent two days in\nPyongyang, meeting the North Korean leader Kim Jong Un, and signing\na treaty that both sides described as a new chapter in their\nrelations. The Kremlin claimed that the deal would entail that\nRussia and North Korea would support each other.\n\nHarks up to WWII\n\nKim Il Sung was a relatively mysterious communist in charge of a\nsmall guerrilla group.";
    let c = clean(body, None);
    let paras: Vec<&str> = c.text.split("\n\n").collect();
    assert_eq!(paras.len(), 3);
    assert!(!paras[0].contains('\n') && paras[0].contains("in Pyongyang, meeting"));
    assert_eq!(paras[1], "Harks up to WWII");
    assert_eq!(
        paras[2],
        "Kim Il Sung was a relatively mysterious communist in charge of a small guerrilla group."
    );
    assert_eq!(segment(&c.text).len(), 4);
    // wrap with a hyphen at the line end
    assert_eq!(clean("a long-\nterm plan.", None).text, "a long-term plan.");
}

#[test]
fn idempotent_on_corpus_and_snippets() {
    let mut docs = test_corpus::all();
    for s in [
        "By . Associated Press . PUBLISHED: . 14:11 EST, 25 October 2013 . A man ran .",
        "Title here\n\nWASHINGTON (AP) — Text . More text , here.\n\nRead more",
        "a” b c” d. officials ‘ claims\n\n- item one\n- item two",
        "line one without stop\nline two lowercase\nLine Three\n\n\n\nx",
    ] {
        docs.push(("snippet".into(), s.to_string()));
    }
    for (name, body) in docs {
        let once = clean(&body, None);
        let twice = clean(&once.text, None);
        assert_eq!(twice.text, once.text, "{name} not idempotent");
        assert!(
            twice.removed.is_empty(),
            "{name}: second pass removed {:?}",
            twice.removed
        );
    }
}

#[test]
fn corpus_maps_are_consistent() {
    for (name, body) in test_corpus::all() {
        let c = clean(&body, None);
        check_map(&body, &c);
        assert!(!c.text.is_empty(), "{name}");
        // The map stays compact: far fewer anchors than bytes.
        assert!(c.map.anchor_count() < c.text.len() / 10 + 10, "{name}");
    }
}

#[test]
fn empty_and_degenerate_inputs() {
    for s in [
        "",
        " ",
        "\n\n",
        "\u{200b}\u{feff}",
        "\0\0",
        "Read more",
        "....",
        "By",
    ] {
        let c = clean(s, None);
        assert_eq!(c.text.trim(), c.text);
        check_map(s, &c);
    }
    assert_eq!(clean("", Some("")).text, "");
    assert_eq!(clean("Advertisement", None).text, "");
}

#[test]
fn large_inputs_are_linear() {
    // 100 KB single line without punctuation.
    let line = "word ".repeat(20_000);
    let t = std::time::Instant::now();
    let c = clean(&line, None);
    assert_eq!(c.text.len(), line.trim_end().len());
    // 3,000 short paragraphs with fixes to apply everywhere.
    let para = "Kim Jong- us met officials ‘ claims , said a” big deal” today.\n\n".repeat(3_000);
    let c2 = clean(&para, None);
    assert!(c2
        .text
        .contains("Kim Jong-us met officials’ claims, said a “big deal” today."));
    // ~50 MB of mixed text.
    let big =
        "The U.S. said Mr. Smith paid $1.5bn.\u{a0}It rose 2.5%.\nRead more\n".repeat(800_000);
    let c3 = clean(&big, None);
    assert!(c3.text.len() > 40_000_000);
    assert!(!c3.text.contains("Read more"));
    assert!(t.elapsed().as_secs() < 60, "too slow: {:?}", t.elapsed());
}

#[test]
fn generated_inputs_never_break_invariants() {
    let alphabet: Vec<&str> = vec![
        "a",
        "B",
        "s",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\r\n",
        ".",
        ",",
        " ,",
        "!",
        "?",
        "…",
        "\"",
        "”",
        "“",
        "‘",
        "’",
        "'",
        "(",
        ")",
        "-",
        "- ",
        "–",
        "By ",
        "By . ",
        "Read more",
        "Mr",
        "U.S",
        "\u{a0}",
        "\u{200b}",
        "\u{301}",
        "e\u{301}",
        "\u{1100}\u{1161}",
        "日",
        "。",
        "😀",
        "\t",
        "\0",
        "(AP) — ",
        "WASHINGTON",
        "PUBLISHED: ",
        "14:11 EST, 25 October 2013",
        " . ",
        "Advertisement",
        "is a professor",
        "Jane Doe",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let len = (next() % 30) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let c = clean(&s, None);
        check_map(&s, &c);
        assert_eq!(c.text.trim(), c.text, "{s:?}");
        assert!(
            !c.text.contains("  ") && !c.text.contains("\n\n\n"),
            "{s:?}"
        );
        for sp in segment(&c.text) {
            assert!(c.text.is_char_boundary(sp.start) && c.text.is_char_boundary(sp.end));
            let o = c.map.to_original(sp.start);
            assert!(s.is_char_boundary(o));
        }
    }
}

#[test]
fn generated_articles_clean_idempotently() {
    let words = [
        "the", "deal", "Kim", "Putin", "said", "U.S.", "Mr.", "on", "Monday", "3.5%", "war",
    ];
    let extras = [
        "Read more: the deal explained",
        "Advertisement",
        "By Jane Doe, Reuters",
        "WASHINGTON (AP) — The talks ended.",
        "Copyright 2024 The Associated Press. All rights reserved.",
        "Harks up to WWII",
        "A Standfirst Without Stop",
        "Wed 19 Jun 2024 14.31 BST",
        "Kim Jong- us met officials ‘ claims , a” big deal” .",
        "- a list item",
        "1. First point.",
        "Jane Roe is a lecturer in history at Leeds.",
    ];
    let seps = ["\n", "\n\n", " \n", "\r\n", "\n\n\n"];
    let mut state: u64 = 0x1234_5678_9abc_def1;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..1500 {
        let mut doc = String::new();
        for _ in 0..1 + next(8) {
            if next(3) == 0 {
                doc.push_str(extras[next(extras.len())]);
            } else {
                let n = 2 + next(12);
                let mut sent: Vec<&str> = (0..n).map(|_| words[next(words.len())]).collect();
                sent[0] = ["The", "Kim", "It", "Officials"][next(4)];
                doc.push_str(&sent.join(" "));
                doc.push_str([".", "", "?", ".\""][next(4)]);
            }
            doc.push_str(seps[next(seps.len())]);
        }
        let once = clean(&doc, None);
        let twice = clean(&once.text, None);
        assert_eq!(twice.text, once.text, "not idempotent on {doc:?}");
        check_map(&doc, &once);
    }
}

#[test]
fn flattened_page_loses_inline_captions() {
    // A page flattened to one line: captions and the video prompt between paragraphs.
    let body = "A giant kite shaped like a whale took to the sky above Margate on Sunday. Organisers said 20,000 people came to watch. Scroll down for video Flying high: Half of the kite rose over the dunes before the wind dropped Skilful: The team behind the kite spent two years building it The kite weighs 300kg and needs a crew of ten. It will fly again in August.";
    let c = clean(body, None);
    assert_eq!(
        c.text,
        "A giant kite shaped like a whale took to the sky above Margate on Sunday. Organisers said 20,000 people came to watch.\nThe kite weighs 300kg and needs a crew of ten. It will fly again in August."
    );
    use RemovedKind::{Caption, Share};
    assert_eq!(kinds(&c), vec![Share, Caption, Caption]);
    assert_eq!(
        c.removed[1].text,
        "Flying high: Half of the kite rose over the dunes before the wind dropped"
    );
    check_map(body, &c);
    let s: Vec<&str> = segment(&c.text).iter().map(|s| s.text(&c.text)).collect();
    assert_eq!(s.len(), 4);
    assert_eq!(s[2], "The kite weighs 300kg and needs a crew of ten.");
    // Cleaning its own output changes nothing more.
    assert_eq!(clean(&c.text, None).text, c.text);
}

#[test]
fn caption_lines_in_wire_copy() {
    let body = "Floods hit the north\n\nRivers burst their banks across the region on Tuesday, forcing hundreds from their homes.\n\nResidents wade through a flooded street in Carlisle. REUTERS/Ana Lima\n\nPictured: a rescue boat on the high street\n\nThe Environment Agency issued 40 flood warnings. Click here to see the full list\n\nRead more: How to prepare for a flood\n\nMore rain is expected on Thursday.";
    let c = clean(body, None);
    assert_eq!(
        c.text,
        "Rivers burst their banks across the region on Tuesday, forcing hundreds from their homes.\n\nThe Environment Agency issued 40 flood warnings.\n\nMore rain is expected on Thursday."
    );
    use RemovedKind::{Caption, Share, Title};
    assert_eq!(kinds(&c), vec![Title, Caption, Caption, Share, Share]);
    assert_eq!(c.removed[3].text, "Click here to see the full list");
    check_map(body, &c);
}

#[test]
fn bbc_stories_have_no_captions_removed() {
    // BBC text carries no captions: anything taken for one would be a false positive.
    for (name, body) in test_corpus::bbc() {
        let c = clean(&body, None);
        let caps: Vec<_> = c
            .removed
            .iter()
            .filter(|r| matches!(r.kind, RemovedKind::Caption | RemovedKind::Share))
            .collect();
        assert!(caps.is_empty(), "{name}: {caps:?}");
    }
}
