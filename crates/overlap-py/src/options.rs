//! Keyword options from Python, as one JSON object, into the engine's configuration structs. An
//! absent or `None` option takes the engine's default; an unknown one is a `ValueError`.

use overlap::align::AlignConfig;
use overlap::dedup::DedupConfig;
use overlap::io::{CorpusInput, Format, OnError};
use overlap::reuse::ReuseConfig;
use overlap::sketch::{LshParams, MinHashScheme};
use overlap::text::Normalization;
use pyo3::exceptions::PyValueError;
use pyo3::PyResult;
use serde_json::{Map, Value};

/// Most worker threads a call may ask for (as the CLI's cap, so a typo cannot start thousands).
const MAX_THREADS: usize = 1024;

pub struct Opts(Map<String, Value>);

fn bad(name: &str, want: &str, got: &Value) -> pyo3::PyErr {
    PyValueError::new_err(format!("option {name} must be {want}, got {got}"))
}

impl Opts {
    pub fn parse(json: &str) -> PyResult<Self> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Ok(Opts(map)),
            _ => Err(PyValueError::new_err("options must be a JSON object")),
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }

    pub fn f64(&mut self, name: &str) -> PyResult<Option<f64>> {
        self.take(name)
            .map(|v| v.as_f64().ok_or_else(|| bad(name, "a number", &v)))
            .transpose()
    }

    pub fn usize(&mut self, name: &str) -> PyResult<Option<usize>> {
        self.take(name)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| bad(name, "a non-negative integer", &v))
            })
            .transpose()
    }

    pub fn u64(&mut self, name: &str) -> PyResult<Option<u64>> {
        self.take(name)
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| bad(name, "a non-negative integer", &v))
            })
            .transpose()
    }

    pub fn u32(&mut self, name: &str) -> PyResult<Option<u32>> {
        self.take(name)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad(name, "a non-negative integer", &v))
            })
            .transpose()
    }

    pub fn bool(&mut self, name: &str) -> PyResult<Option<bool>> {
        self.take(name)
            .map(|v| v.as_bool().ok_or_else(|| bad(name, "True or False", &v)))
            .transpose()
    }

    pub fn string(&mut self, name: &str) -> PyResult<Option<String>> {
        self.take(name)
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(bad(name, "a string", &other)),
            })
            .transpose()
    }

    /// Refuse whatever option is left: it is not one of this call's.
    pub fn finish(self) -> PyResult<()> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(k) => Err(PyValueError::new_err(format!("unknown option {k:?}"))),
        }
    }

    /// `memory` (a size such as "512MiB", as the CLI's `--memory`) and `tmp_dir`.
    pub fn spill(&mut self) -> PyResult<overlap::spill::SpillOptions> {
        let budget = match self.string("memory")? {
            None => Default::default(),
            Some(m) => m
                .parse()
                .map_err(|e: overlap::Error| PyValueError::new_err(e.to_string()))?,
        };
        Ok(overlap::spill::SpillOptions {
            budget,
            tmp_dir: self.string("tmp_dir")?.map(Into::into),
        })
    }

    pub fn threads(&mut self) -> PyResult<Option<usize>> {
        match self.usize("threads")? {
            Some(n) if n > MAX_THREADS => Err(PyValueError::new_err(format!(
                "threads must be 0 (one per core) to {MAX_THREADS}, got {n}"
            ))),
            t => Ok(t),
        }
    }

    pub fn normalization(&mut self) -> PyResult<Normalization> {
        let d = Normalization::default();
        Ok(Normalization {
            nfkc: self.bool("nfkc")?.unwrap_or(d.nfkc),
            case_fold: self.bool("case_fold")?.unwrap_or(d.case_fold),
            fold_punctuation: self.bool("fold_punctuation")?.unwrap_or(d.fold_punctuation),
        })
    }

    /// The dedup configuration. `near` adds the near-duplicate options (threshold, verification,
    /// LSH); without it, only what a signature depends on.
    pub fn dedup_config(&mut self, near: bool) -> PyResult<DedupConfig> {
        let d = DedupConfig::default();
        let scheme = match self.string("scheme")?.as_deref() {
            None | Some("one-permutation") => MinHashScheme::OnePermutation,
            Some("permutations") => MinHashScheme::Permutations,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "scheme must be 'one-permutation' or 'permutations', got {other:?}"
                )))
            }
        };
        let mut config = DedupConfig {
            ngram: self.usize("ngram")?.unwrap_or(d.ngram),
            num_perm: self.usize("num_perm")?.unwrap_or(d.num_perm),
            seed: self.u64("seed")?.unwrap_or(d.seed),
            scheme,
            normalization: self.normalization()?,
            fix_encoding: self.bool("fix_encoding")?.unwrap_or(d.fix_encoding),
            ..d
        };
        if near {
            config.clusters = match self.string("clusters")?.as_deref() {
                None | Some("components") => overlap::dedup::ClusterMode::Components,
                Some("guarded") => overlap::dedup::ClusterMode::Guarded,
                Some(other) => {
                    return Err(PyValueError::new_err(format!(
                        "clusters must be 'components' or 'guarded', got {other:?}"
                    )))
                }
            };
            config.threshold = self.f64("threshold")?.unwrap_or(config.threshold);
            config.verify = self.bool("verify")?.unwrap_or(config.verify);
            config.fn_weight = self.f64("fn_weight")?;
            config.lsh = match (self.usize("bands")?, self.usize("rows")?) {
                (None, None) => None,
                (Some(bands), Some(rows)) => Some(LshParams { bands, rows }),
                _ => return Err(PyValueError::new_err("bands and rows go together")),
            };
        }
        config
            .validate()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(config)
    }

    pub fn corpus_input(&mut self, paths: Vec<String>) -> PyResult<CorpusInput> {
        let mut input = CorpusInput::new(paths);
        if let Some(id) = self.string("id_field")? {
            input.fields.id = id;
        }
        if let Some(text) = self.string("text_field")? {
            input.fields.text = text;
        }
        input.format = match self.string("format")?.as_deref() {
            None => None,
            Some("jsonl") => Some(Format::Jsonl),
            Some("text") => Some(Format::Text),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "format must be 'jsonl' or 'text', got {other:?}"
                )))
            }
        };
        input.on_error = match self.string("on_error")?.as_deref() {
            None | Some("fail") => OnError::Fail,
            Some("skip") => OnError::Skip,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "on_error must be 'fail' or 'skip', got {other:?}"
                )))
            }
        };
        if let Some(max) = self.usize("max_record_bytes")? {
            input.max_record_bytes = max;
        }
        Ok(input)
    }

    pub fn align_config(&mut self) -> PyResult<AlignConfig> {
        let d = AlignConfig::default();
        let config = AlignConfig {
            normalization: self.normalization()?,
            anchor_ngram: self.usize("anchor_ngram")?.unwrap_or(d.anchor_ngram),
            min_run: self.usize("min_run")?.unwrap_or(d.min_run),
            min_passage_words: self
                .usize("min_passage_words")?
                .unwrap_or(d.min_passage_words),
            reworded_dice: self.f64("reworded_dice")?.unwrap_or(d.reworded_dice),
            reworded_containment: self
                .f64("reworded_containment")?
                .unwrap_or(d.reworded_containment),
            min_shared_content_words: self
                .u32("min_shared_words")?
                .unwrap_or(d.min_shared_content_words),
            min_shared_rare_words: self
                .u32("min_shared_rare_words")?
                .unwrap_or(d.min_shared_rare_words),
            context_dice: self.f64("context_dice")?.unwrap_or(d.context_dice),
            context_containment: self
                .f64("context_containment")?
                .unwrap_or(d.context_containment),
            min_context_words: self
                .u32("min_context_words")?
                .unwrap_or(d.min_context_words),
            related_score: self.f64("related_score")?.unwrap_or(d.related_score),
            min_related_words: self
                .usize("min_related_words")?
                .unwrap_or(d.min_related_words),
            min_related_evidence_words: self
                .f64("related_words")?
                .unwrap_or(d.min_related_evidence_words),
            min_related_verbatim_words: self
                .usize("related_verbatim_words")?
                .unwrap_or(d.min_related_verbatim_words),
        };
        for (name, v) in [
            ("reworded_dice", config.reworded_dice),
            ("reworded_containment", config.reworded_containment),
            ("context_dice", config.context_dice),
            ("context_containment", config.context_containment),
            ("related_score", config.related_score),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(PyValueError::new_err(format!(
                    "{name} must be in [0, 1], got {v}"
                )));
            }
        }
        if config.anchor_ngram == 0 || !config.min_related_evidence_words.is_finite() {
            return Err(PyValueError::new_err(
                "anchor_ngram must be at least 1 and related_words a finite number",
            ));
        }
        Ok(config)
    }

    pub fn reuse_config(&mut self) -> PyResult<ReuseConfig> {
        let d = ReuseConfig::default();
        // `anchor_ngram` is reuse's candidate n-gram here, as `overlap reuse --anchor-ngram`.
        let anchor_ngram = self.usize("anchor_ngram")?.unwrap_or(d.anchor_ngram);
        let config = ReuseConfig {
            align: self.align_config()?,
            anchor_ngram,
            min_shared_anchors: self
                .usize("min_shared_anchors")?
                .unwrap_or(d.min_shared_anchors),
            max_df: self.usize("max_df")?.unwrap_or(d.max_df),
            rare_word_min_docs: self
                .usize("rare_word_docs")?
                .unwrap_or(d.rare_word_min_docs),
            signature_min_docs: self
                .usize("signature_docs")?
                .unwrap_or(d.signature_min_docs),
            boilerplate_inline_words: self
                .usize("boilerplate_inline_words")?
                .unwrap_or(d.boilerplate_inline_words),
            ..d
        };
        if config.anchor_ngram == 0 || config.max_df == 0 || config.min_shared_anchors == 0 {
            return Err(PyValueError::new_err(
                "anchor_ngram, min_shared_anchors and max_df must be at least 1",
            ));
        }
        Ok(config)
    }
}
