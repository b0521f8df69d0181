//! The terminal view of `overlap align`: a header in plain words, then the two texts side by side
//! in the first document's order: shared passages in both columns, text only one side has in its
//! own column, labelled (and dimmed on a terminal), so the view answers "what did B add, what did A
//! have that B dropped" as well as "what do they share".

use overlap::align::{Alignment, PassageKind};

/// How to draw the view.
pub struct ViewOptions {
    /// Total width in columns.
    pub width: usize,
    /// Only the shared passages (the view before unmatched text was shown).
    pub only_shared: bool,
    /// ANSI dimming of unshared text (on a terminal).
    pub color: bool,
    /// With `--corpus`: the character spans of each document's boilerplate (text the corpus
    /// repeats: n-grams under many documents, template lines, signatures), labelled apart.
    pub boilerplate: Option<(Vec<Span>, Vec<Span>)>,
}

/// One stretch of a document's characters, `[start, end)`.
type Span = (usize, usize);

/// The whole view as text.
pub fn render(
    a: &str,
    b: &str,
    name_a: &str,
    name_b: &str,
    al: &Alignment,
    opts: &ViewOptions,
) -> String {
    let chars_a: Vec<char> = a.chars().collect();
    let chars_b: Vec<char> = b.chars().collect();
    let col = (opts.width.max(40) - 3) / 2;
    let mut out = header(al, name_a, name_b);
    if let Some((ba, bb)) = &opts.boilerplate {
        out = header_in_corpus(al, &chars_a, &chars_b, ba, bb, name_a, name_b);
    }
    let no_spans: (Vec<Span>, Vec<Span>) = Default::default();
    let (boiler_a, boiler_b) = opts.boilerplate.as_ref().unwrap_or(&no_spans);

    let mut order: Vec<usize> = (0..al.passages.len()).collect();
    order.sort_by_key(|&i| (al.passages[i].a, al.passages[i].b));
    let only_a = unshared(&chars_a, al.passages.iter().map(|p| p.a));
    let only_b = unshared(&chars_b, al.passages.iter().map(|p| p.b));

    // B's unshared text goes right after the passage that precedes it in B (or at the top when no
    // passage does), so additions appear next to their context even when B reorders A.
    let mut by_b: Vec<usize> = (0..al.passages.len()).collect();
    by_b.sort_by_key(|&i| al.passages[i].b);
    let mut added_after: Vec<Vec<Span>> = vec![Vec::new(); al.passages.len()];
    let mut added_first = Vec::new();
    for &span in &only_b {
        match by_b.iter().rev().find(|&&i| al.passages[i].b.1 <= span.0) {
            Some(&i) => added_after[i].push(span),
            None => added_first.push(span),
        }
    }

    let mut dropped = only_a.iter().peekable();
    // Consecutive paragraphs one side has alone share one label, a blank row between them.
    let show_one = |out: &mut String, label: &str, spans: &[Span], chars: &[char], left: bool| {
        if opts.only_shared || spans.is_empty() {
            return;
        }
        let side = if left { "A" } else { "B" };
        let (first, last) = (spans[0].0, spans[spans.len() - 1].1);
        out.push_str(&format!("\n   {label}  {side}[{first}..{last}]\n"));
        for (k, span) in spans.iter().enumerate() {
            if k > 0 {
                out.push_str(&format!("{} |\n", " ".repeat(col)));
            }
            let text: String = chars[span.0..span.1].iter().collect();
            for line in wrap(&text, col) {
                let pad = " ".repeat(col - line.chars().count());
                let shown = if opts.color {
                    format!("\x1b[2m{line}\x1b[0m")
                } else {
                    line
                };
                if left {
                    out.push_str(&format!("{shown}{pad} |\n"));
                } else {
                    out.push_str(&format!("{} | {shown}\n", " ".repeat(col)));
                }
            }
        }
    };
    // Runs of paragraphs that are boilerplate get their own label.
    let show = |out: &mut String, label: &str, spans: &[Span], chars: &[char], left: bool| {
        let (boiler, label_boiler) = if left {
            (boiler_a, "boilerplate of A (the corpus repeats it)")
        } else {
            (boiler_b, "boilerplate of B (the corpus repeats it)")
        };
        let mut k = 0;
        while k < spans.len() {
            let is_boiler = mostly_inside(spans[k], boiler);
            let start = k;
            while k < spans.len() && mostly_inside(spans[k], boiler) == is_boiler {
                k += 1;
            }
            let shown = if is_boiler { label_boiler } else { label };
            show_one(out, shown, &spans[start..k], chars, left);
        }
    };
    const DROPPED: &str = "only in A (B dropped it)";
    const ADDED: &str = "only in B (B added it)";
    show(&mut out, ADDED, &added_first, &chars_b, false);
    for (n, &i) in order.iter().enumerate() {
        let p = &al.passages[i];
        let mut before = Vec::new();
        while let Some(&&span) = dropped.peek() {
            if span.0 >= p.a.0 {
                break;
            }
            before.push(span);
            dropped.next();
        }
        show(&mut out, DROPPED, &before, &chars_a, true);
        let kind = match p.kind {
            PassageKind::Verbatim => "shared verbatim",
            PassageKind::Reworded => "shared reworded",
        };
        out.push_str(&format!(
            "\n#{:<3} {kind}, similarity {:.2}   A[{}..{}]   B[{}..{}]\n",
            n + 1,
            p.score,
            p.a.0,
            p.a.1,
            p.b.0,
            p.b.1
        ));
        let left = wrap(&chars_a[p.a.0..p.a.1].iter().collect::<String>(), col);
        let right = wrap(&chars_b[p.b.0..p.b.1].iter().collect::<String>(), col);
        for k in 0..left.len().max(right.len()) {
            let l = left.get(k).map_or("", String::as_str);
            let r = right.get(k).map_or("", String::as_str);
            let pad = col - l.chars().count();
            out.push_str(&format!("{l}{} | {r}\n", " ".repeat(pad)));
        }
        show(&mut out, ADDED, &added_after[i], &chars_b, false);
    }
    let rest: Vec<Span> = dropped.copied().collect();
    show(&mut out, DROPPED, &rest, &chars_a, true);
    out
}

