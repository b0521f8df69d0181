//! Criterion benchmarks of the dedup hot loops: tokenize, shingle, MinHash (one-permutation vs k
//! permutations), LSH band keys, Jaccard, the whole per-document sketch, and the choice of bands.
//!
//! Texts come from `../shared/data/reuters21578.jsonl.gz` (relative to the repository root) when it is
//! there, otherwise from a deterministic generator, so the benchmarks always run.
//!
//! ```text
//! cargo bench -p overlap --bench hot_loops            # all
//! cargo bench -p overlap --bench hot_loops -- minhash # one group
//! ```
//!
//! Sample sizes and measurement times are kept small so the whole suite takes about a minute.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use overlap::align::{align, AlignConfig};
use overlap::dedup::{jaccard, DedupConfig, Sketcher};
use overlap::sketch::{LshParams, MinHashScheme, MinHasher};
use overlap::text::{shingle_hashes, shingle_set, tokenize, tokenize_into, Normalization, Tokens};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Duration;

/// Documents used for the corpus-level benchmarks.
const SAMPLE_DOCS: usize = 2000;

/// Up to `SAMPLE_DOCS` texts of Reuters-21578, or generated texts when the shared data is missing.
fn corpus_texts() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/reuters21578.jsonl.gz");
    match std::fs::File::open(&path) {
        Ok(file) => {
            let reader = BufReader::new(flate2::read::GzDecoder::new(file));
            reader
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| {
                    let v: serde_json::Value = serde_json::from_str(&line).ok()?;
                    Some(v.get("text")?.as_str()?.to_string())
                })
                .take(SAMPLE_DOCS)
                .collect()
        }
        Err(_) => {
            eprintln!("{} not found: using generated text", path.to_string_lossy());
            (0..SAMPLE_DOCS as u64)
                .map(|i| generated_text(i, 40 + (i as usize * 37) % 400))
                .collect()
        }
    }
}

/// A deterministic text of `words` words drawn from a small Zipf-like vocabulary, with punctuation.
fn generated_text(seed: u64, words: usize) -> String {
    const VOCAB: [&str; 24] = [
        "the", "of", "and", "to", "in", "said", "a", "mln", "for", "dlrs", "it", "reuter", "pct",
        "on", "is", "that", "year", "u.s", "billion", "company", "3.14", "155,221", "don't",
        "bank",
    ];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut text = String::with_capacity(words * 6);
    for i in 0..words {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let r = (state % 1000) as usize;
        // Skewed towards the first words, like natural text; every 20th word is rare (unique-ish).
        if i % 20 == 19 {
            text.push_str(&format!("w{}", state % 100_000));
        } else {
            text.push_str(VOCAB[(r * r) / (1000 * 1000 / VOCAB.len() + 1) % VOCAB.len()]);
        }
        text.push_str(if i % 12 == 11 { ". " } else { " " });
    }
    text
}

/// A text with accents, typographic apostrophes, full-width letters and CJK, to exercise the
/// non-ASCII path of the tokenizer and NFKC normalization.
fn unicode_text(words: usize) -> String {
    const VOCAB: [&str; 12] = [
        "Café",
        "naïve",
        "don’t",
        "Straße",
        "ΟΔΟΣ",
        "Ｈｅｌｌｏ",
        "ﬁnance",
        "東京",
        "résumé",
        "coöperate",
        "São",
        "Zürich",
    ];
    (0..words)
        .map(|i| VOCAB[(i * 7 + i / 3) % VOCAB.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn tokenized(texts: &[String]) -> Vec<Tokens> {
    let norm = Normalization::default();
    texts.iter().map(|t| tokenize(t, &norm)).collect()
}

fn shingle_sets(tokens: &[Tokens]) -> Vec<Vec<u64>> {
    tokens
        .iter()
        .map(|t| {
            let mut s = Vec::new();
            shingle_set(t, 5, &mut s);
            s
        })
        .collect()
}

/// A sorted set of `n` distinct pseudo-random shingle hashes starting at `offset`.
fn hash_set(offset: u64, n: usize) -> Vec<u64> {
    let mut v: Vec<u64> = (offset..offset + n as u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x5555)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn bench_tokenize(c: &mut Criterion) {
    let texts = corpus_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let norm = Normalization::default();
    let mut g = c.benchmark_group("tokenize");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("reuters_sample", |b| {
        let mut out = Tokens::default();
        b.iter(|| {
            for t in &texts {
                tokenize_into(black_box(t), &norm, &mut out);
            }
            out.len()
        })
    });
    let uni = unicode_text(20_000);
    g.throughput(Throughput::Bytes(uni.len() as u64));
    g.bench_function("unicode_nfkc", |b| {
        let mut out = Tokens::default();
        b.iter(|| {
            tokenize_into(black_box(&uni), &norm, &mut out);
            out.len()
        })
    });
    g.finish();
}

fn bench_shingle(c: &mut Criterion) {
    let tokens = tokenized(&corpus_texts());
    let n_tokens: usize = tokens.iter().map(Tokens::len).sum();
    let mut g = c.benchmark_group("shingle");
    g.throughput(Throughput::Elements(n_tokens as u64));
    g.bench_function("hashes_5gram", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for t in &tokens {
                out.clear();
                shingle_hashes(black_box(t), 5, &mut out);
            }
            out.len()
        })
    });
    g.bench_function("set_5gram", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for t in &tokens {
                shingle_set(black_box(t), 5, &mut out);
            }
            out.len()
        })
    });
    g.finish();
}

