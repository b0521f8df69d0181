//! A tiny model in the real file format (20 tokens, 4 dimensions), for tests that must not depend on
//! the distilled model being built: the loading and pooling code is the same.

use super::safetensors::write_matrix;
use std::path::Path;

/// The vocabulary of the tiny model, in id order.
pub const PIECES: [&str; 20] = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "the",
    "grain",
    "export",
    "##s",
    "resume",
    "##d",
    ",",
    ".",
    "'",
    "s",
    "cafe",
    "東",
    "京",
    "un",
    "##related",
    "minister",
];

/// A BERT-style `tokenizer.json` over [`PIECES`].
pub fn tokenizer_json() -> String {
    let vocab: serde_json::Map<String, serde_json::Value> = PIECES
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), serde_json::json!(i)))
        .collect();
    serde_json::json!({
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

/// Write the tiny model into `dir`: token `i` is 1 on axis `i % 4` plus 0.5 on axis `(i / 4) % 4`.
pub fn write_tiny_model(dir: &Path) -> std::io::Result<()> {
    let (vocab, dims) = (PIECES.len(), 4);
    let mut data = vec![0f32; vocab * dims];
    for i in 0..vocab {
        data[i * dims + i % dims] = 1.0;
        data[i * dims + (i / dims) % dims] += 0.5;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("tokenizer.json"), tokenizer_json())?;
    std::fs::write(
        dir.join("model.safetensors"),
        write_matrix("embeddings", vocab, dims, &data),
    )?;
    std::fs::write(
        dir.join("config.json"),
        r#"{"normalize": true, "hidden_dim": 4}"#,
    )
}