/// What the numbers mean, in words a reader without the README understands.
fn header(al: &Alignment, name_a: &str, name_b: &str) -> String {
    let verbatim = al
        .passages
        .iter()
        .filter(|p| p.kind == PassageKind::Verbatim)
        .count();
    let reworded = al.passages.len() - verbatim;
    let verdict = if al.related {
        "RELATED: the two documents share text"
    } else if al.passages.is_empty() {
        "NOT RELATED: no shared passage found"
    } else {
        "NOT RELATED: what they share is too little to count as reuse"
    };
    format!(
        "{verdict} ({} shared passage{}: {verbatim} verbatim, {reworded} reworded).\n\
         {:.0}% of A's text is in B; {:.0}% of B's text is in A.\n\
         Score {:.3}: the larger of the two shares, each passage counted by its similarity \
         (1 verbatim, less when reworded).\n\
         A = {name_a}\nB = {name_b}\n",
        al.passages.len(),
        if al.passages.len() == 1 { "" } else { "s" },
        100.0 * al.coverage_a,
        100.0 * al.coverage_b,
        al.score,
    )
}

/// At least half of `span` lies inside `spans` (sorted, disjoint).
fn mostly_inside(span: Span, spans: &[Span]) -> bool {
    let inside: usize = spans
        .iter()
        .map(|&(s, e)| e.min(span.1).saturating_sub(s.max(span.0)))
        .sum();
    span.1 > span.0 && 2 * inside >= span.1 - span.0
}

