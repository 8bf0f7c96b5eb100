//! A plain-text builder shared by the Markdown and HTML converters: collapses runs of
//! whitespace to one space and turns block boundaries into line or paragraph breaks,
//! without ever emitting leading, trailing or doubled separators.

/// The separator owed before the next word; larger ones absorb smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Break {
    /// Nothing: the next text continues the current word.
    None,
    /// One space.
    Space,
    /// A newline.
    Line,
    /// A blank line.
    Paragraph,
}

/// Accumulates text; see the module docs.
#[derive(Debug, Default)]
pub struct TextSink {
    out: String,
    pending: Option<Break>,
}

impl TextSink {
    /// An empty sink.
    pub fn new() -> Self {
        TextSink::default()
    }

    /// Append inline text; whitespace inside it collapses to single spaces, and whitespace
    /// at its edges becomes a pending space (so `<b>Hel</b>lo` stays one word).
    pub fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut words = text.split(char::is_whitespace).peekable();
        let mut first = true;
        while let Some(word) = words.next() {
            if word.is_empty() {
                // Whitespace at the start, end, or a run of it.
                if first || words.peek().is_none() {
                    self.brk(Break::Space);
                }
                first = false;
                continue;
            }
            if !first {
                self.brk(Break::Space);
            }
            self.word(word);
            first = false;
        }
    }

    /// Append preformatted text: each line keeps its place, spaces inside lines collapse.
    pub fn preformatted(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.brk(Break::Line);
            }
            self.text(line);
        }
    }

    /// Owe at least `b` before the next word.
    pub fn brk(&mut self, b: Break) {
        self.pending = Some(self.pending.map_or(b, |p| p.max(b)));
    }

    /// The text built so far.
    pub fn finish(self) -> String {
        self.out
    }

    fn word(&mut self, word: &str) {
        if !self.out.is_empty() {
            match self.pending.unwrap_or(Break::None) {
                Break::None => {}
                Break::Space => self.out.push(' '),
                Break::Line => self.out.push('\n'),
                Break::Paragraph => self.out.push_str("\n\n"),
            }
        }
        self.pending = None;
        self.out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace_and_joins_inline_pieces() {
        let mut s = TextSink::new();
        s.text("  Hello,\n\t  big ");
        s.text("wor");
        s.text("ld\u{a0}again ");
        assert_eq!(s.finish(), "Hello, big world again");
    }

    #[test]
    fn breaks_take_the_largest_and_never_lead_or_trail() {
        let mut s = TextSink::new();
        s.brk(Break::Paragraph);
        s.text("One.");
        s.brk(Break::Line);
        s.brk(Break::Paragraph);
        s.brk(Break::Space);
        s.text(" Two.");
        s.brk(Break::Line);
        s.text("Three.");
        s.brk(Break::Paragraph);
        assert_eq!(s.finish(), "One.\n\nTwo.\nThree.");
    }

    #[test]
    fn preformatted_keeps_lines() {
        let mut s = TextSink::new();
        s.preformatted("a  b\n  c\n");
        assert_eq!(s.finish(), "a b\nc");
    }
}
