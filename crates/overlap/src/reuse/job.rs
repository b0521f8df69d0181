//! The end-to-end reuse job: inputs in, output folder out.
//!
//! Memory: per document its id, source, date and text length (about 60 bytes plus the id), its
//! template lines (16 bytes each, until their boilerplate is found) and boilerplate spans, and the
//! corpus-wide document frequency of content words (one map entry per distinct word). Texts and
//! anchor n-grams (8 bytes per word) are spooled (see [`crate::spill::Spool`]): in memory while each
//! takes at most a quarter of the budget, else in a spill file read back by offset. The index is
//! built in memory (16 bytes per distinct n-gram per document, 8 per emitted pair) when that fits a
//! quarter of the budget, else by external sorting (see [`index::build_spilling`]). Candidate pairs
//! (12 bytes each) are aligned in chunks: the documents of a chunk are prepared (about 10 bytes per
//! text byte: the text and 40 bytes per token), their pairs aligned in parallel, then dropped; a
//! chunk's prepared forms take at most half the budget, so a corpus that fits is one chunk (with
//! `--semantic`, that one chunk's prepared forms are kept for the semantic pass, which counts them
//! against its own half of the budget: see [`super::reworded`]). The related pairs with their passages stay in memory. Disk, when spilled: the texts, 8 bytes per
//! anchor n-gram, and during the index 12 bytes per distinct n-gram per document plus 8 per emitted
//! pair.

use super::{
    anchors, boilerplate, index, quoted_signatures, signatures, stories, templates, ReuseConfig,
};
use crate::align::{
    align_with_bags, align_with_runs_semantic, is_function_word, soft_key, sorted_grams, unit_bags,
    verbatim_runs_grams, Alignment, Bag, KeyWeights, Prepared,
};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::hashing::FastMap;
use crate::io::output::{create, ms, write_error, write_json, write_line};
use crate::io::{ingest, CorpusInput, CorpusReader, Mapped, OnError};
use crate::progress::{Progress, Unit};
use crate::spill::{u64s_to_bytes, MemoryReport, SpillDir, SpillOptions, Spool, StageMemory};
use crate::text::tokenize;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Where the reuse job reads and writes.
#[derive(Clone, Debug)]
pub struct ReuseOptions {
    /// The documents (with the source and date fields, if any), and the bad-record policy.
    pub input: CorpusInput,
    /// The output folder (created if missing).
    pub out_dir: PathBuf,
    /// Memory budget and spill directory.
    pub spill: SpillOptions,
}

impl ReuseOptions {
    /// Options with defaults for everything but the inputs and the output folder.
    pub fn new(inputs: Vec<String>, out_dir: impl Into<PathBuf>) -> Self {
        ReuseOptions {
            input: CorpusInput::new(inputs),
            out_dir: out_dir.into(),
            spill: SpillOptions::default(),
        }
    }
}

/// Everything the reuse job's `summary.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct ReuseSummary {
    /// The job that wrote it: `reuse`.
    pub command: &'static str,
    /// overlap's version.
    pub version: &'static str,
    /// Document counts: `read = accepted + skipped`.
    pub documents: BTreeMap<&'static str, u64>,
    /// Pair counts: candidates from the index, related after alignment.
    pub pairs: BTreeMap<&'static str, u64>,
    /// Story counts.
    pub stories: BTreeMap<&'static str, u64>,
    /// Boilerplate counts.
    pub boilerplate: BTreeMap<&'static str, u64>,
    /// The parameters of the run.
    pub parameters: ReuseParameters,
    /// Per input: path, format, records.
    pub inputs: Vec<serde_json::Value>,
    /// Number of skipped records per reason.
    pub skipped_by_reason: BTreeMap<ProblemKind, u64>,
    /// Every skipped record, in input order.
    pub skipped: Vec<Problem>,
    /// The files written.
    pub outputs: Vec<String>,
    /// Wall-clock milliseconds per stage (varies between runs, like `threads`).
    pub timings_ms: BTreeMap<&'static str, f64>,
    /// Candidate pairs aligned per second of the align stage.
    pub aligned_pairs_per_second: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Same-story links by meaning (`reuse --same-story` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_story: Option<super::same_story::SameStoryCounts>,
    /// Pairs related by meaning (`reuse --semantic` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<super::reworded::RewordedCounts>,
    /// Memory budget, estimated and measured peaks, spill volume per stage (varies with the budget
    /// and the machine, like `timings_ms`).
    pub memory: MemoryReport,
}

