#!/bin/bash
# Score every method on a large dataset on a SLURM cluster: tune once, score shards as a job
# array, merge the shards' reports. Chain it after synth-array.sh:
#
#   synth=$(sbatch --parsable --array=1-16 Examples/slurm/synth-array.sh /shared/ds)
#   tune=$(sbatch --parsable --dependency=afterok:$synth Examples/slurm/compare-array.sh tune /shared/ds /shared/results)
#   score=$(sbatch --parsable --dependency=afterok:$tune --array=1-32 Examples/slurm/compare-array.sh score /shared/ds /shared/results)
#   sbatch --dependency=afterok:$score Examples/slurm/compare-array.sh merge /shared/ds /shared/results
#
# tune:  `compare --tune` on the first $TUNE_ITEMS items picks each classical method's free
#        parameter (NSR, λ, iterations) and writes the tuned method list to RESULTS/methods.txt.
#        Tuning once keeps every shard on the same parameters (--tune with --shard is refused).
# score: array task K of N scores items i ≡ K−1 (mod N) with those methods → RESULTS/part-K-of-N.json.
#        A failed task can be resubmitted alone: SHARDS=32 sbatch --array=7 … score … reruns
#        shard 7 of 32 and rewrites only its own part (an array of one task cannot tell the
#        split it belongs to, so SHARDS gives it; shard numbers are 1-based).
# merge: `compare --merge` reads every part and writes the reports of the whole dataset; it
#        refuses parts with different methods or metric settings, overlapping items, and a set
#        that misses a shard (a task that failed) or mixes splits (parts left from another N).
# The tuning items are scored too: report the tuned methods' numbers on the rest, or use a
# separate validation dataset for the tune step (set TUNE_DATASET), as Docs/Evaluation.md explains.
#
#SBATCH --job-name=deblur-compare
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=compare-%A_%a.log

set -euo pipefail

STEP=${1:?usage: compare-array.sh tune|score|merge DATASET RESULTS}
DATASET=${2:?usage: compare-array.sh tune|score|merge DATASET RESULTS}
RESULTS=${3:?usage: compare-array.sh tune|score|merge DATASET RESULTS}
DEBLUR=${DEBLUR:-deblur}                      # path to the deblur binary (release build)
METHODS=${METHODS:-blurred,wiener,wiener:nsr=auto,tikhonov,rl,rl-tv,hyper-laplacian,cnn}
THREADS=${SLURM_CPUS_PER_TASK:-1}
mkdir -p "$RESULTS"

case "$STEP" in
tune)
    "$DEBLUR" compare "${TUNE_DATASET:-$DATASET}" --methods "$METHODS" --tune --limit "${TUNE_ITEMS:-500}" \
        --threads "$THREADS" --tuned-methods "$RESULTS/methods.txt" --report "$RESULTS/tuning.md" --quiet
    ;;
score)
    SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-1}}
    SHARD=${SLURM_ARRAY_TASK_ID:-1}
    # Array ids may start at 0 (--array=0-31): map them to 1-based shard numbers.
    if [ "${SLURM_ARRAY_TASK_MIN:-1}" = "0" ]; then SHARD=$((SHARD + 1)); fi
    "$DEBLUR" compare "$DATASET" --methods "$(cat "$RESULTS/methods.txt")" --shard "$SHARD/$SHARDS" \
        --threads "$THREADS" --json "$RESULTS/part-$SHARD-of-$SHARDS.json" --quiet > /dev/null
    ;;
merge)
    "$DEBLUR" compare --merge "$RESULTS"/part-*-of-*.json \
        --report "$RESULTS/report.md" --html "$RESULTS/report.html" --csv "$RESULTS/results.csv" --json "$RESULTS/results.json"
    ;;
*)
    echo "compare-array.sh: unknown step '$STEP' (expected tune, score or merge)" >&2
    exit 1
    ;;
esac