/// The header with `--corpus`: the shares of each text outside its boilerplate too.
fn header_in_corpus(
    al: &Alignment,
    chars_a: &[char],
    chars_b: &[char],
    boiler_a: &[Span],
    boiler_b: &[Span],
    name_a: &str,
    name_b: &str,
) -> String {
    let outside = |chars: &[char], boiler: &[Span], covered: &mut dyn Iterator<Item = Span>| {
        let n = chars.len();
        let mut is_boiler = vec![false; n];
        for &(s, e) in boiler {
            is_boiler[s.min(n)..e.min(n)].fill(true);
        }
        let mut in_passage = vec![false; n];
        for (s, e) in covered {
            in_passage[s.min(n)..e.min(n)].fill(true);
        }
        let text = (0..n).filter(|&i| !is_boiler[i]).count();
        let shared = (0..n).filter(|&i| !is_boiler[i] && in_passage[i]).count();
        let boiler = n - text;
        (
            100.0 * shared as f64 / text.max(1) as f64,
            100.0 * boiler as f64 / n.max(1) as f64,
        )
    };
    let (share_a, boiler_share_a) =
        outside(chars_a, boiler_a, &mut al.passages.iter().map(|p| p.a));
    let (share_b, boiler_share_b) =
        outside(chars_b, boiler_b, &mut al.passages.iter().map(|p| p.b));
    let full = header(al, name_a, name_b);
    let mut lines: Vec<&str> = full.lines().collect();
    let extra = format!(
        "{share_a:.0}% of A's text outside its boilerplate is in B; {share_b:.0}% of B's text \
         outside its boilerplate is in A (boilerplate, text the corpus repeats under many \
         documents: {boiler_share_a:.0}% of A, {boiler_share_b:.0}% of B)."
    );
    lines.insert(2, &extra);
    lines.join("\n") + "\n"
}

/// The stretches of `chars` outside every span, cut into paragraphs and trimmed; stretches without a
/// letter or digit (punctuation, whitespace between passages) are left out. Paragraphs end at blank
/// lines when the text has any (hard-wrapped text), else at every line break.
fn unshared(chars: &[char], spans: impl Iterator<Item = Span>) -> Vec<Span> {
    let blank_lines = (0..chars.len()).any(|i| blank_line_at(chars, i));
    let paragraph_break = |i: usize| chars[i] == '\n' && (!blank_lines || blank_line_at(chars, i));
    let mut covered = vec![false; chars.len()];
    for (s, e) in spans {
        covered[s.min(chars.len())..e.min(chars.len())].fill(true);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if covered[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !covered[i] && !paragraph_break(i) {
            i += 1;
        }
        let (mut s, mut e) = (start, i);
        while s < e && chars[s].is_whitespace() {
            s += 1;
        }
        while e > s && chars[e - 1].is_whitespace() {
            e -= 1;
        }
        if chars[s..e].iter().any(|c| c.is_alphanumeric()) {
            out.push((s, e));
        }
        if i < chars.len() && !covered[i] {
            i += 1;
        }
    }
    out
}

/// A blank line starts at `i`: a newline followed by optional spaces and another newline.
fn blank_line_at(chars: &[char], i: usize) -> bool {
    if chars[i] != '\n' {
        return false;
    }
    chars[i + 1..]
        .iter()
        .take_while(|c| c.is_whitespace())
        .any(|&c| c == '\n')
}

/// Greedy word wrap to `width` characters (words longer than a line are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshared_text_is_cut_at_blank_lines_and_trimmed() {
        let text: Vec<char> = "one two\n\nthree, four.\n  \nfive".chars().collect();
        let spans = unshared(&text, std::iter::empty());
        let got: Vec<String> = spans
            .iter()
            .map(|&(s, e)| text[s..e].iter().collect())
            .collect();
        assert_eq!(got, ["one two", "three, four.", "five"]);
        let lines: Vec<char> = "one\ntwo".chars().collect();
        assert_eq!(unshared(&lines, std::iter::empty()), [(0, 3), (4, 7)]);
    }

    #[test]
    fn covered_text_and_bare_punctuation_are_not_unshared() {
        let text: Vec<char> = "shared words. -- new words".chars().collect();
        let spans = unshared(&text, [(0, 13)].into_iter());
        let got: Vec<String> = spans
            .iter()
            .map(|&(s, e)| text[s..e].iter().collect())
            .collect();
        assert_eq!(got, ["-- new words"]);
        assert!(unshared(&text, [(0, 16), (16, 26)].into_iter()).is_empty());
    }
}