/// The parameters, as used.
#[derive(Clone, Debug, Serialize)]
pub struct ReuseParameters {
    /// Reuse parameters (alignment included).
    #[serde(flatten)]
    pub config: ReuseConfig,
    /// Id field.
    pub id_field: String,
    /// Text field.
    pub text_field: String,
    /// Source field, if any.
    pub source_field: Option<String>,
    /// Date field, if any.
    pub date_field: Option<String>,
    /// Bad-record policy.
    pub on_error: OnError,
}

struct Doc {
    id: String,
    source: u32,
    date: Option<[i64; 6]>,
    /// Bytes of the text (in the text spool).
    text_len: u32,
    /// No word after normalization: accepted, its own story, in no pair.
    empty: bool,
    /// Lines that may be template boilerplate (see [`templates`]).
    templates: Vec<templates::TemplateLine>,
    /// Short lines that may be signature lines (see [`signatures`]).
    lines: signatures::DocLines,
}

struct Read {
    text: String,
    grams: Vec<u64>,
    keys: Vec<u64>,
    templates: Vec<templates::TemplateLine>,
    lines: signatures::DocLines,
    words: usize,
}

impl Mapped for Read {
    fn word_count(&self) -> usize {
        self.words
    }
}

/// Run the reuse job: read every input, find related pairs and their passages, stories and
/// boilerplate, write the outputs into `options.out_dir`, and return the summary.
///
/// The outputs are committed all or nothing (see [`crate::io::commit`]); an output folder that
/// would destroy or re-read an input is refused before anything is written.
pub fn run(
    options: &ReuseOptions,
    config: &ReuseConfig,
    progress: &dyn Progress,
) -> Result<ReuseSummary> {
    run_with(options, config, progress, |_| Ok(Vec::new()))
}

