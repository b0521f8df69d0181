//! candle-bert-bench MODEL_DIR IDS.jsonl OUT.jsonl: each line of IDS.jsonl a JSON array of token ids
//! ([CLS] ... [SEP]); writes one JSON array (the mean-pooled, unit-length embedding) per line and
//! prints the encoding time on standard error. One sequence at a time, as pair re-scoring runs.
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use std::io::Write;

fn main() -> candle_core::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&args[1]);
    let device = Device::Cpu;
    let config: Config =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    let vb = VarBuilder::from_buffered_safetensors(weights, DTYPE, &device)?;
    let model = BertModel::load(vb, &config)?;
    let seqs: Vec<Vec<u32>> = std::fs::read_to_string(&args[2])
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let start = std::time::Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[3]).unwrap());
    let mut tokens = 0usize;
    for ids in &seqs {
        tokens += ids.len();
        let input = Tensor::new(ids.as_slice(), &device)?.unsqueeze(0)?;
        let types = input.zeros_like()?;
        let h = model.forward(&input, &types, None)?; // [1, seq, 384]
        let m = h.mean(1)?.squeeze(0)?;
        let norm = m.sqr()?.sum_all()?.sqrt()?;
        let v: Vec<f32> = m.broadcast_div(&norm)?.to_vec1()?;
        writeln!(out, "{}", serde_json::to_string(&v).unwrap()).unwrap();
    }
    let s = start.elapsed().as_secs_f64();
    eprintln!(
        "{} sequences, {} tokens in {:.2} s: {:.1} sequences/s, {:.0} tokens/s",
        seqs.len(),
        tokens,
        s,
        seqs.len() as f64 / s,
        tokens as f64 / s
    );
    Ok(())
}
