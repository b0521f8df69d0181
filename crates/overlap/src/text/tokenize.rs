//! Word tokenizer with byte offsets into the original text.
//!
//! Rules (a fast subset of Unicode word segmentation, UAX #29, that needs no tables beyond `char`'s):
//! - a word is a maximal run of letters, digits, `_` and combining marks;
//! - `'` or `’` between two letters, `.` between two digits or after a one- or two-letter piece
//!   before a letter, and `,` between two digits stay inside the word (`don't`, `U.S`, `Ph.D`, `3.14`,
//!   `155,221`); a period glued between longer words (`language.It`, a missing space) separates them;
//! - each ideograph, hiragana or katakana character is a word of its own, since these scripts do not
//!   separate words with spaces and single characters are the usual unit for n-grams over them;
//! - everything else (spaces, punctuation, symbols) separates words and is dropped.
//!
//! ASCII text takes a byte-table fast path; other characters are decoded one at a time.

use super::Normalization;

/// The tokens of one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    /// The normalized tokens joined by single spaces. Shingles are hashed from slices of this string,
    /// so an n-gram's hash is the xxh3 of its tokens joined by spaces.
    pub normalized: String,
    /// Byte range of each token in `normalized`.
    pub normalized_spans: Vec<(usize, usize)>,
    /// Byte range of each token in the original text.
    pub original_spans: Vec<(usize, usize)>,
}

impl Tokens {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.original_spans.len()
    }

    /// True when the text had no word at all.
    pub fn is_empty(&self) -> bool {
        self.original_spans.is_empty()
    }

    /// The normalized text of token `i`.
    pub fn token(&self, i: usize) -> &str {
        let (s, e) = self.normalized_spans[i];
        &self.normalized[s..e]
    }

    fn clear(&mut self) {
        self.normalized.clear();
        self.normalized_spans.clear();
        self.original_spans.clear();
    }
}

/// Tokenize `text` into a new [`Tokens`].
pub fn tokenize(text: &str, normalization: &Normalization) -> Tokens {
    let mut tokens = Tokens::default();
    tokenize_into(text, normalization, &mut tokens);
    tokens
}

/// Tokenize `text`, reusing the buffers of `out` (which is cleared first).
pub fn tokenize_into(text: &str, normalization: &Normalization, out: &mut Tokens) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fast path: ASCII spaces and punctuation between words.
        if bytes[i] < 0x80 && !is_ascii_word(bytes[i]) {
            i += 1;
            continue;
        }
        let (c, w) = decode(text, i);
        match classify(c) {
            Class::Ideograph => {
                push_token(text, i, i + w, normalization, out);
                i += w;
            }
            Class::Word => {
                let start = i;
                let mut last = c;
                // Characters since the token start or the last joiner.
                let mut piece = 1;
                i += w;
                let mut end = i;
                while i < bytes.len() {
                    // Fast path: a run of ASCII letters, digits and underscores.
                    let run = i;
                    while i < bytes.len() && is_ascii_word(bytes[i]) {
                        i += 1;
                    }
                    if i > run {
                        last = bytes[i - 1] as char;
                        piece += i - run;
                        end = i;
                        if i == bytes.len() {
                            break;
                        }
                    }
                    let Some(next) = continue_word(text, i, &mut last, &mut piece) else {
                        break;
                    };
                    i = next;
                    end = i;
                }
                push_token(text, start, end, normalization, out);
            }
            _ => i += w,
        }
    }
}