/// [`run`], with more outputs committed together with the job's (see
/// [`crate::dedup::run_with`]).
pub fn run_with<E: From<Error>>(
    options: &ReuseOptions,
    config: &ReuseConfig,
    progress: &dyn Progress,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<ReuseSummary, E> {
    run_same_story(options, config, None, progress, extra)
}

/// [`run_same_story`], and with `reworded` also the pairs related by meaning (`reuse --semantic`,
/// see [`super::reworded`]).
pub fn run_semantic<E: From<Error>>(
    options: &ReuseOptions,
    config: &ReuseConfig,
    same_story: Option<&super::same_story::SameStory<'_>>,
    reworded: Option<&super::reworded::Reworded<'_>>,
    progress: &dyn Progress,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<ReuseSummary, E> {
    config.validate()?;
    crate::io::commit::run_committed(
        &options.input,
        &options.out_dir,
        |reader, staging| {
            stage(
                options, config, same_story, reworded, progress, reader, staging,
            )
        },
        |s: &mut ReuseSummary| &mut s.outputs,
        extra,
    )
}

/// [`run_with`], and with `same_story` also the same-story links by meaning (`same_story.jsonl`,
/// see [`super::same_story`]).
pub fn run_same_story<E: From<Error>>(
    options: &ReuseOptions,
    config: &ReuseConfig,
    same_story: Option<&super::same_story::SameStory<'_>>,
    progress: &dyn Progress,
    extra: impl FnOnce(&Path) -> Result<Vec<String>, E>,
) -> Result<ReuseSummary, E> {
    run_semantic(options, config, same_story, None, progress, extra)
}

/// The job, writing every output into `out` (the staging folder).
fn stage(
    options: &ReuseOptions,
    config: &ReuseConfig,
    same_story: Option<&super::same_story::SameStory<'_>>,
    reworded: Option<&super::reworded::Reworded<'_>>,
    progress: &dyn Progress,
    mut reader: CorpusReader,
    out: &Path,
) -> Result<ReuseSummary> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let budget = options.spill.budget;
    // Spill files go beside the staging folder (`<out>/.overlap-tmp-spill-*`, removed by the next
    // run's cleanup after a kill) or under `--tmp-dir`.
    let dir = Arc::new(SpillDir::for_job(
        &options.out_dir,
        options.spill.tmp_dir.as_deref(),
    ));
    let mut stages: BTreeMap<&'static str, StageMemory> = BTreeMap::new();
    let mut texts = Spool::new(&dir, "texts", budget.share(1, 4));
    let mut gram_spool = Spool::new(&dir, "anchors", budget.share(1, 4));
    let mut df: FastMap<u64, u32> = FastMap::default();

    // Stage 1: read, tokenize, anchor n-grams.
    let t = Instant::now();
    let n = config.anchor_ngram;
    let norm = config.align.normalization;
    let mut docs: Vec<Doc> = Vec::new();
    let mut source_ids: HashMap<String, u32> = HashMap::new();
    let mut source_names: Vec<Option<String>> = Vec::new();
    let skipped = ingest(
        &mut reader,
        &options.input.fields,
        options.input.on_error,
        progress,
        |text| {
            let tokens = tokenize(text, &norm);
            let mut keys: Vec<u64> = (0..tokens.len())
                .map(|i| tokens.token(i))
                .filter(|w| !is_function_word(w))
                .map(|w| xxhash_rust::xxh3::xxh3_64(soft_key(w).as_bytes()))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            Read {
                text: text.to_string(),
                grams: anchors::anchor_grams(&tokens, n),
                keys,
                templates: templates::template_lines(text, &tokens),
                lines: signatures::doc_lines(text, &tokens),
                words: tokens.len(),
            }
        },
        |doc| {
            if docs.len() >= u32::MAX as usize - 1 {
                return Err(Error::TooManyDocuments);
            }
            let key = doc.source_field.clone().unwrap_or_default();
            let next = source_ids.len() as u32;
            let source = *source_ids.entry(key).or_insert_with(|| {
                source_names.push(doc.source_field.clone());
                next
            });
            for &k in &doc.value.keys {
                *df.entry(k).or_default() += 1;
            }
            docs.push(Doc {
                id: doc.id,
                source,
                date: doc.date.as_deref().and_then(stories::date_key),
                text_len: doc.value.text.len() as u32,
                empty: doc.empty,
                templates: doc.value.templates,
                lines: doc.value.lines,
            });
            texts.push(doc.value.text.into_bytes())?;
            gram_spool.push(u64s_to_bytes(&doc.value.grams))?;
            Ok(())
        },
    )?;
    texts.seal()?;
    gram_spool.seal()?;
    let doc_bytes = |docs: &[Doc]| {
        docs.iter()
            .map(|d| 64 + d.id.len() as u64 + d.templates.capacity() as u64 * 16)
            .sum::<u64>()
    };
    stages.insert(
        "read",
        StageMemory {
            memory_estimate_bytes: doc_bytes(&docs)
                + texts.memory_bytes()
                + gram_spool.memory_bytes()
                + df.capacity() as u64 * 16,
            spilled_bytes: texts.spilled_bytes() + gram_spool.spilled_bytes(),
            spill_files: u64::from(texts.is_spilled()) + u64::from(gram_spool.is_spilled()),
            temp_disk_peak_bytes: dir.stage_peak(),
        },
    );
    timings.insert("read", ms(t));

    // Stage 2: the n-gram index: boilerplate and candidate pairs.
    let t = Instant::now();
    dir.start_stage();
    let source_of: Vec<u32> = docs.iter().map(|d| d.source).collect();
    let mut source_sizes = vec![0usize; source_names.len()];
    for &s in &source_of {
        source_sizes[s as usize] += 1;
    }
    let params = index::IndexParams {
        max_df: config.max_df,
        min_shared: config.min_shared_anchors,
        boilerplate_min_docs: config.boilerplate_min_docs,
        boilerplate_fraction: config.boilerplate_fraction,
        boilerplate_cap_docs: config.boilerplate_cap_docs,
        global_boilerplate_docs: config.global_boilerplate_docs,
    };
    // 16 bytes per entry, at most one entry per anchor n-gram: the in-memory index fits when that
    // does.
    let entry_estimate = gram_spool.spilled_bytes().max(
        (0..docs.len())
            .map(|d| gram_spool.get(d).map_or(0, |g| g.len() as u64))
            .sum(),
    ) * 2;
    let in_memory = !gram_spool.is_spilled() && entry_estimate <= budget.share(1, 4) as u64;
    let distinct_grams = |d: usize| gram_spool.get_u64s(d).map(|g| anchors::distinct(&g));
    let found = if in_memory {
        progress.start("index", None, Unit::Steps);
        let distinct: Vec<Vec<u64>> = (0..docs.len())
            .into_par_iter()
            .map(distinct_grams)
            .collect::<Result<_>>()?;
        let found = index::build(&distinct, &source_of, &source_sizes, &params);
        stages.insert(
            "index",
            StageMemory {
                memory_estimate_bytes: entry_estimate
                    + found.candidates.len() as u64 * 12
                    + texts.memory_bytes()
                    + gram_spool.memory_bytes(),
                ..StageMemory::default()
            },
        );
        found
    } else {
        progress.start("index (spilled)", None, Unit::Steps);
        let (found, spilled, files) = index::build_spilling(
            docs.len(),
            distinct_grams,
            &source_of,
            &source_sizes,
            &params,
            &dir,
            budget.share(1, 4),
            budget.share(1, 4),
        )?;
        stages.insert(
            "index",
            StageMemory {
                memory_estimate_bytes: budget.share(1, 4) as u64
                    + found.candidates.len() as u64 * 12
                    + texts.memory_bytes()
                    + gram_spool.memory_bytes(),
                spilled_bytes: spilled,
                spill_files: files,
                temp_disk_peak_bytes: dir.stage_peak(),
            },
        );
        found
    };
    progress.finish();
    timings.insert("index", ms(t));

    // Stage 3: boilerplate spans of each document.
    let t = Instant::now();
    let boiler_spans: Vec<Vec<boilerplate::Span>> = if found.boilerplate.is_empty() {
        vec![Vec::new(); docs.len()]
    } else {
        docs.par_iter()
            .enumerate()
            .map(|(i, d)| {
                Ok(boilerplate::spans(
                    &gram_spool.get_u64s(i)?,
                    d.source,
                    &found.boilerplate,
                    n,
                    config.boilerplate_min_words,
                ))
            })
            .collect::<Result<_>>()?
    };
    drop(gram_spool);
    let template_spans = template_boilerplate(&docs, &source_sizes, &params);
    let template_lines: u64 = template_spans.iter().map(|s| s.len() as u64).sum();
    let sig_keys = signatures::signature_keys(
        &docs
            .iter()
            .map(|d| (&d.lines, d.source))
            .collect::<Vec<_>>(),
        config.signature_min_docs,
    );
    let sig_spans: Vec<Vec<(usize, usize)>> = docs
        .par_iter()
        .map(|d| signatures::signature_spans(&d.lines, d.source, &sig_keys))
        .collect();
    for d in &mut docs {
        // Found; not needed again.
        d.templates = Vec::new();
    }
    timings.insert("boilerplate", ms(t));

    // Stage 4: align every candidate pair, with words weighted by their rarity in the corpus.
    let t = Instant::now();
    dir.start_stage();
    let weights = KeyWeights::from_document_frequencies(&df, docs.len(), config.rare_word_min_docs);
    drop(df);
    progress.start("align", Some(found.candidates.len() as u64), Unit::Pairs);
    let done = AtomicU64::new(0);
    let quoted_sig_pairs = AtomicU64::new(0);
    // Chunks of candidate pairs whose documents' prepared forms fit half the budget; each document of
    // a chunk is prepared once, its boilerplate and template lines masked. Text plus about 40 bytes
    // per token (prepare.rs), and 16 for its sorted anchor n-grams, at five to six bytes per token.
    const PREPARED_PER_TEXT_BYTE: u64 = 13;
    let chunk_budget = budget.share(1, 2) as u64;
    let masks = Masks {
        boiler: &boiler_spans,
        signatures: &sig_spans,
        templates: &template_spans,
    };
    let mut related: Vec<(u32, u32, Alignment)> = Vec::new();
    let mut peak_chunk = 0u64;
    // The chunk from candidate `start`: its end, its documents (sorted) and their cost.
    let chunk_from = |start: usize| {
        let mut seen: crate::hashing::FastSet<u32> = Default::default();
        let mut cost = 0u64;
        let mut end = start;
        while end < found.candidates.len() && (cost < chunk_budget || end == start) {
            let (a, b, _) = found.candidates[end];
            for d in [a, b] {
                if seen.insert(d) {
                    cost += (docs[d as usize].text_len as u64 + 64) * PREPARED_PER_TEXT_BYTE;
                }
            }
            end += 1;
        }
        let mut members: Vec<u32> = seen.into_iter().collect();
        members.sort_unstable();
        (end, members, cost)
    };
    let load = |members: &[u32]| -> Result<Vec<std::borrow::Cow<'_, str>>> {
        members
            .par_iter()
            .map(|&d| texts.get_str(d as usize))
            .collect()
    };
    fn prepare_all<'t>(
        members: &[u32],
        chunk_texts: &'t [std::borrow::Cow<'_, str>],
        masks: &Masks,
        config: &ReuseConfig,
        weights: &KeyWeights,
    ) -> Vec<(Prepared<'t>, Vec<Bag>)> {
        members
            .par_iter()
            .zip(chunk_texts)
            .map(|(&d, t)| masks.prepare(d, t, &[], config, weights))
            .collect()
    }
    // Align the candidates of one chunk, its documents `members` prepared as `prepared`.
    let align_chunk = |pairs: &[(u32, u32, u32)],
                       members: &[u32],
                       chunk_texts: &[std::borrow::Cow<'_, str>],
                       prepared: &[(Prepared, Vec<Bag>)]| {
        let text_of = |d: u32| &chunk_texts[members.binary_search(&d).expect("a member")];
        // Each document with its boilerplate, template and signature lines masked, less `unmask`.
        let prepare = |d: u32, unmask: &[(usize, usize)]| {
            masks.prepare(d, text_of(d), unmask, config, &weights)
        };
        let member = |d: u32| members.binary_search(&d).expect("a member of the chunk");
        // Each document's sorted anchor n-grams, once for all its pairs rather than once a pair
        // (sorting them was about a tenth of the stage).
        let n = config.align.anchor_ngram.max(1);
        let grams: Vec<Vec<(u64, usize)>> = prepared
            .par_iter()
            .map(|(p, _)| sorted_grams(&p.hashes, &p.masked_tokens, n))
            .collect();
        pairs
            .par_chunks(256)
            .flat_map_iter(|chunk| {
                let out: Vec<(u32, u32, Alignment)> = chunk
                    .iter()
                    .filter_map(|&(da, db, _)| {
                        let (ia, ib) = (member(da), member(db));
                        let ((a, bags_a), (b, bags_b)) = (&prepared[ia], &prepared[ib]);
                        // What `align_with_bags` finds, from the n-grams sorted above.
                        let runs = verbatim_runs_grams(
                            (&a.hashes, &a.masked_tokens, &grams[ia]),
                            (&b.hashes, &b.masked_tokens, &grams[ib]),
                            config.align.min_run,
                        );
                        let al = align_with_runs_semantic(
                            a,
                            bags_a,
                            b,
                            bags_b,
                            &runs,
                            &weights,
                            None,
                            &config.align,
                        );
                        // Hook: a signature quoted with text of its post counts (see
                        // quoted_signatures).
                        let side = |d: u32, doc| quoted_signatures::Side {
                            doc,
                            lines: &docs[d as usize].lines,
                            source: docs[d as usize].source,
                        };
                        let (al, by_quote) = quoted_signatures::relate(
                            al,
                            &side(da, a),
                            &side(db, b),
                            &sig_keys,
                            |unmask| {
                                let ((a, bags_a), (b, bags_b)) =
                                    (prepare(da, &unmask[0]), prepare(db, &unmask[1]));
                                align_with_bags(&a, &bags_a, &b, &bags_b, &weights, &config.align)
                            },
                        );
                        if by_quote {
                            quoted_sig_pairs.fetch_add(1, Ordering::Relaxed);
                        }
                        al.related.then_some((da, db, al))
                    })
                    .collect();
                let k = chunk.len() as u64;
                progress.update(done.fetch_add(k, Ordering::Relaxed) + k);
                out
            })
            .collect::<Vec<_>>()
    };
    // With `--semantic`, when the candidates make one chunk, its prepared documents are kept for
    // the semantic pass (`reworded::Kept`), which would otherwise prepare them twice again.
    let keep = reworded.is_some()
        && !found.candidates.is_empty()
        && chunk_from(0).0 == found.candidates.len();
    let mut kept_members: Vec<u32> = Vec::new();
    let mut kept_texts: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    if keep {
        let (_, members, cost) = chunk_from(0);
        peak_chunk = cost;
        kept_texts = load(&members)?;
        kept_members = members;
    }
    let kept_docs: Vec<(Prepared, Vec<Bag>)> =
        prepare_all(&kept_members, &kept_texts, &masks, config, &weights);
    if keep {
        related.extend(align_chunk(
            &found.candidates,
            &kept_members,
            &kept_texts,
            &kept_docs,
        ));
    } else {
        let mut start = 0;
        while start < found.candidates.len() {
            let (end, members, cost) = chunk_from(start);
            peak_chunk = peak_chunk.max(cost);
            let chunk_texts = load(&members)?;
            let prepared = prepare_all(&members, &chunk_texts, &masks, config, &weights);
            related.extend(align_chunk(
                &found.candidates[start..end],
                &members,
                &chunk_texts,
                &prepared,
            ));
            start = end;
        }
    }
    stages.insert(
        "align",
        StageMemory {
            memory_estimate_bytes: doc_bytes(&docs)
                + texts.memory_bytes()
                + peak_chunk
                + found.candidates.len() as u64 * 12,
            spilled_bytes: 0,
            spill_files: 0,
            temp_disk_peak_bytes: dir.stage_peak(),
        },
    );
    progress.finish();
    let align_secs = t.elapsed().as_secs_f64();
    timings.insert("align", ms(t));

    // Hook: pairs related by meaning (`--semantic`, off by default; see `reworded`).
    let t = Instant::now();
    let reworded = match reworded {
        Some(r) => {
            let empty: Vec<bool> = docs.iter().map(|d| d.empty).collect();
            let known: Vec<(u32, u32)> = related.iter().map(|(a, b, _)| (*a, *b)).collect();
            let cost = |d: u32| (docs[d as usize].text_len as u64 + 64) * PREPARED_PER_TEXT_BYTE;
            let (more, counts) = super::reworded::find(
                r,
                &empty,
                &|d| texts.get_str(d),
                &|d, text| masks.prepare(d, text, &[], config, &weights),
                &cost,
                chunk_budget,
                &known,
                keep.then_some(super::reworded::Kept {
                    members: &kept_members,
                    docs: &kept_docs,
                }),
                // The candidate stage's two sorts, one after the other, each an eighth of the
                // budget: the kept chunk (half) and the texts (a quarter) may be held meanwhile.
                super::reworded_candidates::CandidateSpill {
                    dir: &dir,
                    bytes: budget.share(1, 8),
                },
                &weights,
                &config.align,
                progress,
            )?;
            related.extend(more);
            related.sort_unstable_by_key(|(a, b, _)| (*a, *b));
            stages.insert("semantic_candidates", counts.candidate_memory);
            timings.insert("semantic", ms(t));
            Some(counts)
        }
        None => None,
    };
    drop(kept_docs);
    drop(kept_texts);

    // Stage 5: stories and origins.
    let t = Instant::now();
    let edges: Vec<(u32, u32, f64)> = related
        .iter()
        .map(|(a, b, al)| (*a, *b, al.score))
        .collect();
    let story_params = stories::StoryParams {
        min_cross_edges: config.story_min_cross_edges,
        cross_density: config.story_cross_density,
    };
    let story = stories::stories(docs.len(), &edges, &story_params);
    let dates: Vec<Option<[i64; 6]>> = docs.iter().map(|d| d.date).collect();
    let origin = stories::origins(&story, &dates);
    timings.insert("stories", ms(t));

    // Stage 6: outputs.
    let t = Instant::now();
    write_pairs(&out.join("pairs.jsonl"), &docs, &related)?;
    let with_dates = options.input.fields.date.is_some();
    write_stories(
        &out.join("stories.jsonl"),
        &docs,
        &story,
        &origin,
        with_dates,
    )?;
    let boiler_groups = write_boilerplate(
        &out.join("boilerplate.jsonl"),
        &docs,
        &texts,
        &boiler_spans,
        &source_names,
        &norm,
    )?;
    // Hook: same-story links by meaning, apart from the text-reuse outputs (off by default).
    let same_story = match same_story {
        Some(s) => {
            let view: Vec<_> = docs.iter().map(|d| (d.id.as_str(), d.empty)).collect();
            let pairs: Vec<(u32, u32)> = related.iter().map(|(a, b, _)| (*a, *b)).collect();
            let text = |d: usize| texts.get_str(d);
            Some(super::same_story::write(
                out, s, &view, &text, &pairs, progress,
            )?)
        }
        None => None,
    };
    let mut outputs: Vec<String> = [
        "pairs.jsonl",
        "stories.jsonl",
        "boilerplate.jsonl",
        "summary.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if same_story.is_some() {
        outputs.insert(3, super::same_story::FILE.into());
    }
    timings.insert("write", ms(t));
    timings.insert("total", ms(started));

    let mut story_sizes: HashMap<u32, u64> = HashMap::new();
    for &s in &story {
        *story_sizes.entry(s).or_default() += 1;
    }
    let mut skipped_by_reason = BTreeMap::new();
    for p in &skipped {
        *skipped_by_reason.entry(p.reason).or_default() += 1;
    }
    let accepted = docs.len() as u64;
    let summary = ReuseSummary {
        command: "reuse",
        version: env!("CARGO_PKG_VERSION"),
        documents: BTreeMap::from([
            ("read", accepted + skipped.len() as u64),
            ("accepted", accepted),
            ("skipped", skipped.len() as u64),
            ("empty", docs.iter().filter(|d| d.empty).count() as u64),
            (
                "with_boilerplate",
                boiler_spans.iter().filter(|s| !s.is_empty()).count() as u64,
            ),
        ]),
        pairs: BTreeMap::from([
            ("candidates", found.candidates.len() as u64),
            ("related", related.len() as u64),
            (
                "related_by_quoted_signature",
                quoted_sig_pairs.load(Ordering::Relaxed),
            ),
        ]),
        stories: BTreeMap::from([
            ("total", story_sizes.len() as u64),
            (
                "with_several_documents",
                story_sizes.values().filter(|&&s| s > 1).count() as u64,
            ),
            ("largest", story_sizes.values().copied().max().unwrap_or(0)),
        ]),
        boilerplate: BTreeMap::from([
            ("passages", boiler_groups as u64),
            ("distinct_anchor_ngrams", found.distinct_grams as u64),
            ("too_common_ngrams", found.too_common as u64),
            ("template_lines", template_lines),
            (
                "signature_lines",
                sig_spans.iter().map(|s| s.len() as u64).sum(),
            ),
        ]),
        parameters: ReuseParameters {
            config: config.clone(),
            id_field: options.input.fields.id.clone(),
            text_field: options.input.fields.text.clone(),
            source_field: options.input.fields.source.clone(),
            date_field: options.input.fields.date.clone(),
            on_error: options.input.on_error,
        },
        inputs: reader
            .sources()
            .iter()
            .zip(reader.stats())
            .map(|(s, st)| {
                let mut input = serde_json::json!({
                    "path": s.name, "format": s.format, "compression": st.compression,
                    "records": st.records, "blank_lines": st.blank_lines,
                });
                if !st.warnings.is_empty() {
                    input["warnings"] = serde_json::json!(st.warnings);
                }
                // As in dedup: where the input lies seen from the output folder.
                if let crate::io::Location::Path(p) = &s.location {
                    if let Some(rel) = crate::io::relative_from(&options.out_dir, p) {
                        input["from_out"] = rel.into();
                    }
                }
                input
            })
            .collect(),
        skipped_by_reason,
        skipped,
        outputs,
        timings_ms: timings,
        aligned_pairs_per_second: if align_secs > 0.0 {
            (found.candidates.len() as f64 / align_secs).round()
        } else {
            0.0
        },
        threads: rayon::current_num_threads(),
        same_story,
        semantic: reworded,
        memory: MemoryReport::new(budget, &dir, stages),
    };
    drop(texts);
    drop(dir);
    write_json(&out.join("summary.json"), &summary)?;
    Ok(summary)
}