fn bench_minhash(c: &mut Criterion) {
    let mut g = c.benchmark_group("minhash_k128");
    // Document sizes in distinct shingles: a short wire item, Reuters' mean (~130), a long article, a
    // very long document.
    for n in [20usize, 130, 1000, 10_000] {
        let set = hash_set(n as u64 * 1_000_003, n);
        g.throughput(Throughput::Elements(n as u64));
        for (name, scheme) in [
            ("one_permutation", MinHashScheme::OnePermutation),
            ("permutations", MinHashScheme::Permutations),
        ] {
            let hasher = MinHasher::new(128, 1, scheme);
            g.bench_with_input(BenchmarkId::new(name, n), &set, |b, set| {
                let mut sig = Vec::with_capacity(128);
                b.iter(|| {
                    hasher.signature_into(black_box(set), &mut sig);
                    sig[0]
                })
            });
        }
    }
    g.finish();

    // The corpus sample, as dedup sees it (real size distribution).
    let sets = shingle_sets(&tokenized(&corpus_texts()));
    let total: usize = sets.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("minhash_k128_reuters_sample");
    g.throughput(Throughput::Elements(total as u64));
    for (name, scheme) in [
        ("one_permutation", MinHashScheme::OnePermutation),
        ("permutations", MinHashScheme::Permutations),
    ] {
        let hasher = MinHasher::new(128, 1, scheme);
        g.bench_function(name, |b| {
            let mut sig = Vec::with_capacity(128);
            b.iter(|| {
                for s in &sets {
                    hasher.signature_into(black_box(s), &mut sig);
                }
                sig[0]
            })
        });
    }
    g.finish();
}

fn bench_bands(c: &mut Criterion) {
    let hasher = MinHasher::new(128, 1, MinHashScheme::OnePermutation);
    let signature = hasher.signature(&hash_set(7, 130));
    let mut g = c.benchmark_group("band_keys");
    for params in [
        LshParams { bands: 17, rows: 7 },
        LshParams { bands: 9, rows: 13 },
        LshParams { bands: 16, rows: 8 },
    ] {
        let id = format!("{}x{}", params.bands, params.rows);
        g.bench_function(id, |b| {
            let mut keys = Vec::with_capacity(params.bands);
            b.iter(|| {
                keys.clear();
                params.band_keys(black_box(&signature), &mut keys);
                keys[0]
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("lsh_params");
    g.bench_function("optimal_weighted_0.8_k128", |b| {
        b.iter(|| LshParams::optimal_weighted(black_box(0.8), black_box(128), 0.02, 0.98))
    });
    g.finish();
}

fn bench_jaccard(c: &mut Criterion) {
    let mut g = c.benchmark_group("jaccard");
    for n in [130usize, 1000, 10_000] {
        // Two sets sharing ~90% of their elements.
        let a = hash_set(0, n);
        let b = hash_set(n as u64 / 10, n);
        g.throughput(Throughput::Elements(2 * n as u64));
        g.bench_with_input(
            BenchmarkId::new("sorted_merge", n),
            &(a, b),
            |bch, (a, b)| bch.iter(|| jaccard(black_box(a), black_box(b))),
        );
    }
    g.finish();
}

fn bench_sketch(c: &mut Criterion) {
    let texts = corpus_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let sketcher = Sketcher::new(&DedupConfig::default());
    let mut g = c.benchmark_group("sketch_document");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("reuters_sample_default_config", |b| {
        b.iter(|| {
            let mut bands = 0;
            for t in &texts {
                bands += sketcher.sketch(black_box(t)).bands.len();
            }
            bands
        })
    });
    g.finish();
}

/// Two versions of a 5,000-word text: the second reorders its paragraphs, rewords every third
/// sentence (every fourth word replaced), drops some sentences and inserts unrelated paragraphs.
fn reprint_pair() -> (String, String) {
    let texts = corpus_texts();
    let mut words = 0;
    let mut original: Vec<&str> = Vec::new();
    for t in &texts {
        if words >= 5000 {
            break;
        }
        words += t.split_whitespace().count();
        original.push(t);
    }
    let a = original.join("\n\n");
    let mut paragraphs: Vec<String> = original
        .iter()
        .enumerate()
        .map(|(p, text)| {
            text.split(". ")
                .enumerate()
                .filter(|(s, _)| (p + s) % 7 != 3)
                .map(|(s, sentence)| {
                    if (p + s) % 3 == 0 {
                        sentence
                            .split_whitespace()
                            .enumerate()
                            .map(|(w, word)| if w % 4 == 1 { "reworded" } else { word })
                            .collect::<Vec<_>>()
                            .join(" ")
                    } else {
                        sentence.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(". ")
        })
        .collect();
    paragraphs.reverse();
    for (i, extra) in texts.iter().rev().take(paragraphs.len() / 4).enumerate() {
        paragraphs.insert((i * 4).min(paragraphs.len()), extra.clone());
    }
    (a, paragraphs.join("\n\n"))
}

fn bench_align(c: &mut Criterion) {
    let (a, b) = reprint_pair();
    let config = AlignConfig::default();
    let mut g = c.benchmark_group("align");
    g.bench_function("reprint_5000_words", |bench| {
        bench.iter(|| align(black_box(&a), black_box(&b), &config).passages.len())
    });
    g.finish();
}

criterion_group! {
    name = hot_loops;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench_tokenize, bench_shingle, bench_minhash, bench_bands, bench_jaccard, bench_sketch, bench_align
}
criterion_main!(hot_loops);
