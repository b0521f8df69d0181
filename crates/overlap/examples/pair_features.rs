//! The two numbers `reuse --semantic --semantic-rescore never` combines, for pairs of sentences:
//! the static model's cosine and the weighted word overlap
//! ([`overlap::reuse::static_tier::pair_features`]). `bench/eval_sts.py --static-dice` tunes their
//! combination on STS news train+dev with it.
//!
//!     cargo run --release -p overlap --example pair_features -- MODEL_DIR < pairs.jsonl
//!
//! Reads `{"text1", "text2", ...}` lines, writes one `{"static": c, "dice": d}` line per pair.

use overlap::embed::StaticModel;
use overlap::reuse::static_tier::pair_features;
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: pair_features MODEL_DIR < pairs.jsonl")?;
    let model = StaticModel::load(std::path::Path::new(&dir))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        pairs.push((text("text1"), text("text2")));
    }
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let rare = overlap::reuse::ReuseConfig::default().rare_word_min_docs;
    for (c, d) in pair_features(&model, &refs, rare) {
        writeln!(out, "{}", serde_json::json!({"static": c, "dice": d}))?;
    }
    Ok(())
}