#[derive(Serialize)]
struct PairLine<'a> {
    a: &'a str,
    b: &'a str,
    score: f64,
    coverage_a: f64,
    coverage_b: f64,
    passages: &'a [crate::align::Passage],
}

fn write_pairs(path: &Path, docs: &[Doc], related: &[(u32, u32, Alignment)]) -> Result<()> {
    let mut w = create(path)?;
    for (a, b, al) in related {
        let line = PairLine {
            a: &docs[*a as usize].id,
            b: &docs[*b as usize].id,
            score: al.score,
            coverage_a: al.coverage_a,
            coverage_b: al.coverage_b,
            passages: &al.passages,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(|e| write_error(path, e))
}

#[derive(Serialize)]
struct StoryLine<'a> {
    id: &'a str,
    story: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty: bool,
}

fn write_stories(
    path: &Path,
    docs: &[Doc],
    story: &[u32],
    origin: &[Option<u32>],
    with_dates: bool,
) -> Result<()> {
    let mut w = create(path)?;
    for (d, doc) in docs.iter().enumerate() {
        let line = StoryLine {
            id: &doc.id,
            story: &docs[story[d] as usize].id,
            origin: with_dates.then(|| origin[d].map(|o| docs[o as usize].id.as_str())),
            empty: doc.empty,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(|e| write_error(path, e))
}

#[derive(Serialize)]
struct BoilerplateLine<'a> {
    scope: &'static str,
    source: Option<&'a str>,
    text: &'a str,
    documents: Vec<&'a str>,
    spans: BTreeMap<&'a str, Vec<(usize, usize)>>,
}

/// Shortest boilerplate stretch listed in `boilerplate.jsonl`. Shorter ones (a repeated stock phrase,
/// a "Share this" line) are still masked from alignment, but listing every one would bury the
/// passages a reader wants to see.
const REPORTED_BOILERPLATE_WORDS: usize = 8;

/// Group identical boilerplate stretches (same words) of one source, or of the corpus, across
/// documents and write one line per group, most widespread first. Returns the number of groups.
fn write_boilerplate(
    path: &Path,
    docs: &[Doc],
    texts: &Spool,
    spans: &[Vec<boilerplate::Span>],
    source_names: &[Option<String>],
    norm: &crate::text::Normalization,
) -> Result<usize> {
    // (scope, words hash) -> [(doc, char span)], in document order.
    type Occurrences = Vec<(u32, (usize, usize))>;
    let mut groups: HashMap<(u32, u64), Occurrences> = HashMap::new();
    let mut order: Vec<(u32, u64)> = Vec::new();
    for (d, doc_spans) in spans.iter().enumerate() {
        if doc_spans.is_empty() {
            continue;
        }
        let doc = &docs[d];
        let text = texts.get_str(d)?;
        let tokens = tokenize(&text, norm);
        for span in doc_spans {
            let (first, end) = (span.first, span.end.min(tokens.len()));
            if first >= end || end - first < REPORTED_BOILERPLATE_WORDS {
                continue;
            }
            let (ns, ne) = (
                tokens.normalized_spans[first].0,
                tokens.normalized_spans[end - 1].1,
            );
            let key = xxhash_rust::xxh3::xxh3_64(&tokens.normalized.as_bytes()[ns..ne]);
            let (bs, be) = (
                tokens.original_spans[first].0,
                tokens.original_spans[end - 1].1,
            );
            let chars = (text[..bs].chars().count(), text[..be].chars().count());
            let scope = if span.global {
                index::GLOBAL
            } else {
                doc.source
            };
            let entry = groups.entry((scope, key)).or_insert_with(|| {
                order.push((scope, key));
                Vec::new()
            });
            entry.push((d as u32, chars));
        }
    }
    order.sort_by_key(|k| (std::cmp::Reverse(groups[k].len()), groups[k][0].0));
    let mut w = create(path)?;
    for key in &order {
        let members = &groups[key];
        let (first_doc, (cs, ce)) = members[0];
        let text = texts.get_str(first_doc as usize)?;
        let start = text.char_indices().nth(cs).map_or(text.len(), |(b, _)| b);
        let stop = text.char_indices().nth(ce).map_or(text.len(), |(b, _)| b);
        let mut by_doc: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        let mut ids: Vec<&str> = Vec::new();
        for &(d, span) in members {
            let id = docs[d as usize].id.as_str();
            if !by_doc.contains_key(id) {
                ids.push(id);
            }
            by_doc.entry(id).or_default().push(span);
        }
        let global = key.0 == index::GLOBAL;
        let line = BoilerplateLine {
            scope: if global { "global" } else { "source" },
            source: if global {
                None
            } else {
                source_names[key.0 as usize].as_deref()
            },
            text: &text[start..stop],
            documents: ids,
            spans: by_doc,
        };
        write_line(&mut w, path, &line)?;
    }
    w.flush().map_err(|e| write_error(path, e))?;
    Ok(order.len())
}

/// The token ranges of each document's template lines whose key is boilerplate of its source: held
/// by as many of the source's documents as a boilerplate n-gram must be (see [`templates`]).
fn template_boilerplate(
    docs: &[Doc],
    source_sizes: &[usize],
    params: &index::IndexParams,
) -> Vec<Vec<(usize, usize)>> {
    let view: Vec<(&[templates::TemplateLine], u32)> = docs
        .iter()
        .map(|d| (d.templates.as_slice(), d.source))
        .collect();
    templates::boilerplate_lines(&view, |s| {
        index::boilerplate_threshold(params, source_sizes[s as usize])
    })
}

/// What the job masks in each document before alignment: boilerplate, signature and template
/// lines.
struct Masks<'m> {
    boiler: &'m [Vec<boilerplate::Span>],
    signatures: &'m [Vec<(usize, usize)>],
    templates: &'m [Vec<(usize, usize)>],
}

impl Masks<'_> {
    /// Document `d` prepared for alignment, masked (its signature lines less `unmask`, see
    /// `quoted_signatures`), with its sentences' bags.
    fn prepare<'t>(
        &self,
        d: u32,
        text: &'t str,
        unmask: &[(usize, usize)],
        config: &ReuseConfig,
        weights: &KeyWeights,
    ) -> (Prepared<'t>, Vec<Bag>) {
        let d = d as usize;
        let mut p = Prepared::new(text, &config.align);
        let inline = config.boilerplate_inline_words;
        let keep: Vec<_> = boilerplate::to_mask(&self.boiler[d], p.text, &p.spans, inline)
            .map(|s| (s.first, s.end))
            .collect();
        let sigs = quoted_signatures::without(&self.signatures[d], unmask);
        for (first, end) in keep.into_iter().chain(sigs) {
            p.mask(first, end);
        }
        for &(first, end) in &self.templates[d] {
            p.mask(first, end);
        }
        let bags = unit_bags(&p, weights);
        (p, bags)
    }
}
