//! `overlap align`: the passages two documents share.

use crate::ranges::{int32, real, share, Bound};
use anyhow::{bail, Context, Result};
use clap::Args;
use overlap::align::{
    align, align_with_bags_semantic, cosine, unit_bags, AlignConfig, KeyWeights, Prepared,
    Semantic, SemanticConfig,
};
use overlap::io::{discover, parse_record, CorpusReader, FieldNames, ReadItem};
use std::io::IsTerminal;

/// Align two documents: which passages of one were taken, verbatim or reworded, from the other.
///
/// A and B are text files, or, with --corpus, two ids in a JSONL corpus. Prints the passages side by
/// side; --json prints {"related", "score", "coverage_a", "coverage_b", "passages": [{"a": [start, end],
/// "b": [start, end], "score", "kind"}], "memory": {"peak_rss_bytes"}} with half-open character
/// offsets into the original texts.
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  overlap align ../shared/data/seeds/000_*.txt ../shared/data/seeds/003_*.txt\n  overlap align a.txt b.txt --json\n  overlap align --corpus ../shared/data/20newsgroups.jsonl.gz ID_A ID_B --html pair.html"
)]
pub struct AlignArgs {
    /// First document: a text file, or an id with --corpus.
    a: String,
    /// Second document: a text file, or an id with --corpus.
    b: String,

    /// Read A and B as ids of records in this JSONL corpus (optionally .gz/.zst), and align them
    /// as `overlap reuse` does in it: words weighted by their rarity in the corpus, its
    /// boilerplate (text repeated under many documents, signatures) masked and labelled.
    #[arg(long, value_name = "FILE")]
    corpus: Option<String>,

    /// JSON field holding the document id (with --corpus).
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,

    /// JSON field holding the document text (with --corpus).
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,

    #[command(flatten)]
    tuning: AlignTuning,

    /// Print the alignment as JSON.
    #[arg(long)]
    json: bool,

    /// Use the semantic models too: sentences that share a rare word pair on meaning (embedding
    /// cosine) where their word overlap is too low; where the static model's cosine is unsure, the
    /// full transformer decides. --json adds "semantic", the transformer's cosine of the two
    /// documents, and "semantic_static", the static model's. Needs both models
    /// (scripts/make-model.sh installs them).
    #[arg(long)]
    semantic: bool,

    /// With --semantic: the static model only (no transformer: faster, further from human
    /// judgement; "semantic" is then the static model's cosine).
    #[arg(long, requires = "semantic")]
    static_only: bool,

    #[command(flatten)]
    model: crate::embed::ModelArgs,

    #[command(flatten)]
    transformer: crate::embed::TransformerArgs,

    /// With --semantic: cosine at or above which sentences sharing a rare word pair as reworded.
    #[arg(long, default_value_t = SemanticConfig::default().pair_cosine, value_name = "C")]
    semantic_cosine: f64,

    /// With --semantic: cosine enough for the sentences next to a pair to pair too.
    #[arg(long, default_value_t = SemanticConfig::default().context_cosine, value_name = "C")]
    semantic_context_cosine: f64,

    /// With --semantic: static cosines from C up to the bars above are unsure, and the
    /// transformer's cosine decides those pairs.
    #[arg(long, default_value_t = SemanticConfig::default().rescore_from, value_name = "C")]
    rescore_from: f64,

    /// With --semantic: transformer cosine at or above which an unsure sentence pair pairs.
    #[arg(long, default_value_t = SemanticConfig::default().rescore_pair_cosine, value_name = "C")]
    rescore_cosine: f64,

    /// With --semantic: transformer cosine enough for an unsure neighbour of a pair to pair.
    #[arg(long, default_value_t = SemanticConfig::default().rescore_context_cosine, value_name = "C")]
    rescore_context_cosine: f64,

    /// Also write the side-by-side view as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,

    /// Width of the side-by-side view (default: $COLUMNS or 120).
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,

    /// Show only the shared passages, not the text that only one side has.
    #[arg(long)]
    only_shared: bool,
}

