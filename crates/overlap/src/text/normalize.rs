//! Normalization of one token: Unicode NFKC, case folding and punctuation folding.
//!
//! Normalization runs per token, after the tokenizer has found word spans in the original text. Word
//! boundaries never split a base character from its combining marks, so per-token NFKC gives the same
//! characters as normalizing the whole text first, while keeping a direct map from each token back to
//! its bytes in the original.

use serde::{Deserialize, Serialize};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Which normalizations to apply to each token. All are on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalization {
    /// Unicode compatibility composition (NFKC): full-width letters, ligatures and the like become their
    /// plain forms, so `ﬁ` and `fi` hash alike. Default: true.
    pub nfkc: bool,
    /// Case folding (lowercase, plus `ß` -> `ss` and final sigma -> sigma). Default: true.
    pub case_fold: bool,
    /// Fold typographic apostrophes (`’`, `‘`, `ʼ`) inside words to `'`. Default: true.
    pub fold_punctuation: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization {
            nfkc: true,
            case_fold: true,
            fold_punctuation: true,
        }
    }
}

impl Normalization {
    /// Append the normalized form of `token` to `out`.
    pub fn push_normalized(&self, token: &str, out: &mut String) {
        if token.is_ascii() {
            let start = out.len();
            out.push_str(token);
            if self.case_fold {
                out[start..].make_ascii_lowercase();
            }
            return;
        }
        if self.nfkc && is_nfkc_quick(token.chars()) != IsNormalized::Yes {
            for c in token.nfkc() {
                self.push_char(c, out);
            }
        } else {
            for c in token.chars() {
                self.push_char(c, out);
            }
        }
    }

    fn push_char(&self, c: char, out: &mut String) {
        let c = if self.fold_punctuation && matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}') {
            '\''
        } else {
            c
        };
        if !self.case_fold {
            out.push(c);
            return;
        }
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ς' => out.push('σ'),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut out = String::new();
        Normalization::default().push_normalized(s, &mut out);
        out
    }

    #[test]
    fn folds_case_width_ligatures_and_apostrophes() {
        assert_eq!(norm("Hello"), "hello");
        assert_eq!(norm("ＡＢＣ"), "abc");
        assert_eq!(norm("ﬁnance"), "finance");
        assert_eq!(norm("don’t"), "don't");
        assert_eq!(norm("Straße"), "strasse");
        assert_eq!(norm("ΟΔΟΣ"), "οδοσ");
        assert_eq!(norm("Cafe\u{301}"), "café");
    }

    #[test]
    fn options_can_be_switched_off() {
        let cfg = Normalization {
            nfkc: false,
            case_fold: false,
            fold_punctuation: false,
        };
        let mut out = String::new();
        cfg.push_normalized("ＡBc’", &mut out);
        assert_eq!(out, "ＡBc’");
    }
}
