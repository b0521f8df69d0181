//! Signature lines: short lines that close several different documents, the way a poster's
//! signature (name, address, a favourite quotation) closes every one of their posts. They are
//! boilerplate of the author, not evidence that two documents share text, and they are found
//! without knowing the author: a line is a signature line when it is one of the last
//! [`TAIL_LINES`] lines of at least `min_docs` documents of one source with different texts, written there
//! unquoted. Such a line is then masked wherever it appears, quoted lines included (a reply that
//! quotes a post with its signature shares that signature with every other post of its author).
//!
//! Why this shape: a signature repeats across posts whose bodies differ, and sits at their end in
//! the author's own (unquoted) text. A quotation of a post's last paragraph is quoted (`>`) in
//! the replies, and a cross-post repeats the whole text, so neither makes its lines signature
//! lines: cross-posted copies count once (documents are told apart by their normalized text), and
//! quoted lines never count. When sources are known (`--source-field`), the documents must be of
//! one source: the same last paragraph under several outlets' documents is a reprinted story.
//!
//! Memory: one key (8 bytes), a token range and two flags per short line of every document.

use crate::text::Tokens;
use std::collections::HashSet;
use xxhash_rust::xxh3::xxh3_64;

/// Lines (holding at least one word) at the end of a document that count as its closing.
pub const TAIL_LINES: usize = 10;
/// Longest line, in words, that can be a signature line: signatures are short lines; running
/// text wrapped at 70 columns has 10 to 15 words a line, so this keeps prose lines out too when
/// they are unwrapped.
const MAX_LINE_WORDS: usize = 20;

/// One short line of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// Hash of the line's normalized words.
    pub key: u64,
    /// First token of the line.
    pub first: u32,
    /// One past its last token.
    pub end: u32,
    /// Among the document's last [`TAIL_LINES`] lines with words.
    pub tail: bool,
    /// Quoted from another text (`>`, `|>`, `:` at the start of the line).
    pub quoted: bool,
}

/// The short lines of one document and the hash of its whole normalized text (so that copies of a
/// document count once).
#[derive(Clone, Debug, Default)]
pub struct DocLines {
    /// xxh3 of the normalized text.
    pub text_key: u64,
    /// The lines of 1 to [`MAX_LINE_WORDS`] words, in order.
    pub lines: Vec<Line>,
}

/// The short lines of `text`, whose `tokens` are given.
pub fn doc_lines(text: &str, tokens: &Tokens) -> DocLines {
    let spans = &tokens.original_spans;
    let mut all: Vec<(usize, usize, bool)> = Vec::new(); // token range and quoted, lines with words
    let mut line_start = 0;
    let mut t = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let first = t;
        while t < spans.len() && spans[t].0 < line_end {
            t += 1;
        }
        if t > first {
            all.push((first, t, is_quoted(line)));
        }
        line_start = line_end;
    }
    let tail_from = all.len().saturating_sub(TAIL_LINES);
    let lines = all
        .iter()
        .enumerate()
        .filter(|(_, &(first, end, _))| end - first <= MAX_LINE_WORDS)
        .map(|(i, &(first, end, quoted))| {
            let (s, e) = (
                tokens.normalized_spans[first].0,
                tokens.normalized_spans[end - 1].1,
            );
            Line {
                key: xxh3_64(&tokens.normalized.as_bytes()[s..e]),
                first: first as u32,
                end: end as u32,
                tail: i >= tail_from,
                quoted,
            }
        })
        .collect();
    DocLines {
        text_key: xxh3_64(tokens.normalized.as_bytes()),
        lines,
    }
}

/// True for a line quoted from another message: `>` first (after spaces), or `|` or `:` then `>`,
/// or `:` in the first column.
pub(crate) fn is_quoted(line: &str) -> bool {
    let trimmed = line.trim_start();
    if trimmed.starts_with('>') || line.starts_with(':') {
        return true;
    }
    let mut chars = trimmed.chars();
    matches!(chars.next(), Some('|' | ':')) && chars.as_str().trim_start().starts_with('>')
}

/// The signature lines, as `(line key, source)`: unquoted lines among the last lines of at least
/// `min_docs` documents of one source with different texts. `docs` pairs each document's lines
/// with its source number (one source for all when sources are unknown). A line closing documents
/// of different sources is not a signature (one author writes a signature): it is the end of a
/// story several outlets reprinted. `min_docs` 0 finds none.
pub fn signature_keys(docs: &[(&DocLines, u32)], min_docs: usize) -> HashSet<(u64, u32)> {
    if min_docs == 0 {
        return HashSet::new();
    }
    let mut closing: Vec<(u64, u32, u64)> = docs
        .iter()
        .flat_map(|&(d, source)| {
            d.lines
                .iter()
                .filter(|l| l.tail && !l.quoted)
                .map(move |l| (l.key, source, d.text_key))
        })
        .collect();
    closing.sort_unstable();
    closing.dedup();
    closing
        .chunk_by(|x, y| (x.0, x.1) == (y.0, y.1))
        .filter(|run| run.len() >= min_docs.max(2))
        .map(|run| (run[0].0, run[0].1))
        .collect()
}

