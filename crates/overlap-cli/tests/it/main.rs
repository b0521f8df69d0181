//! Integration tests: the real `overlap` binary on real data (`../shared/data`) and on crafted input.
//! One test binary with modules, sharing the harness in `common`.

mod align_clough;
mod align_seeds;
mod align_semantic;
mod align_view;
mod bad_input_matrix;
mod bounds;
mod commit;
mod common;
mod dedup_bad_input;
mod dedup_outputs;
mod dedup_recall;
mod dedup_semantic;
mod dedup_simhash;
mod dedup_spill;
mod embed;
mod embed_output;
mod empty_documents;
mod index;
mod kill;
mod messages;
mod parquet_io;
mod report_checks;
mod reuse;
mod reuse_quotes;
mod reuse_same_story;
mod reuse_semantic;
mod reuse_semantic_spill;
mod reuse_semantic_switches;
mod serve;
mod sketch;
mod transformer;
mod usage_errors;