pub fn run(args: AlignArgs) -> Result<()> {
    if let Some(path) = &args.html {
        let inputs = match &args.corpus {
            None => vec![args.a.clone(), args.b.clone()],
            Some(corpus) => vec![corpus.clone()],
        };
        overlap::io::guard::check_output_file(path, "--html", &inputs, &[])?;
    }
    // With --corpus, every record is read: the pair is aligned as `reuse` aligns it in that
    // corpus (word rarity and boilerplate from the corpus).
    let mut corpus_docs: Option<(Vec<String>, usize, usize)> = None;
    let (text_a, text_b) = match &args.corpus {
        None => (read_text(&args.a)?, read_text(&args.b)?),
        Some(corpus) => {
            let fields = FieldNames {
                id: args.id_field.clone(),
                text: args.text_field.clone(),
                ..FieldNames::default()
            };
            let (texts, found) = read_records(corpus, &fields, &[&args.a, &args.b])?;
            let pair = (texts[found[0]].clone(), texts[found[1]].clone());
            corpus_docs = Some((texts, found[0], found[1]));
            pair
        }
    };
    let config = args.tuning.config();
    let mut semantic_fields = serde_json::Map::new();
    let mut boilerplate = None;
    let alignment = if args.semantic {
        let model = args.model.load()?;
        let transformer = match args.static_only {
            true => None,
            false => Some(args.transformer.load()?),
        };
        let sem_config = SemanticConfig {
            pair_cosine: args.semantic_cosine,
            context_cosine: args.semantic_context_cosine,
            rescore_from: args.rescore_from,
            rescore_pair_cosine: args.rescore_cosine,
            rescore_context_cosine: args.rescore_context_cosine,
            ..SemanticConfig::default()
        };
        let (pa, pb) = (
            Prepared::new(&text_a, &config),
            Prepared::new(&text_b, &config),
        );
        let weights = KeyWeights::for_pair(&pa, &pb);
        let (va, vb) = (model.encode_units(&pa), model.encode_units(&pb));
        let rescorer = transformer
            .as_ref()
            .map(|t| overlap::embed::UnitRescorer::new(t, &pa, &pb));
        let semantic = Semantic {
            a: &va,
            b: &vb,
            config: &sem_config,
            rescore: rescorer.as_ref().map(|r| r as &dyn overlap::align::Rescore),
        };
        let static_cosine = cosine(&model.encode(&text_a), &model.encode(&text_b));
        let alignment = align_with_bags_semantic(
            &pa,
            &unit_bags(&pa, &weights),
            &pb,
            &unit_bags(&pb, &weights),
            &weights,
            Some(&semantic),
            &config,
        );
        let json = |x: f64| serde_json::json!(x);
        match (&transformer, &rescorer) {
            (Some(t), Some(r)) => {
                let v = t.encode_many(&[&text_a, &text_b]);
                let semantic = cosine(&v[0], &v[1]);
                semantic_fields.insert("semantic".into(), json(semantic));
                semantic_fields.insert(
                    "same_story".into(),
                    json(overlap::align::same_story(semantic, alignment.score)),
                );
                semantic_fields.insert("semantic_static".into(), json(static_cosine));
                semantic_fields.insert(
                    "rescored_sentence_pairs".into(),
                    serde_json::json!(r.pairs_rescored()),
                );
            }
            _ => {
                semantic_fields.insert("semantic".into(), json(static_cosine));
            }
        }
        alignment
    } else if let Some((texts, a, b)) = &corpus_docs {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let reuse_config = overlap::reuse::ReuseConfig {
            align: config.clone(),
            ..overlap::reuse::ReuseConfig::default()
        };
        let pair = overlap::reuse::in_corpus::align_in_corpus(&refs, *a, *b, &reuse_config);
        boilerplate = Some((pair.boilerplate_a, pair.boilerplate_b));
        pair.alignment
    } else {
        align(&text_a, &text_b, &config)
    };
    drop(corpus_docs);
    if let Some(path) = &args.html {
        use overlap::report::{render_pair_page, DocView, PairView};
        let view = PairView::from_alignment(
            format!("{} ~ {}", args.a, args.b),
            DocView {
                id: args.a.clone(),
                text: text_a.clone(),
            },
            DocView {
                id: args.b.clone(),
                text: text_b.clone(),
            },
            &alignment,
        );
        overlap::io::commit::write_file(path, render_pair_page(&view).as_bytes())?;
    }
    if args.json {
        let mut value = serde_json::to_value(overlap::rss::with_memory(&alignment))?;
        if let Some(obj) = value.as_object_mut() {
            obj.extend(semantic_fields);
        }
        if let (Some((ba, bb)), Some(obj)) = (&boilerplate, value.as_object_mut()) {
            obj.insert("boilerplate_a".into(), serde_json::json!(ba));
            obj.insert("boilerplate_b".into(), serde_json::json!(bb));
        }
        crate::print_out(&(serde_json::to_string_pretty(&value)? + "\n"))?;
    } else {
        let width = args
            .width
            .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
            .unwrap_or(120)
            .max(40);
        let opts = crate::align_view::ViewOptions {
            width,
            only_shared: args.only_shared,
            color: std::io::stdout().is_terminal(),
            boilerplate,
        };
        crate::print_out(&crate::align_view::render(
            &text_a, &text_b, &args.a, &args.b, &alignment, &opts,
        ))?;
    }
    Ok(())
}