/// One step of reading a word at byte `i` (a char boundary before the end of `text`): the byte after
/// the word's new end when the character there (a letter, digit or mark, or a joiner with a letter
/// or digit after it that it joins) goes on the word, or `None` where the word ends before `i`.
/// `last` is the word's last letter or digit and `piece` its characters since its start or last
/// joiner; both are updated. The rules in one place, for the tokenizer and its reference.
#[inline]
fn continue_word(text: &str, i: usize, last: &mut char, piece: &mut usize) -> Option<usize> {
    let (c, w) = decode(text, i);
    match classify(c) {
        Class::Word => {
            *last = c;
            *piece += 1;
            Some(i + w)
        }
        Class::Mark => Some(i + w),
        Class::Joiner(joiner) if i + w < text.len() => {
            let (after, w_after) = decode(text, i + w);
            if classify(after) == Class::Word && joiner.joins(*last, after, *piece) {
                *last = after;
                *piece = 1;
                Some(i + w + w_after)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn push_token(text: &str, start: usize, end: usize, norm: &Normalization, out: &mut Tokens) {
    if !out.normalized.is_empty() {
        out.normalized.push(' ');
    }
    let norm_start = out.normalized.len();
    norm.push_normalized(&text[start..end], &mut out.normalized);
    out.normalized_spans
        .push((norm_start, out.normalized.len()));
    out.original_spans.push((start, end));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Word,
    Ideograph,
    Mark,
    Joiner(Joiner),
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Joiner {
    /// `'` and `’`: between letters.
    Apostrophe,
    /// `.`: between letters or between digits.
    Period,
    /// `,`: between digits.
    Comma,
}

impl Joiner {
    /// Whether the joiner between `before` (ending a piece of `piece` characters) and `after` stays
    /// inside the word.
    fn joins(self, before: char, after: char, piece: usize) -> bool {
        let letters = before.is_alphabetic() && after.is_alphabetic();
        let digits = before.is_numeric() && after.is_numeric();
        match self {
            Joiner::Apostrophe => letters,
            Joiner::Period => (letters && piece <= 2) || digits,
            Joiner::Comma => digits,
        }
    }
}

#[inline]
fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Decode the character at byte `i` (a char boundary) and its width in bytes.
#[inline]
fn decode(text: &str, i: usize) -> (char, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (b as char, 1);
    }
    // `i` is always a char boundary: it starts at 0 and advances by whole characters.
    let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
    (c, c.len_utf8())
}

#[inline]
fn classify(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => Class::Word,
            '\'' => Class::Joiner(Joiner::Apostrophe),
            '.' => Class::Joiner(Joiner::Period),
            ',' => Class::Joiner(Joiner::Comma),
            _ => Class::Other,
        };
    }
    if is_ideograph(c) {
        Class::Ideograph
    } else if c.is_alphanumeric() {
        Class::Word
    } else if c == '\u{2019}' {
        Class::Joiner(Joiner::Apostrophe)
    } else if unicode_normalization::char::is_combining_mark(c) {
        Class::Mark
    } else {
        Class::Other
    }
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // hiragana, katakana
        | 0x31F0..=0x31FF   // katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width katakana
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokenizer without its ASCII fast paths: the plain statement of the rules, to check the
    /// fast one against.
    fn reference(text: &str, normalization: &Normalization) -> Tokens {
        let mut out = Tokens::default();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let (c, w) = decode(text, i);
            match classify(c) {
                Class::Ideograph => {
                    push_token(text, i, i + w, normalization, &mut out);
                    i += w;
                }
                Class::Word => {
                    let start = i;
                    let mut last = c;
                    let mut piece = 1;
                    i += w;
                    let mut end = i;
                    while i < bytes.len() {
                        let Some(next) = continue_word(text, i, &mut last, &mut piece) else {
                            break;
                        };
                        i = next;
                        end = i;
                    }
                    push_token(text, start, end, normalization, &mut out);
                }
                _ => i += w,
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_paths_agree_with_the_rules(
            text in "([a-zA-Z0-9_]{1,6}|[ .,'’\\-]|é|ß|Ｈ|中|\u{301}|ﬁ|[0-9][.,][0-9]|U\\.S\\.|\n){0,40}"
        ) {
            let norm = Normalization::default();
            proptest::prop_assert_eq!(tokenize(&text, &norm), reference(&text, &norm));
        }
    }

    fn words(text: &str) -> Vec<String> {
        let t = tokenize(text, &Normalization::default());
        (0..t.len()).map(|i| t.token(i).to_string()).collect()
    }

    #[test]
    fn splits_on_spaces_and_punctuation() {
        assert_eq!(
            words("Hello, World! It's 3.14 -- or 155,221 bags."),
            ["hello", "world", "it's", "3.14", "or", "155,221", "bags"]
        );
    }

    #[test]
    fn joiners_only_join_inside_words() {
        assert_eq!(words("end. Next"), ["end", "next"]);
        assert_eq!(words("U.S. policy"), ["u.s", "policy"]);
        assert_eq!(
            words("a Ph.D thesis, e.g. this"),
            ["a", "ph.d", "thesis", "e.g", "this"]
        );
        assert_eq!(words("in language.It is"), ["in", "language", "it", "is"]);
        assert_eq!(words("'quoted'"), ["quoted"]);
        assert_eq!(words("1,a"), ["1", "a"]);
        assert_eq!(words("trailing."), ["trailing"]);
        assert_eq!(words("don’t"), ["don't"]);
    }

    #[test]
    fn cjk_characters_are_single_tokens() {
        assert_eq!(words("東京に行く"), ["東", "京", "に", "行", "く"]);
        assert_eq!(words("abc中文def"), ["abc", "中", "文", "def"]);
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        assert_eq!(words("cafe\u{301} au lait"), ["café", "au", "lait"]);
        assert_eq!(words("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "  Ｈｅｌｌｏ, wörld";
        let t = tokenize(text, &Normalization::default());
        assert_eq!(t.normalized, "hello wörld");
        let originals: Vec<&str> = t.original_spans.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(originals, ["Ｈｅｌｌｏ", "wörld"]);
        assert_eq!(t.normalized_spans, [(0, 5), (6, 12)]);
    }

    #[test]
    fn empty_and_symbol_only_texts_have_no_tokens() {
        assert!(tokenize("", &Normalization::default()).is_empty());
        assert!(tokenize(" -- !! ", &Normalization::default()).is_empty());
    }
}
