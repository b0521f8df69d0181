//! Integration tests: the real `overlap` binary on real data (`../shared/data`) and on crafted input.
//! One test binary with modules, sharing the harness in `common`.

mod align_clough;
mod align_seeds;
mod common;
mod dedup_bad_input;
mod dedup_outputs;
mod dedup_recall;
mod dedup_spill;
mod reuse;
mod sketch;