/// The alignment knobs, shared by the commands that align.
#[derive(Args, Clone)]
pub struct AlignTuning {
    /// Share of words two sentences have in common (0 to 1; rare words weigh more; twice the
    /// shared weight over the weight of both, the Dice coefficient) at or above which they are a
    /// rewording of each other.
    #[arg(long, default_value_t = AlignConfig::default().reworded_dice, value_name = "D", value_parser = share())]
    pub reworded_dice: f64,

    /// Share of a sentence's weighted words found in a longer sentence at or above which it is a
    /// reworded part of it.
    #[arg(long, default_value_t = AlignConfig::default().reworded_containment, value_name = "C", value_parser = share())]
    pub reworded_containment: f64,

    /// Fewest content words two sentences must share to pair as reworded.
    #[arg(long, default_value_t = AlignConfig::default().min_shared_content_words, value_name = "N",
          value_parser = int32(1, u32::MAX as u64))]
    pub min_shared_words: u32,

    /// Share of words in common (as for --reworded-dice) enough for the sentences next to an
    /// aligned pair to align too.
    #[arg(long, default_value_t = AlignConfig::default().context_dice, value_name = "D", value_parser = share())]
    pub context_dice: f64,

    /// Share of a sentence inside the partner of its aligned neighbour enough to join it.
    #[arg(long, default_value_t = AlignConfig::default().context_containment, value_name = "C", value_parser = share())]
    pub context_containment: f64,

    /// Pair score at or above which two documents are related.
    #[arg(long, default_value_t = AlignConfig::default().related_score, value_name = "S", value_parser = share())]
    pub related_score: f64,

    /// Words of passage evidence (words times similarity) that make two documents related
    /// whatever their score.
    #[arg(long, default_value_t = AlignConfig::default().min_related_evidence_words, value_name = "W",
          value_parser = real(Bound::Closed(0.0), Bound::None))]
    pub related_words: f64,

    /// Words of one verbatim passage (the same words in the same order) that make two documents
    /// related whatever their score.
    #[arg(long, default_value_t = AlignConfig::default().min_related_verbatim_words, value_name = "W")]
    pub related_verbatim_words: usize,
}

impl AlignTuning {
    pub fn config(&self) -> AlignConfig {
        AlignConfig {
            reworded_dice: self.reworded_dice,
            reworded_containment: self.reworded_containment,
            min_shared_content_words: self.min_shared_words,
            context_dice: self.context_dice,
            context_containment: self.context_containment,
            related_score: self.related_score,
            min_related_evidence_words: self.related_words,
            min_related_verbatim_words: self.related_verbatim_words,
            ..AlignConfig::default()
        }
    }
}

fn read_text(path: &str) -> Result<String> {
    if path.is_empty() {
        bail!("a document name is empty (''): give the path of a text file");
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
    if let Some(what) = corpus_like(path, &bytes) {
        bail!(
            "{path}: {what}; align compares two text files. To align two records of a corpus, \
             give the corpus and their ids: overlap align --corpus {path} ID_A ID_B"
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{path}: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// Why `bytes` look like a corpus rather than one text document, if they do: compressed (by magic
/// bytes) or JSON Lines (by name, or a first line that is a JSON object).
fn corpus_like(path: &str, bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some("this is a gzip-compressed file");
    }
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some("this is a zstd-compressed file");
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let named_jsonl = overlap::io::Format::from_name(path) == overlap::io::Format::Jsonl;
    let object_line = first_line.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first_line).is_ok();
    (named_jsonl || object_line).then_some("this looks like a JSON Lines corpus")
}

/// The texts of every readable record of `corpus` (bad records are left out), and the positions
/// of the first records with the given ids, in the order asked.
fn read_records(
    corpus: &str,
    fields: &FieldNames,
    ids: &[&str],
) -> Result<(Vec<String>, Vec<usize>)> {
    let sources = discover(&[corpus.to_string()], None)?;
    let mut reader = CorpusReader::new(sources, usize::MAX);
    let mut texts = Vec::new();
    let mut found: Vec<Option<usize>> = vec![None; ids.len()];
    loop {
        let batch = reader.next_batch(4096, 32 << 20)?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            let ReadItem::Record(r) = item else { continue };
            let Ok(rec) = parse_record(&r.bytes, fields) else {
                continue;
            };
            let id = rec
                .id
                .map(|i| i.into_owned())
                .unwrap_or_else(|| overlap::io::ids::generated_id(corpus, r.line));
            for (slot, want) in found.iter_mut().zip(ids) {
                if slot.is_none() && id == *want {
                    *slot = Some(texts.len());
                }
            }
            texts.push(rec.text.into_owned());
        }
    }
    let found = found
        .into_iter()
        .zip(ids)
        .map(|(t, id)| match t {
            Some(t) => Ok(t),
            None => bail!("{corpus}: no record with id {id:?}"),
        })
        .collect::<Result<Vec<usize>>>()?;
    Ok((texts, found))
}
