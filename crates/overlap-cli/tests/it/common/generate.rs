//! Generated corpora for the bounds tests: template clusters, planted chains and long texts. A small
//! deterministic generator (splitmix64), so every run sees the same data.

use std::fmt::Write as _;

/// splitmix64: tiny, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A pronounceable made-up word, distinct for distinct `i`.
pub fn word(i: usize) -> String {
    const C: &[u8] = b"bcdfghjklmnprstvz";
    const V: &[u8] = b"aeiou";
    let mut w = String::new();
    let mut x = i + 1;
    while x > 0 {
        w.push(C[x % C.len()] as char);
        x /= C.len();
        w.push(V[x % V.len()] as char);
        x /= V.len();
    }
    w
}

/// `n` words drawn from a vocabulary of `vocab` words, skewed towards the first (as in text).
pub fn words(rng: &mut Rng, n: usize, vocab: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let r = rng.below(vocab);
            word(rng.below(r + 1))
        })
        .collect()
}

fn jsonl_line(out: &mut String, id: &str, words: &[String]) {
    let text = words.join(" ");
    writeln!(out, "{}", serde_json::json!({"id": id, "text": text})).unwrap();
}

/// A template cluster: `n` documents that are the same `len` words with one word of their own
/// inserted at a random place (calendar pages, product pages). JSON Lines.
pub fn template_corpus(n: usize, len: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let template = words(&mut rng, len, 5_000);
    let mut out = String::new();
    for i in 0..n {
        let mut doc = template.clone();
        doc.insert(rng.below(len + 1), format!("unique{i}x"));
        jsonl_line(&mut out, &format!("t{i}"), &doc);
    }
    out
}

/// A planted chain: document `k + 1` is document `k` with `changes` words replaced by new ones, so
/// neighbours are near-duplicates while the ends of the chain share little. JSON Lines, ids `c0`..,
/// followed by `unrelated` documents of their own.
pub fn chain_corpus(links: usize, len: usize, changes: usize, unrelated: usize) -> String {
    let mut rng = Rng::new(7);
    let mut doc = words(&mut rng, len, 20_000);
    let mut out = String::new();
    let mut fresh = 0;
    for k in 0..links {
        jsonl_line(&mut out, &format!("c{k}"), &doc);
        for _ in 0..changes {
            let at = rng.below(len);
            doc[at] = format!("new{fresh}w");
            fresh += 1;
        }
    }
    for u in 0..unrelated {
        let other = words(&mut rng, len, 20_000);
        jsonl_line(&mut out, &format!("u{u}"), &other);
    }
    out
}

/// Text of about `bytes` bytes: sentences of words from a large vocabulary, in paragraphs.
pub fn long_text(rng: &mut Rng, bytes: usize) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut size = 0;
    while size < bytes {
        let mut p = String::new();
        for _ in 0..1 + rng.below(6) {
            let n = 8 + rng.below(25);
            let mut s = words(rng, n, 50_000).join(" ");
            s.push_str(". ");
            p.push_str(&s);
        }
        size += p.len() + 2;
        paragraphs.push(p);
    }
    paragraphs
}

/// Two long texts of about `bytes` bytes each that share passages: the second holds half of the
/// first's paragraphs, shuffled, some with words replaced, between paragraphs of its own.
pub fn long_pair(bytes: usize, seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let a = long_text(&mut rng, bytes);
    let own = long_text(&mut rng, bytes / 2);
    let mut b: Vec<String> = Vec::new();
    for p in &a {
        match rng.below(6) {
            0..=2 => {}
            3 => b.push(p.replacen(' ', " altered ", 1)),
            _ => b.push(p.clone()),
        }
    }
    b.extend(own);
    for i in (1..b.len()).rev() {
        b.swap(i, rng.below(i + 1));
    }
    (a.join("\n\n"), b.join("\n\n"))
}
