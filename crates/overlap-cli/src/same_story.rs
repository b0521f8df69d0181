//! `overlap reuse --same-story`: links between documents of one story that share little text.

use crate::ranges::{real, Bound};
use clap::Args;
use overlap::reuse::same_story::DEFAULT_THRESHOLD;
use std::path::PathBuf;

/// The options of `reuse --same-story`.
#[derive(Args, Clone)]
pub struct SameStoryArgs {
    /// Also link documents of one story that share little text, by the cosine of their embeddings
    /// (the static model, centred on the corpus mean), in DIR/same_story.jsonl ({"a", "b",
    /// "cosine"}; pairs already in pairs.jsonl are not repeated). Off by default: shared text stays
    /// the definition of related, and these links change neither pairs.jsonl nor stories.jsonl.
    /// Needs the model (scripts/make-model.sh).
    #[arg(long)]
    pub same_story: bool,

    /// With --same-story: cosine at or above which two documents are linked.
    #[arg(long, requires = "same_story", default_value_t = DEFAULT_THRESHOLD, value_name = "C",
          value_parser = real(Bound::Open(0.0), Bound::Closed(1.0)))]
    pub same_story_threshold: f64,

    /// With --same-story or --semantic: folder of the static embedding model (default:
    /// $OVERLAP_MODEL, else models/overlap-minilm-static, which scripts/make-model.sh builds).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

impl SameStoryArgs {
    /// The model, when --same-story or --semantic (`semantic`) asks for it (a missing one is an error naming the command that
    /// builds it).
    pub fn load(&self, semantic: bool) -> anyhow::Result<Option<overlap::embed::StaticModel>> {
        if !self.same_story && !semantic {
            return Ok(None);
        }
        let dir = overlap::embed::model_dir(self.model.as_deref());
        Ok(Some(overlap::embed::StaticModel::load(&dir)?))
    }
}
