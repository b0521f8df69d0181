//! Arguments shared by the corpus commands.

use crate::ranges::{int, non_empty_path, MAX_THREADS};
use clap::{Args, ValueEnum};
use overlap::io::{CorpusInput, FieldNames, Format, OnError};
use overlap::sketch::MinHashScheme;
use overlap::text::Normalization;

/// Where documents come from and how bad records are treated.
#[derive(Args, Clone)]
pub struct InputArgs {
    /// Inputs: JSONL files (optionally .gz/.zst), Parquet files, text files, directories, or `-`
    /// for stdin.
    #[arg(required = true, value_name = "INPUT", value_parser = non_empty_path)]
    pub inputs: Vec<String>,

    /// JSON field (Parquet column) holding the document id (kept exactly, numbers as written).
    /// Records without it get `FILE:LINE` (the row number for Parquet).
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,

    /// JSON field (Parquet column) holding the document text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// Read every input as this format instead of going by file names and magic bytes
    /// (.jsonl/.ndjson/.json, optionally compressed, are JSONL; files starting with Parquet's
    /// magic bytes or named .parquet are Parquet; anything else is a text document).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// What to do with a bad record (malformed JSON, invalid UTF-8, missing text,
    /// duplicate id, oversized record, truncated file, a file in a format overlap does not read
    /// such as Parquet, CSV, PDF or an image): stop with exit code 1, or skip it and list it in
    /// summary.json. Empty texts are not bad records: they are accepted and marked "empty".
    #[arg(long, value_enum, default_value_t = OnErrorArg::Fail)]
    pub on_error: OnErrorArg,

    /// Records larger than this many bytes are bad records.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES", value_parser = int(1, usize::MAX as u64))]
    pub max_record_bytes: usize,

    /// Worker threads (0: one per core; at most 1024). Results are identical for any value.
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = int(0, MAX_THREADS))]
    pub threads: usize,
}

impl InputArgs {
    /// The engine's view of these arguments.
    pub fn corpus_input(&self) -> CorpusInput {
        CorpusInput {
            paths: self.inputs.clone(),
            format: self.format.map(|f| match f {
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Text => Format::Text,
                FormatArg::Parquet => Format::Parquet,
            }),
            fields: FieldNames {
                id: self.id_field.clone(),
                text: self.text_field.clone(),
                ..FieldNames::default()
            },
            on_error: match self.on_error {
                OnErrorArg::Fail => OnError::Fail,
                OnErrorArg::Skip => OnError::Skip,
            },
            max_record_bytes: self.max_record_bytes,
        }
    }
}

/// How texts become shingles and signatures.
#[derive(Args, Clone)]
pub struct ShingleArgs {
    /// Words per shingle. Documents with fewer words are shingled whole.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = int(1, 64))]
    pub ngram: usize,

    /// MinHash signature length.
    #[arg(long, default_value_t = 128, value_name = "K", value_parser = int(1, 4096))]
    pub num_perm: usize,

    /// Seed of the MinHash permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// MinHash scheme: one-permutation hashing with optimal densification (fast), or k independent
    /// hash functions (the classic scheme of datasketch and rensa); or, instead of MinHash, a 64-bit
    /// SimHash of the shingles whose candidates share one of 4 blocks of 16 bits (Hamming distance
    /// <= 3; finds near-exact copies, not J = 0.8 pairs; needs verification).
    #[arg(long, value_enum, default_value_t = SchemeArg::OnePermutation)]
    pub scheme: SchemeArg,

    /// Do not apply Unicode NFKC normalization.
    #[arg(long)]
    pub no_nfkc: bool,

    /// Keep letter case.
    #[arg(long)]
    pub keep_case: bool,

    /// Repair text that was decoded with the wrong encoding (UTF-8 read as Windows-1252/Latin-1:
    /// `Â£339` becomes `£339`, `donâ€™t` becomes `don’t`) before normalizing. Off by default; the
    /// texts written to the deduplicated corpus are left exactly as read.
    #[arg(long)]
    pub fix_encoding: bool,
}

impl ShingleArgs {
    pub fn scheme(&self) -> MinHashScheme {
        match self.scheme {
            SchemeArg::OnePermutation => MinHashScheme::OnePermutation,
            SchemeArg::Permutations => MinHashScheme::Permutations,
            SchemeArg::Simhash => MinHashScheme::SimHash,
        }
    }

    pub fn normalization(&self) -> Normalization {
        Normalization {
            nfkc: !self.no_nfkc,
            case_fold: !self.keep_case,
            ..Normalization::default()
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Text,
    Parquet,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnErrorArg {
    Fail,
    Skip,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    OnePermutation,
    Permutations,
    Simhash,
}

/// Memory budget and spill directory of the corpus commands.
#[derive(Args, Clone)]
pub struct SpillArgs {
    /// Memory budget for the state that grows with the corpus (shingles, band keys, candidate
    /// pairs, anchors): past it, stages write sorted runs to disk and merge them. Results do not
    /// depend on it. Units: B, KiB, MiB, GiB (or K, M, G), KB, MB, GB; at least 1MiB.
    /// Default: a quarter of physical memory, between 256MiB and 4GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub memory: Option<overlap::spill::MemoryBudget>,

    /// Folder for spill files (default: inside the output folder). Each run uses its own
    /// subfolder `overlap-spill-<pid>-<n>`, removed at the end; those of killed runs are removed
    /// by the next run.
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<std::path::PathBuf>,
}

impl SpillArgs {
    /// The engine's view of these arguments.
    pub fn spill_options(&self) -> overlap::spill::SpillOptions {
        overlap::spill::SpillOptions {
            budget: self.memory.unwrap_or_default(),
            tmp_dir: self.tmp_dir.clone(),
        }
    }
}

fn parse_memory(s: &str) -> Result<overlap::spill::MemoryBudget, String> {
    s.parse().map_err(|e: overlap::Error| {
        e.to_string()
            .trim_start_matches("invalid configuration: ")
            .to_string()
    })
}
