use super::*;
use crate::text::clean::clean;
use crate::text::test_corpus;

/// Sentences as strings.
fn sents(text: &str) -> Vec<&str> {
    segment(text).iter().map(|s| s.text(text)).collect()
}

/// The structural invariants every segmentation must satisfy.
fn check_invariants(text: &str) {
    let spans = segment(text);
    let mut pos = 0;
    for s in &spans {
        assert!(s.start < s.end, "empty span {s:?} in {text:?}");
        assert!(s.start >= pos, "overlap/decrease at {s:?} in {text:?}");
        assert!(s.end <= text.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        let gap = &text[pos..s.start];
        assert!(
            gap.chars().all(char::is_whitespace),
            "non-space gap {gap:?}"
        );
        let body = &text[s.start..s.end];
        assert_eq!(body.trim(), body, "untrimmed span {body:?}");
        assert!(
            body.chars().count() <= MAX_SENTENCE_CHARS,
            "span longer than the cap"
        );
        pos = s.end;
    }
    assert!(text[pos..].chars().all(char::is_whitespace));
    // Gaps + spans reproduce the text exactly.
    let mut rebuilt = String::new();
    let mut p = 0;
    for s in &spans {
        rebuilt.push_str(&text[p..s.start]);
        rebuilt.push_str(&text[s.start..s.end]);
        p = s.end;
    }
    rebuilt.push_str(&text[p..]);
    assert_eq!(rebuilt, text);
}

#[test]
fn abbreviations_and_titles_do_not_split() {
    assert_eq!(
        sents("Mr. Smith met Dr. Jones at St. Paul's. They talked."),
        vec!["Mr. Smith met Dr. Jones at St. Paul's.", "They talked."]
    );
    assert_eq!(
        sents("Robert Barnes is York St. John University’s senior historian. Next."),
        vec![
            "Robert Barnes is York St. John University’s senior historian.",
            "Next."
        ]
    );
    assert_eq!(
        sents("Gen. Smith, Col. Brown, Lt. Green, Sgt. Black and Sen. White came. Gov. Red too."),
        vec![
            "Gen. Smith, Col. Brown, Lt. Green, Sgt. Black and Sen. White came.",
            "Gov. Red too."
        ]
    );
    assert_eq!(
        sents("Prof. Ng and Mrs. Lee and Ms. Kay, Rep. Fox. It ended."),
        vec!["Prof. Ng and Mrs. Lee and Ms. Kay, Rep. Fox.", "It ended."]
    );
    assert_eq!(
        sents("Fruit, e.g. apples, i.e. food, vs. Chelsea. Done."),
        vec!["Fruit, e.g. apples, i.e. food, vs. Chelsea.", "Done."]
    );
    assert_eq!(
        sents("He lives at No. 10 Downing St. now."),
        vec!["He lives at No. 10 Downing St. now."]
    );
}

#[test]
fn us_and_similar_split_only_before_sentence_openers() {
    assert_eq!(
        sents("The U.S. Army and the U.K. government met. The E.U. agreed."),
        vec![
            "The U.S. Army and the U.K. government met.",
            "The E.U. agreed."
        ]
    );
    assert_eq!(
        sents("Troops arrived in the U.S. The president welcomed them."),
        vec!["Troops arrived in the U.S.", "The president welcomed them."]
    );
    assert_eq!(
        sents("It was sold to Apple Inc. Shares rose. Sales in the U.N. It is big."),
        vec![
            "It was sold to Apple Inc. Shares rose.",
            "Sales in the U.N.",
            "It is big."
        ]
    );
    assert_eq!(
        sents("Fruit etc. But then. Jr. and Sr. Smith met Acme Ltd. and Acme Co. It rained."),
        vec![
            "Fruit etc.",
            "But then.",
            "Jr. and Sr. Smith met Acme Ltd. and Acme Co.",
            "It rained."
        ]
    );
    assert_eq!(
        sents("It opened on Jan. 5 at 9 a.m. It closed on Feb. 2 at 5 p.m. Eastern time."),
        vec![
            "It opened on Jan. 5 at 9 a.m.",
            "It closed on Feb. 2 at 5 p.m. Eastern time."
        ]
    );
}

#[test]
fn initials() {
    assert_eq!(
        sents("J. R. R. Tolkien wrote it. George W. Bush read it."),
        vec!["J. R. R. Tolkien wrote it.", "George W. Bush read it."]
    );
    assert_eq!(
        sents("It was written by J. Smith in 1990. They need vitamin C. The end."),
        vec![
            "It was written by J. Smith in 1990.",
            "They need vitamin C.",
            "The end."
        ]
    );
}

#[test]
fn decimals_money_urls_emails() {
    assert_eq!(
        sents("Profits jumped 76% to $1.13bn (£600m) and 2.5% or 3.14. Next one."),
        vec![
            "Profits jumped 76% to $1.13bn (£600m) and 2.5% or 3.14.",
            "Next one."
        ]
    );
    assert_eq!(
        sents("See bbc.co.uk and example.com/a.b or mail a.b@example.com. Then stop."),
        vec![
            "See bbc.co.uk and example.com/a.b or mail a.b@example.com.",
            "Then stop."
        ]
    );
    assert_eq!(
        sents("Visit www.bbc.co.uk. The site is big. A U.S.-led force."),
        vec![
            "Visit www.bbc.co.uk.",
            "The site is big.",
            "A U.S.-led force."
        ]
    );
}

#[test]
fn quotes_and_brackets() {
    assert_eq!(
        sents("He said: \"No.\" She left."),
        vec!["He said: \"No.\"", "She left."]
    );
    assert_eq!(
        sents("He said: “No.” She left. ‘Why?’ he asked. ‘Go!’ It was 'over.' Yes."),
        vec![
            "He said: “No.”",
            "She left.",
            "‘Why?’ he asked.",
            "‘Go!’",
            "It was 'over.'",
            "Yes."
        ]
    );
    assert_eq!(
        sents("(See below.) Next part. It is (roughly) done. [Sic.] End."),
        vec![
            "(See below.)",
            "Next part.",
            "It is (roughly) done.",
            "[Sic.]",
            "End."
        ]
    );
    assert_eq!(
        sents("\"Our performance was strong,\" chairman Richard Parsons said. For 2005, it grew."),
        vec![
            "\"Our performance was strong,\" chairman Richard Parsons said.",
            "For 2005, it grew."
        ]
    );
}

#[test]
fn ellipses_and_combined_marks() {
    assert_eq!(
        sents("Wait... what happened?"),
        vec!["Wait... what happened?"]
    );
    assert_eq!(
        sents("Wait... What happened?"),
        vec!["Wait...", "What happened?"]
    );
    assert_eq!(
        sents("Wait… what? No… Yes."),
        vec!["Wait… what?", "No…", "Yes."]
    );
    assert_eq!(
        sents("Really?! Yes!! Ok?"),
        vec!["Really?!", "Yes!!", "Ok?"]
    );
    assert_eq!(
        sents("Wait . . . What now?"),
        vec!["Wait . . .", "What now?"]
    );
    assert_eq!(sents("\"Why?\" he asked."), vec!["\"Why?\" he asked."]);
    assert_eq!(
        sents(
            "\"Is it over?\" Mr Smith asked. \"Wait...\" Jones later recalled. \"Go!\" She left."
        ),
        vec![
            "\"Is it over?\" Mr Smith asked.",
            "\"Wait...\" Jones later recalled.",
            "\"Go!\"",
            "She left."
        ]
    );
    // A full stop inside the quote: the attribution is a new sentence.
    assert_eq!(
        sents("\"We won.\" Smith said he was happy."),
        vec!["\"We won.\"", "Smith said he was happy."]
    );
}

#[test]
fn headings_lines_and_paragraphs() {
    let t = "Harks up to WWII\n\nKim Il Sung was largely unknown. He enlisted.\nSecond line here\nThird.";
    assert_eq!(
        sents(t),
        vec![
            "Harks up to WWII",
            "Kim Il Sung was largely unknown.",
            "He enlisted.",
            "Second line here",
            "Third."
        ]
    );
    // A line break inside a sentence (lowercase continuation) is not a boundary.
    assert_eq!(
        sents("The minister said that the\nplan would go ahead.\nMr.\nSmith agreed."),
        vec![
            "The minister said that the\nplan would go ahead.",
            "Mr.\nSmith agreed."
        ]
    );
    // A quotation ending a line before one opening the next: boundary even if lowercase.
    assert_eq!(
        sents("He said: \"Just spoke to him.\"\n\"think we should go.\""),
        vec!["He said: \"Just spoke to him.\"", "\"think we should go.\""]
    );
    // Newline after an abbreviation that can end a sentence: boundary.
    assert_eq!(
        sents("Sales in the U.S.\nRussia said no."),
        vec!["Sales in the U.S.", "Russia said no."]
    );
}

#[test]
fn numbered_lists() {
    assert_eq!(
        sents("Steps:\n1. Open the box.\n2. Take it out.\na) first\nb) second"),
        vec![
            "Steps:",
            "1. Open the box.",
            "2. Take it out.",
            "a) first",
            "b) second"
        ]
    );
    assert_eq!(sents("1. First item"), vec!["1. First item"]);
    assert_eq!(
        sents("It happened in 2019. 2020 was worse."),
        vec!["It happened in 2019.", "2020 was worse."]
    );
}

#[test]
fn cjk_and_cyrillic() {
    assert_eq!(
        sents("你好。世界！真的吗？是的"),
        vec!["你好。", "世界！", "真的吗？", "是的"]
    );
    assert_eq!(
        sents("「行く。」と言った。"),
        vec!["「行く。」", "と言った。"]
    );
    assert_eq!(
        sents("Путин прибыл в Пхеньян. Он встретился с Ким Чен Ыном."),
        vec!["Путин прибыл в Пхеньян.", "Он встретился с Ким Чен Ыном."]
    );
}

#[test]
fn adversarial_inputs_hold_invariants() {
    let cases = [
        "",
        " ",
        "\n\n\n",
        ".",
        "....",
        "?!?!",
        "U.S.",
        ". . .",
        "a.b.c.d",
        "Mr.",
        "Mr. ",
        " . A",
        "😀 emoji. 👍🏽 ok! 👨‍👩‍👧 family.",
        "日本語の文。次の文！",
        "Кто? Что. Где!",
        "\r\n  Line one.\r\n\r\nLine two  \r\n",
        "(((",
        "”“‘’\"'",
        "1. 2. 3. 4.",
        "\u{a0}\u{a0}x\u{a0}.\u{a0}Y",
        "A.\u{2028}B.",
        "end.\u{200b} Next",
        "a\n\n\n\nb",
        "Wait...",
        "x .\n. y",
        "- - -\n* * *",
    ];
    for c in cases {
        check_invariants(c);
    }
    assert!(segment("").is_empty());
    assert!(segment("  \n ").is_empty());
    assert_eq!(sents("...."), vec!["...."]);
    assert_eq!(sents("U.S."), vec!["U.S."]);
}

#[test]
fn generated_strings_hold_invariants() {
    // Deterministic pseudo-random strings over a tricky alphabet.
    let alphabet: Vec<&str> = vec![
        "a", "B", " ", "  ", "\n", "\n\n", ".", "!", "?", "…", "\"", "”", "“", "’", "(", ")", "Mr",
        "U.S", "St", "1", "3.14", "é", "日", "。", "😀", "\t", "-", ",", "The", "it", "\u{a0}",
        "\r\n",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut s = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        check_invariants(&s);
    }
}

#[test]
fn long_sentence_is_capped_at_whitespace() {
    let long = "word ".repeat(20_000); // 100 KB without punctuation
    let t = std::time::Instant::now();
    let spans = segment(&long);
    assert!(t.elapsed().as_secs() < 5);
    assert!(spans.len() >= 100);
    for s in &spans {
        let body = s.text(&long);
        assert!(body.chars().count() <= MAX_SENTENCE_CHARS);
        assert!(body.starts_with("word") && body.ends_with("word"));
    }
    check_invariants(&long);
    // Prefer a clause break when there is one.
    let clauses = "alpha beta gamma, ".repeat(200);
    for s in segment(&clauses) {
        let b = s.text(&clauses);
        assert!(
            b.ends_with(',') || s.end == clauses.trim_end().len(),
            "{b:?}"
        );
    }
    // No whitespace at all: hard cut on char boundaries.
    let blob = "é".repeat(5000);
    let spans = segment(&blob);
    assert_eq!(spans.len(), 5);
    check_invariants(&blob);
}

#[test]
fn many_sentences_are_fast() {
    let text = "The U.S. said Mr. Smith paid $1.5bn. It was fine! ".repeat(3000);
    let t = std::time::Instant::now();
    let spans = segment(&text);
    assert!(t.elapsed().as_secs() < 5);
    assert_eq!(spans.len(), 6000);
}

#[test]
fn corpus_invariants_after_clean() {
    for (name, body) in test_corpus::all() {
        let c = clean(&body, None);
        check_invariants(&c.text);
        check_invariants(&body);
        assert!(!segment(&c.text).is_empty(), "{name}");
    }
}

#[test]
fn seed_sentences_come_out_whole() {
    let body = test_corpus::seed();
    let c = clean(&body, None);
    let s = sents(&c.text);
    assert!(s.contains(&"Harks up to WWII"));
    assert!(s.contains(&"The condition then quickly changed."));
    assert!(s.contains(
        &"Although a large portion of this military hardware was from the Second World War, it also contained 200 T-34 tanks."
    ));
    assert!(s.contains(
        &"The Russian president, Vladimir Putin, has spent two days in Pyongyang, meet with the North Korean president, Kim Jong-us, and signing a “complete proper relationship”."
    ));
    assert!(!c.text.contains("Robert Barnes"));
    assert!(!c.text.contains("republished"));
    for x in &s {
        assert!(
            !x.ends_with("St.") && !x.ends_with(" U.S."),
            "split after abbreviation: {x}"
        );
    }
}

/// BBC articles: one sentence per line after the headline. Returns (agreeing lines,
/// total lines).
fn bbc_agreement() -> (usize, usize, Vec<String>) {
    let mut agree = 0;
    let mut total = 0;
    let mut misses = Vec::new();
    for (name, body) in test_corpus::bbc() {
        // Each line as cleaning renders it ("the fat , if" -> "the fat, if").
        let expected: Vec<String> = body
            .lines()
            .skip(1)
            .map(|l| clean(l, None).text)
            .filter(|l| !l.is_empty())
            .collect();
        let c = clean(&body, None);
        let got: std::collections::HashSet<&str> = sents(&c.text).into_iter().collect();
        total += expected.len();
        for e in expected {
            if got.contains(e.as_str()) {
                agree += 1;
            } else {
                misses.push(format!("{name}: {e}"));
            }
        }
    }
    (agree, total, misses)
}

#[test]
fn bbc_one_sentence_per_line_agreement() {
    let (agree, total, misses) = bbc_agreement();
    let rate = agree as f64 / total as f64;
    eprintln!("BBC line agreement: {agree}/{total} = {:.4}", rate);
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    assert!(total > 1500);
    // Reached: 1699/1701. The two misses are data-set lines holding two sentences
    // each ("…quickly. Late last year, …" and a run of quoted questions).
    assert!(rate >= 0.998, "agreement {rate:.4} below 99.8%");
}

#[test]
fn times_before_capitalised_words() {
    assert_eq!(
        sents("He arrived at 6 P.M. Mr. Smith then went home."),
        vec!["He arrived at 6 P.M.", "Mr. Smith then went home."]
    );
    assert_eq!(
        sents("The raid began at 5:30 a.m. Police said two men were held."),
        vec![
            "The raid began at 5:30 a.m.",
            "Police said two men were held."
        ]
    );
    assert_eq!(
        sents("It ended at 10pm. Fans then left."),
        vec!["It ended at 10pm.", "Fans then left."]
    );
    for one in [
        "The vigil starts at 6 p.m. on Friday.",
        "Polls close at 8 p.m. Friday and results follow.",
        "Doors open at 9 a.m. ET and close at 5 p.m. Moscow time.",
        "The flight left at 7 A.M. March 3 from Lagos.",
        "It was 11:45 a.m. Eastern when the call came.",
    ] {
        assert_eq!(sents(one), vec![one]);
    }
}

#[test]
fn inline_enumerations() {
    assert_eq!(
        sents("The plan has two steps: 1.) Build the wall. 2.) Open the gate."),
        vec![
            "The plan has two steps: 1.) Build the wall.",
            "2.) Open the gate."
        ]
    );
    assert_eq!(
        sents("The options are: a. Raise taxes. b. Cut spending. c. Borrow more."),
        vec![
            "The options are: a. Raise taxes.",
            "b. Cut spending.",
            "c. Borrow more."
        ]
    );
    let one = "He made three demands: 1.) a ceasefire, 2.) Elections and 3.) Aid.";
    assert_eq!(sents(one), vec![one]);
    assert_eq!(
        sents("1.) First item\n2.) Second item"),
        vec!["1.) First item", "2.) Second item"]
    );
    // A bracket opened before the number: the period ends the aside and the sentence.
    assert_eq!(
        sents("It is in the report (see chapter 2.) The minister agreed."),
        vec![
            "It is in the report (see chapter 2.)",
            "The minister agreed."
        ]
    );
    assert_eq!(
        sents("He scored in 2019. 2020 was worse. She came 5. The team won."),
        vec![
            "He scored in 2019.",
            "2020 was worse.",
            "She came 5.",
            "The team won."
        ]
    );
    for t in [
        "Steps: 1.) Open. 2.) Close. 3.) Done.",
        "Rules: a. Be kind. b. Be quick.",
        "1.) 2.) 3.)",
    ] {
        for s in sents(t) {
            let marker = s.trim_end_matches(['.', ')']);
            assert!(
                !crate::text::abbrev::is_list_number(marker),
                "{s:?} in {t:?}"
            );
        }
        check_invariants(t);
    }
}

#[test]
fn spaced_and_bracketed_ellipses() {
    assert_eq!(
        sents("\"I was . . . I was scared,\" she said. Then she left."),
        vec!["\"I was . . . I was scared,\" she said.", "Then she left."]
    );
    assert_eq!(
        sents("“We will fight… We will win,” he said. ‘Then… Now,’ she said."),
        vec![
            "“We will fight… We will win,” he said.",
            "‘Then… Now,’ she said."
        ]
    );
    assert_eq!(
        sents("He wrote that the deal [...] Would be signed soon. It was."),
        vec![
            "He wrote that the deal [...] Would be signed soon.",
            "It was."
        ]
    );
    assert_eq!(
        sents("The letter (…) Was long. It ended [ . . . ]. Then more."),
        vec![
            "The letter (…) Was long.",
            "It ended [ . . . ].",
            "Then more."
        ]
    );
    assert_eq!(
        sents("[...] The rest was lost."),
        vec!["[...] The rest was lost."]
    );
    // Outside quotations an ellipsis before a capital still ends a sentence.
    assert_eq!(
        sents("Wait . . . What now? It stopped… Then it went."),
        vec!["Wait . . .", "What now?", "It stopped…", "Then it went."]
    );
    // A stray ellipsis is no sentence of its own.
    assert_eq!(
        sents("He left. ... Then she came. [...]"),
        vec!["He left. ...", "Then she came. [...]"]
    );
    assert_eq!(sents(". . . The end."), vec![". . . The end."]);
    for t in [
        "He left. ... Then she came.",
        "One. . . . Two.",
        "A. [...] B.",
        "x … … Y",
        "Text.\n…\nMore text.",
        "(…) (...) [...]",
    ] {
        check_invariants(t);
        let s = sents(t);
        if s.len() > 1 {
            for x in &s {
                assert!(x.chars().any(char::is_alphanumeric), "{x:?} in {t:?}");
            }
        }
    }
}

#[test]
fn text_that_lost_its_full_stops() {
    // A picture caption run into the lead, paragraphs joined without a stop.
    assert_eq!(
        sents("Savers can expect an income 13% higher than a colleague The cost of divorce can wreck retirement, research says."),
        vec![
            "Savers can expect an income 13% higher than a colleague",
            "The cost of divorce can wreck retirement, research says."
        ]
    );
    assert_eq!(
        sents("Kilmarnock went unbeaten in his first six games in charge of the club He has impressed the board."),
        vec![
            "Kilmarnock went unbeaten in his first six games in charge of the club",
            "He has impressed the board."
        ]
    );
    // Titles, names, labels, quotations and asides stay whole.
    for one in [
        "She told The Times she would stay.",
        "He read the novel The road in a night.",
        "The talks moved to The Hague last week.",
        "Grade A students were praised by the head.",
        "Infants can be seen in images A and B of the set.",
        "Fans chanted 'the one The gaffer wants' all night.",
        "The striker (pictured in the club The day before) scored twice.",
        "It was the It girl look of the season.",
        "He Jiankui was jailed in 2019.",
        "Both left early In fact.",
    ] {
        assert_eq!(sents(one), vec![one], "{one}");
    }
    check_invariants("a b c The d e f He g h i");
}
