#!/bin/bash
# Generate one synthetic dataset on a SLURM cluster, one shard per array task.
#
#   sbatch --array=1-16 Examples/slurm/synth-array.sh /shared/datasets/deadleaves-100k
#
# Every task runs the same `deblur synth` command with its own --shard K/N. Item i depends on
# (settings, --seed, i) alone, so the N shards together write exactly the files one run would;
# each shard writes its own items-K-of-N.jsonl, which readers (deblur compare, deblur train,
# Dataset.load) merge. A task that dies can simply be resubmitted: complete items are skipped.
# Resubmitted alone it is an array of one task, which cannot tell the split it belongs to:
# SHARDS=16 sbatch --array=7 … reruns shard 7 of 16 (shard numbers are 1-based).
# All tasks must use the same settings: a mismatch with the directory's dataset.json stops the
# task with an error instead of mixing two datasets. Tasks run at the same time take turns on
# DIR/.deblur-synth.lock; on a file system mounted without locking, do not add --force to the
# array (each task would remove the others' new items): delete the old directory instead.
#
#SBATCH --job-name=deblur-synth
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=synth-%A_%a.log

set -euo pipefail

OUT=${1:?usage: sbatch --array=1-N synth-array.sh OUTPUT_DIR}
DEBLUR=${DEBLUR:-deblur}                      # path to the deblur binary (release build)
SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-1}}
SHARD=${SLURM_ARRAY_TASK_ID:-1}
# Array ids may start at 0 (--array=0-15): map them to 1-based shard numbers.
if [ "${SLURM_ARRAY_TASK_MIN:-1}" = "0" ]; then SHARD=$((SHARD + 1)); fi

"$DEBLUR" synth --out "$OUT" \
    --dead-leaves "${COUNT:-100000}" --size 256 \
    --trajectories 31 \
    --noise-sigma 0.005:0.02 \
    --boundary valid \
    --seed 2026 \
    --shard "$SHARD/$SHARDS" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --quiet
