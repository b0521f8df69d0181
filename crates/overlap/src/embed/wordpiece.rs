//! BERT's tokenizer, as `tokenizer.json` of a WordPiece model describes it: the `BertNormalizer`
//! (control characters dropped, CJK ideographs spaced, accents stripped, lower case), the
//! `BertPreTokenizer` (words split on whitespace, each punctuation mark a word of its own) and
//! greedy longest-match-first WordPiece with a continuation prefix (`##`).
//!
//! One approximation: BERT splits on every character of Unicode category P; this reader knows the
//! ASCII marks and the punctuation blocks in use (Latin-1, General Punctuation, CJK and full-width
//! forms), so a rare mark outside them stays inside its word (and usually becomes `[UNK]`).

use crate::error::{Error, Result};
use crate::hashing::FastMap;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A WordPiece tokenizer.
#[derive(Clone, Debug)]
pub struct WordPiece {
    /// Word-initial pieces.
    start: FastMap<String, u32>,
    /// Continuation pieces, without their prefix.
    cont: FastMap<String, u32>,
    unk: Option<u32>,
    max_chars: usize,
    lowercase: bool,
    strip_accents: bool,
    clean_text: bool,
    chinese_chars: bool,
    vocab_size: usize,
}

impl WordPiece {
    /// Read a `tokenizer.json` (the Hugging Face tokenizers format) of a WordPiece model. `what`
    /// names the file in messages.
    pub fn from_json(json: &str, what: &str) -> Result<Self> {
        let bad = |m: String| Error::Model(format!("{what}: {m}"));
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let model = &v["model"];
        let kind = model["type"].as_str().unwrap_or("");
        if kind != "WordPiece" {
            return Err(bad(format!(
                "the tokenizer model is {kind:?}; only WordPiece (BERT) tokenizers are supported"
            )));
        }
        let prefix = model["continuing_subword_prefix"].as_str().unwrap_or("##");
        let vocab = model["vocab"]
            .as_object()
            .ok_or_else(|| bad("no model.vocab object".into()))?;
        let mut start = FastMap::default();
        let mut cont = FastMap::default();
        let mut vocab_size = 0usize;
        for (piece, id) in vocab {
            let id = id
                .as_u64()
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(|| bad(format!("vocabulary id of {piece:?} is not a number")))?;
            vocab_size = vocab_size.max(id as usize + 1);
            match piece.strip_prefix(prefix) {
                Some(rest) if !rest.is_empty() => cont.insert(rest.to_string(), id),
                _ => start.insert(piece.clone(), id),
            };
        }
        let unk = model["unk_token"]
            .as_str()
            .and_then(|u| start.get(u).copied());
        let norm = &v["normalizer"];
        let (lowercase, strip_accents, clean_text, chinese_chars) = match norm["type"].as_str() {
            Some("BertNormalizer") => {
                let lowercase = norm["lowercase"].as_bool().unwrap_or(true);
                (
                    lowercase,
                    // BERT strips accents when it lower-cases, unless told otherwise.
                    norm["strip_accents"].as_bool().unwrap_or(lowercase),
                    norm["clean_text"].as_bool().unwrap_or(true),
                    norm["handle_chinese_chars"].as_bool().unwrap_or(true),
                )
            }
            None => (false, false, false, false),
            Some(other) => {
                return Err(bad(format!(
                    "normalizer {other:?} is not supported (BertNormalizer is)"
                )))
            }
        };
        Ok(WordPiece {
            start,
            cont,
            unk,
            max_chars: model["max_input_chars_per_word"].as_u64().unwrap_or(100) as usize,
            lowercase,
            strip_accents,
            clean_text,
            chinese_chars,
            vocab_size,
        })
    }

    /// One more than the largest token id.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The id of the unknown-word token, if the vocabulary has one.
    pub fn unk(&self) -> Option<u32> {
        self.unk
    }

    /// The id of a word-initial piece or special token (`[CLS]`, `[SEP]`), if the vocabulary has it.
    pub fn token_id(&self, piece: &str) -> Option<u32> {
        self.start.get(piece).copied()
    }

    /// The token ids of `text`, without special tokens, `[UNK]` included.
    pub fn encode(&self, text: &str, ids: &mut Vec<u32>) {
        let normalized = self.normalize(text);
        let mut word = String::new();
        for c in normalized.chars() {
            if c.is_whitespace() {
                self.word_pieces(&word, ids);
                word.clear();
            } else if is_punctuation(c) {
                self.word_pieces(&word, ids);
                word.clear();
                let mut buf = [0u8; 4];
                self.word_pieces(c.encode_utf8(&mut buf), ids);
            } else {
                word.push(c);
            }
        }
        self.word_pieces(&word, ids);
    }

    fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if self.clean_text {
                if c == '\0' || c == '\u{fffd}' || is_control(c) {
                    continue;
                }
                if c.is_whitespace() {
                    out.push(' ');
                    continue;
                }
            }
            if self.chinese_chars && is_cjk(c) {
                out.push(' ');
                out.push(c);
                out.push(' ');
            } else {
                out.push(c);
            }
        }
        // ASCII text has no accents to strip (its NFD is itself) and lowercases in place: the
        // same string without the two passes of the general case (most texts are ASCII).
        if out.is_ascii() {
            if self.lowercase {
                out.make_ascii_lowercase();
            }
            return out;
        }
        if self.strip_accents {
            out = out.nfd().filter(|&c| !is_combining_mark(c)).collect();
        }
        if self.lowercase {
            out = out.to_lowercase();
        }
        out
    }

    fn word_pieces(&self, word: &str, ids: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        if word.chars().count() > self.max_chars {
            ids.extend(self.unk);
            return;
        }
        let before = ids.len();
        let mut start = 0;
        while start < word.len() {
            let map = if start == 0 { &self.start } else { &self.cont };
            // Longest piece first: try every char boundary from the end.
            let mut found = None;
            let rest = &word[start..];
            let mut end = rest.len();
            loop {
                if let Some(&id) = map.get(&rest[..end]) {
                    found = Some((id, end));
                    break;
                }
                match rest[..end].char_indices().next_back() {
                    Some((i, _)) if i > 0 => end = i,
                    _ => break,
                }
            }
            match found {
                Some((id, len)) => {
                    ids.push(id);
                    start += len;
                }
                None => {
                    // A word that cannot be pieced together is one unknown token.
                    ids.truncate(before);
                    ids.extend(self.unk);
                    return;
                }
            }
        }
    }
}

/// Control characters that BERT drops (categories Cc and Cf), tab and line breaks excepted.
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// BERT's CJK ideograph ranges.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// ASCII punctuation and symbols (BERT counts them all), and Unicode punctuation of the common blocks.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c as u32,
        0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF | 0x37E | 0x387
        | 0x55A..=0x55F | 0x589..=0x58A | 0x5BE | 0x5C0 | 0x5C3 | 0x5C6 | 0x5F3..=0x5F4
        | 0x609..=0x60A | 0x60C..=0x60D | 0x61B | 0x61E..=0x61F | 0x66A..=0x66D | 0x6D4
        | 0x964..=0x965 | 0x970 | 0xE4F | 0xE5A..=0xE5B
        | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205E
        | 0x2308..=0x230B | 0x2329..=0x232A | 0x2768..=0x2775 | 0x27C5..=0x27C6 | 0x27E6..=0x27EF
        | 0x2983..=0x2998 | 0x29D8..=0x29DB | 0x29FC..=0x29FD | 0x2E00..=0x2E2E | 0x2E30..=0x2E4F
        | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301F | 0x3030 | 0x303D | 0x30A0 | 0x30FB
        | 0xFE10..=0xFE19 | 0xFE30..=0xFE52 | 0xFE54..=0xFE61 | 0xFE63 | 0xFE68 | 0xFE6A..=0xFE6B
        | 0xFF01..=0xFF03 | 0xFF05..=0xFF0A | 0xFF0C..=0xFF0F | 0xFF1A..=0xFF1B | 0xFF1F..=0xFF20
        | 0xFF3B..=0xFF3D | 0xFF3F | 0xFF5B | 0xFF5D | 0xFF5F..=0xFF65)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<u32> {
        let wp = WordPiece::from_json(&super::super::tiny::tokenizer_json(), "t").unwrap();
        let mut out = Vec::new();
        wp.encode(text, &mut out);
        out
    }

    #[test]
    fn bert_normalization_and_greedy_pieces() {
        // Lower case, accents stripped, punctuation split, continuation pieces.
        assert_eq!(ids("The grain EXPORTS resumed."), [4, 5, 6, 7, 8, 9, 11]);
        assert_eq!(ids("Café, unrelated"), [14, 10, 17, 18]);
        // A word that cannot be pieced is one [UNK]; CJK ideographs are words of their own.
        assert_eq!(ids("grainx 東京\u{200b}"), [1, 15, 16]);
        assert_eq!(ids("minister's"), [19, 12, 13]);
        assert_eq!(ids(" \t\n"), Vec::<u32>::new());
    }

    #[test]
    fn other_tokenizer_models_are_refused_clearly() {
        let json = r#"{"model": {"type": "Unigram", "vocab": []}}"#;
        let e = WordPiece::from_json(json, "tokenizer.json").unwrap_err();
        assert!(e.to_string().contains("only WordPiece"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// ASCII text normalized without the accent and case passes gives the string those passes
        /// give: a non-ASCII letter after it takes the general path for the whole text.
        #[test]
        fn ascii_text_normalizes_as_the_general_path_does(text in "[ -~\t\n\x00-\x1f]{0,40}") {
            let wp = WordPiece::from_json(&super::super::tiny::tokenizer_json(), "t").unwrap();
            let general = wp.normalize(&format!("{text}\u{c9}"));
            proptest::prop_assert_eq!(format!("{}{}", wp.normalize(&text), wp.normalize("\u{c9}")), general);
        }
    }
}