/// The token ranges of the signature lines of `doc` (of source `source`), wherever they are in it.
pub fn signature_spans(
    doc: &DocLines,
    source: u32,
    keys: &HashSet<(u64, u32)>,
) -> Vec<(usize, usize)> {
    if keys.is_empty() {
        return Vec::new();
    }
    doc.lines
        .iter()
        .filter(|l| keys.contains(&(l.key, source)))
        .map(|l| (l.first as usize, l.end as usize))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{tokenize, Normalization};

    fn lines(text: &str) -> DocLines {
        doc_lines(text, &tokenize(text, &Normalization::default()))
    }

    fn masked_words(text: &str, keys: &HashSet<(u64, u32)>) -> Vec<String> {
        let tokens = tokenize(text, &Normalization::default());
        signature_spans(&doc_lines(text, &tokens), 0, keys)
            .into_iter()
            .map(|(f, e)| {
                (f..e)
                    .map(|i| tokens.token(i))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    const SIG: &str =
        "-- \nJosh Hopkins   jbh55289@uxa.cso.uiuc.edu\n\"Find a way or make one.\"\n";

    #[test]
    fn a_closing_shared_by_three_different_posts_is_a_signature_everywhere() {
        let posts = [
            format!("The launch slipped again.\nNobody was surprised.\n{SIG}"),
            format!("Orbital mechanics is not intuitive.\n{SIG}"),
            format!("I would rather fund the probes.\n\n{SIG}"),
        ];
        let docs: Vec<DocLines> = posts.iter().map(|p| lines(p)).collect();
        let one_source: Vec<(&DocLines, u32)> = docs.iter().map(|d| (d, 0)).collect();
        let keys = signature_keys(&one_source, 3);
        assert_eq!(keys.len(), 2, "the name line and the motto");
        // A reply quoting a post with its signature: the quoted signature is masked, the quoted
        // body and the reply's own text are not.
        let reply = "In article <x@y> jbh55289@uxa.cso.uiuc.edu writes:\n> Orbital mechanics is not intuitive.\n> Josh Hopkins   jbh55289@uxa.cso.uiuc.edu\n> \"Find a way or make one.\"\nIt is once you do the sums.\n";
        assert_eq!(
            masked_words(reply, &keys),
            [
                "josh hopkins jbh55289 uxa cso uiuc edu",
                "find a way or make one"
            ]
        );
        assert!(
            signature_keys(&one_source, 4).is_empty(),
            "three posts are not four"
        );
        assert!(signature_keys(&one_source, 0).is_empty());
        // The same closing under three outlets' documents is a reprinted story's end.
        let outlets: Vec<(&DocLines, u32)> = docs.iter().zip(0..).collect();
        assert!(signature_keys(&outlets, 2).is_empty());
        let source_5: Vec<(&DocLines, u32)> = docs.iter().map(|d| (d, 5)).collect();
        assert!(
            masked_words(reply, &signature_keys(&source_5, 3)).is_empty(),
            "a signature of source 5 is not masked in a document of source 0"
        );
    }

    #[test]
    fn copies_and_quotations_do_not_make_signatures() {
        // The same post cross-posted three times counts once.
        let post = lines("A long answer about engines.\nWith a last line.\n");
        assert!(signature_keys(&[(&post, 0), (&post, 0), (&post, 0)], 2).is_empty());
        // Three replies ending with the same quoted closing line of a post: quoted lines never
        // count, only the source's own line does.
        let source = lines("Body of the question.\nWhat do you think?\n");
        let replies: Vec<DocLines> = ["I agree.", "I disagree.", "No idea."]
            .iter()
            .map(|r| lines(&format!("{r}\n> What do you think?\n")))
            .collect();
        let mut all: Vec<(&DocLines, u32)> = replies.iter().map(|d| (d, 0)).collect();
        all.push((&source, 0));
        assert!(signature_keys(&all, 2).is_empty());
    }

    #[test]
    fn only_the_last_lines_and_short_lines_count() {
        let closing = "Same closing line here\n";
        let body: String = (0..TAIL_LINES)
            .map(|i| format!("line number {i} of the body\n"))
            .collect();
        // The shared line is followed by TAIL_LINES other lines: it is not in the tail.
        let docs: Vec<DocLines> = (0..3)
            .map(|i| lines(&format!("Post {i}.\n{closing}{body}")))
            .collect();
        let keys = signature_keys(&docs.iter().map(|d| (d, 0)).collect::<Vec<_>>(), 3);
        assert!(!keys.contains(&(lines(closing).lines[0].key, 0)));
        let long = format!("{}\n", "word ".repeat(MAX_LINE_WORDS + 1));
        assert!(lines(&long).lines.is_empty(), "long lines are prose");
        assert!(is_quoted("> text") && is_quoted("  |> text") && is_quoted(": text"));
        assert!(!is_quoted("| ascii art |") && !is_quoted("text: more"));
    }
}
