//! Repair of the commonest mojibake in crawled text: UTF-8 bytes that were decoded as Windows-1252
//! (or Latin-1) and encoded to UTF-8 again, so that `£` reads `Â£`, `é` reads `Ã©` and `’` reads
//! `â€™`. Each maximal sequence of characters that maps back to single bytes and forms a valid
//! multi-byte UTF-8 character is replaced by that character; anything else is left as it is. Text
//! without such sequences is returned unchanged (and unallocated).
//!
//! It is opt-in (`--fix-encoding`): a real Latin-1 text could, in principle, hold a pair like `Ã©`,
//! and a repair must never be a surprise.

use std::borrow::Cow;

/// Text doubly encoded more than this many times is left as the last pass leaves it.
const MAX_PASSES: usize = 3;

/// `text` with doubly encoded UTF-8 repaired.
///
/// Text garbled twice (`ï` -> `Ã¯` -> `ÃƒÂ¯`) needs more passes. After the first, only sequences
/// led by `Â` or `Ã` are repaired: a second garbling always leaves those (the UTF-8 of U+0080..U+00FF
/// starts with C2 or C3), while a real text that the first pass repaired, say `é“£`, could otherwise
/// be decoded once more into a character it never held.
pub fn fix_mojibake(text: &str) -> Cow<'_, str> {
    let Some(mut fixed) = fix_once(text, false) else {
        return Cow::Borrowed(text);
    };
    for _ in 1..MAX_PASSES {
        match fix_once(&fixed, true) {
            Some(next) => fixed = next,
            None => break,
        }
    }
    Cow::Owned(fixed)
}

/// One pass; `None` when nothing was repaired. `latin_leads_only`: repair only sequences that start
/// with `Â` or `Ã`.
fn fix_once(text: &str, latin_leads_only: bool) -> Option<String> {
    let lead = |c: char| {
        if latin_leads_only {
            c == 'Â' || c == 'Ã'
        } else {
            ('\u{C2}'..='\u{F4}').contains(&c)
        }
    };
    // Cheap test first: every mojibake sequence starts with a lead character.
    if !text.chars().any(lead) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if let Some((c, used)) = lead(chars[i]).then(|| decode_at(&chars[i..])).flatten() {
            out.push(c);
            i += used;
            changed = true;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

/// The character whose UTF-8 bytes, read as Windows-1252, are the first characters of `chars`, and
/// how many characters that took.
fn decode_at(chars: &[char]) -> Option<(char, usize)> {
    let lead = to_byte(chars[0])?;
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    if chars.len() < len {
        return None;
    }
    let mut bytes = [lead, 0, 0, 0];
    for k in 1..len {
        let b = to_byte(chars[k])?;
        if !(0x80..=0xBF).contains(&b) {
            return None;
        }
        bytes[k] = b;
    }
    // from_utf8 rejects overlong forms and surrogates, so only real characters come back.
    let decoded = std::str::from_utf8(&bytes[..len]).ok()?;
    decoded.chars().next().map(|c| (c, len))
}

/// The byte a character stands for in Windows-1252 (Latin-1 for the bytes 1252 leaves undefined),
/// if it stands for one of 0x80..=0xFF.
fn to_byte(c: char) -> Option<u8> {
    let b = match c {
        '\u{80}'..='\u{FF}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a Windows-1252 decoder makes of `text`'s UTF-8 bytes (Latin-1 where 1252 has a gap).
    fn garble(text: &str) -> String {
        let char_for = |b: u8| {
            ('\u{100}'..='\u{2122}')
                .find(|&c| to_byte(c) == Some(b))
                .unwrap_or(b as char)
        };
        text.bytes()
            .map(|b| if b < 0x80 { b as char } else { char_for(b) })
            .collect()
    }

    #[test]
    fn repairs_the_usual_sequences() {
        assert_eq!(fix_mojibake("Â£339m"), "£339m");
        assert_eq!(fix_mojibake("cafÃ©"), "café");
        assert_eq!(fix_mojibake("donâ€™t"), "don’t");
        assert_eq!(fix_mojibake("â€œquotedâ€\u{9d}"), "“quoted”");
        assert_eq!(fix_mojibake("naÃƒÂ¯ve"), "naïve", "encoded twice");
    }

    #[test]
    fn leaves_clean_text_alone() {
        for text in [
            "plain ASCII",
            "café £5 “quote” — ok",
            "Straße Ελλάδα 東京",
            "Ã alone",
            "",
        ] {
            assert!(matches!(fix_mojibake(text), Cow::Borrowed(_)), "{text}");
        }
    }

    proptest! {
        #[test]
        fn garbled_text_is_restored(text in "[a-zé£’“”€ñüß東 ]{0,40}") {
            let garbled = garble(&text);
            prop_assert_eq!(fix_mojibake(&garbled), text);
        }
    }
}
