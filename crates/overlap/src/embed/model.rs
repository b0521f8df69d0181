//! The static model: load a model2vec folder, embed texts.

use super::safetensors::read_matrix;
use super::wordpiece::WordPiece;
use super::MAKE_MODEL;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A static embedding model: one vector per token; a text is the normalized mean of its tokens.
#[derive(Clone, Debug)]
pub struct StaticModel {
    tokenizer: WordPiece,
    dims: usize,
    /// `vocab x dims`, row-major.
    vectors: Vec<f32>,
    normalize: bool,
    dir: PathBuf,
}

impl StaticModel {
    /// Load the model in folder `dir` (`model.safetensors`, `tokenizer.json`, `config.json`). A
    /// missing folder or file is an error that names the command building the model.
    pub fn load(dir: &Path) -> Result<Self> {
        let missing = |file: &str| {
            Error::Model(format!(
                "no model at {}: {file} is missing. Build it with `{MAKE_MODEL}` (run from the overlap \
                 repository; it needs Python 3 and PyPI, nothing else), or point --model or ${} at a \
                 model2vec folder",
                dir.display(),
                super::MODEL_ENV
            ))
        };
        let read = |file: &str| -> Result<Vec<u8>> {
            let path = dir.join(file);
            match std::fs::read(&path) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing(file)),
                Err(e) => Err(Error::io(path, e)),
            }
        };
        // config.json is written last by the build script: its presence marks a finished model.
        let config = read("config.json")?;
        let tokenizer_bytes = read("tokenizer.json")?;
        let weights = read("model.safetensors")?;
        let name = |f: &str| dir.join(f).display().to_string();
        let config: serde_json::Value = serde_json::from_slice(&config)
            .map_err(|e| Error::Model(format!("{}: not valid JSON: {e}", name("config.json"))))?;
        let tokenizer_text = std::str::from_utf8(&tokenizer_bytes)
            .map_err(|e| Error::Model(format!("{}: not UTF-8: {e}", name("tokenizer.json"))))?;
        let tokenizer = WordPiece::from_json(tokenizer_text, &name("tokenizer.json"))?;
        let m = read_matrix(&weights, "embeddings", &name("model.safetensors"))?;
        if m.rows < tokenizer.vocab_size() {
            return Err(Error::Model(format!(
                "{}: {} vectors for a vocabulary of {} tokens",
                name("model.safetensors"),
                m.rows,
                tokenizer.vocab_size()
            )));
        }
        Ok(StaticModel {
            tokenizer,
            dims: m.cols,
            vectors: m.data,
            normalize: config["normalize"].as_bool().unwrap_or(true),
            dir: dir.to_path_buf(),
        })
    }

    /// The folder the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Dimensions of a vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Token ids of `text` that carry a vector: `[UNK]` is dropped, as model2vec does.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        // About one token per four bytes of English: few reallocations as the ids are pushed.
        let mut ids = Vec::with_capacity(text.len() / 4 + 4);
        self.tokenizer.encode(text, &mut ids);
        if let Some(unk) = self.tokenizer.unk() {
            ids.retain(|&i| i != unk);
        }
        ids
    }

    /// The embedding of `text`: the mean of its tokens' vectors, summed in text order, then scaled to
    /// unit length (when the model's config asks for it, as model2vec's do). A text without any known
    /// token is the zero vector.
    pub fn encode(&self, text: &str) -> Vec<f32> {
        let ids = self.token_ids(text);
        self.pool(&ids)
    }

    /// The pooled vector of token ids (each `< vocab`).
    pub fn pool(&self, ids: &[u32]) -> Vec<f32> {
        let mut sum = vec![0f32; self.dims];
        for &id in ids {
            let row = &self.vectors[id as usize * self.dims..][..self.dims];
            for (s, v) in sum.iter_mut().zip(row) {
                *s += v;
            }
        }
        if ids.is_empty() {
            return sum;
        }
        let scale = if self.normalize {
            let norm = sum
                .iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                .sqrt();
            if norm > 0.0 {
                (1.0 / norm) as f32
            } else {
                0.0
            }
        } else {
            1.0 / ids.len() as f32
        };
        sum.iter_mut().for_each(|x| *x *= scale);
        sum
    }

    /// The embedding of every sentence unit of a document prepared for alignment, in unit order:
    /// the sentence vectors that [`crate::align::Semantic`] pairs by.
    pub fn encode_units(&self, doc: &crate::align::Prepared) -> Vec<Vec<f32>> {
        doc.units
            .iter()
            .map(|u| self.encode(&doc.text[u.start_byte..u.end_byte]))
            .collect()
    }

    /// [`encode`](Self::encode) every text, on the worker threads; results in input order, each the
    /// same bits as alone.
    pub fn encode_many(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.par_iter().map(|t| self.encode(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::cosine;
    use super::super::safetensors::write_matrix;
    use super::super::tiny::write_tiny_model;
    use super::*;

    #[test]
    fn tiny_model_loads_and_embeds() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_model(dir.path()).unwrap();
        let m = StaticModel::load(dir.path()).unwrap();
        assert_eq!(m.dims(), 4);
        // "the grain exports" -> ids 4, 5, 6, 7: the mean of their rows, unit length.
        let v = m.encode("The grain exports");
        assert_eq!(m.token_ids("The grain exports"), [4, 5, 6, 7]);
        let mut expected = [0f32; 4];
        for id in [4usize, 5, 6, 7] {
            expected[id % 4] += 1.0;
            expected[(id / 4) % 4] += 0.5;
        }
        let norm = expected.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b / norm).abs() < 1e-6, "{v:?}");
        }
        // Unknown words are dropped; nothing known is the zero vector.
        assert_eq!(m.encode("grain zzz"), m.encode("grain"));
        assert_eq!(m.encode("zzz qqq"), vec![0.0; 4]);
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&v, &[0.0; 4]), 0.0);
        // Batch encoding gives the same bits as one at a time.
        let texts = ["the grain", "resumed exports", "東京", ""];
        let batch = m.encode_many(&texts);
        for (t, b) in texts.iter().zip(&batch) {
            assert_eq!(&m.encode(t), b);
        }
    }

    #[test]
    fn a_missing_model_names_the_command_that_builds_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = StaticModel::load(&dir.path().join("nowhere")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("scripts/make-model.sh"), "{msg}");
        assert!(msg.contains("config.json is missing"), "{msg}");
    }

    #[test]
    fn a_short_matrix_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_model(dir.path()).unwrap();
        std::fs::write(
            dir.path().join("model.safetensors"),
            write_matrix("embeddings", 3, 4, &[0.0; 12]),
        )
        .unwrap();
        let e = StaticModel::load(dir.path()).unwrap_err();
        assert!(
            e.to_string().contains("3 vectors for a vocabulary of 20"),
            "{e}"
        );
    }
}
