#!/usr/bin/env bash
# Writes every command's JSON for one fixed set of seeds and settings into OUT, so a refactor can
# be checked for unchanged behaviour: run it on the old and the new tree, then compare with
# `python tools/compare_snapshots.py OLD NEW` (paths, timings and versions aside).
# Usage: tools/behaviour_snapshot.sh OUT   (run from the tree to snapshot; uses .venv's python)
set -euo pipefail
OUT=$(realpath -m "$1")
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
BC=("$PY" -m boundcheck)
mkdir -p "$OUT"
TINY=(--steps 500 --threads 1 --device cpu --quiet --set epoch_length=100
      --set init_exploration_steps=200 --set model_train_freq=50 --set updates_per_step=1
      --set rollout_batch_size=200 --set ensemble.max_epochs=3 --set ensemble.hidden_width=32
      --set sac.hidden_width=32)
MEASURE=(--train-size 300,600 --snapshots 3 --eval-steps 150 --max-updates 150 --check-every 5
         --kl-min 0.002 --kl-max 0.02 --rollout-batch-size 200 --tv-samples 16 --device cpu --threads 1)
"${BC[@]}" bounds --gamma 0.99 --r-max 1 --eps-m 0.01 --eps-pi 0.01 --k 5 --slope 0.5 --json > "$OUT/bounds.json"
"${BC[@]}" optimal-k --gamma 0.99 --eps-pi 0.1 --eps-m 0.05 --k-max 80 --json > "$OUT/optimal_k.json"
"${BC[@]}" optimal-k --gamma 0.95 --json > "$OUT/optimal_k_grid.json"
"${BC[@]}" verify-tabular --mdps 200 --seed 3 --json --out "$OUT/vt" > "$OUT/verify_tabular.json"
"${BC[@]}" train --env Pendulum-v1 --seed 1 --out "$OUT/run_pendulum" --json "${TINY[@]}" > "$OUT/train_pendulum.json"
"${BC[@]}" train --env InvertedPendulum-v5 --seed 2 --out "$OUT/run_noisy" --json "${TINY[@]}" \
    --transition-noise 0.05 --reward-noise 0.05 > "$OUT/train_noisy.json"
cp "$OUT/run_pendulum/metrics.jsonl" "$OUT/metrics_pendulum.jsonl"
cp "$OUT/run_noisy/metrics.jsonl" "$OUT/metrics_noisy.jsonl"
"${BC[@]}" validate --run "$OUT/run_pendulum" --episodes 3 --model-starts 50 --device cpu --threads 1 \
    --json --out "$OUT/val_pendulum" > "$OUT/validate_pendulum.json"
"${BC[@]}" validate --run "$OUT/run_noisy" --episodes 3 --model-starts 50 --device cpu --threads 1 \
    --all-epochs --json --out "$OUT/val_noisy" > "$OUT/validate_noisy.json"
"${BC[@]}" measure-generalization --run "$OUT/run_pendulum" --out "$OUT/gen_pendulum" --json "${MEASURE[@]}" \
    > "$OUT/gen_pendulum.json"
"${BC[@]}" measure-generalization --run "$OUT/run_noisy" --out "$OUT/gen_noisy" --json "${MEASURE[@]}" \
    > "$OUT/gen_noisy.json"
"${BC[@]}" optimal-k --from "$OUT/gen_pendulum/results.json" --json > "$OUT/optimal_k_from_pendulum.json"
"${BC[@]}" optimal-k --from "$OUT/gen_noisy/results.json" --json > "$OUT/optimal_k_from_noisy.json"
# --resume: a measurement of one seed continued to two equals the two-seed measurement above.
"${BC[@]}" measure-generalization --run "$OUT/run_noisy" --out "$OUT/gen_resumed" --json "${MEASURE[@]}" \
    --repetitions 1 > /dev/null
"${BC[@]}" measure-generalization --run "$OUT/run_noisy" --out "$OUT/gen_resumed" --json "${MEASURE[@]}" \
    --repetitions 2 --resume > "$OUT/gen_resumed.json"
"${BC[@]}" measure-generalization --run "$OUT/run_noisy" --out "$OUT/gen_two" --json "${MEASURE[@]}" \
    --repetitions 2 > "$OUT/gen_two.json"
# train --resume: a run stopped at 300 steps and continued to 500 equals the 500-step run.
"${BC[@]}" train --env Pendulum-v1 --seed 1 --out "$OUT/run_resumed" --json "${TINY[@]}" \
    --steps 300 > /dev/null
"${BC[@]}" train --env Pendulum-v1 --seed 1 --out "$OUT/run_resumed" --json "${TINY[@]}" \
    --resume > "$OUT/train_resumed.json"
cp "$OUT/run_resumed/metrics.jsonl" "$OUT/metrics_resumed.jsonl"
# sweep: a 2-cell grid with both follow-on analyses, then the report over it.
SWEEP_SET=()
for s in epoch_length=100 init_exploration_steps=200 model_train_freq=50 updates_per_step=1 \
         rollout_batch_size=200 ensemble.max_epochs=3 ensemble.hidden_width=32 sac.hidden_width=32; do
    SWEEP_SET+=(--set "$s")
done
"${BC[@]}" sweep train --env Pendulum-v1 --seeds 0-1 --steps 500 --device cpu --cpus 2 "${SWEEP_SET[@]}" \
    --out "$OUT/sweep" --json --then validate,measure-generalization \
    --val-set episodes=3 --val-set model_starts=50 --gen-train-size 300,600 \
    --gen-set snapshots=3 --gen-set eval_steps=150 --gen-set max_updates=150 --gen-set check_every=5 \
    --gen-set kl_min=0.002 --gen-set kl_max=0.02 --gen-set rollout_batch_size=200 --gen-set tv_samples=16 \
    > "$OUT/sweep.json"
"${BC[@]}" sweep report "$OUT/sweep" --json > "$OUT/sweep_report.json"
echo "snapshot in $OUT"
