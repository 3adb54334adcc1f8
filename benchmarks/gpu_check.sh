#!/usr/bin/env bash
# The GPU path in one script (its time on a GPU has not been measured; CI runs it at CPU sizes):
#   1. bench_train.py: the official networks in the official loop against ours (bf16 + channels_last + compile),
#      `paper` preset, batch 64, videos/s side by side; and our train step per preset and precision;
#   2. notebook 04 in full mode (the `paper` preset, bf16, compile) for FULL_STEPS steps;
#   3. the torchrun data-parallel test (nccl on the GPUs; gloo on CPU).
#
#   bash benchmarks/gpu_check.sh            # on a GPU machine (device cuda)
#   bash benchmarks/gpu_check.sh cpu        # the same three steps at CPU sizes (CI runs this so it cannot rot)
#
# Results go to $OUT (default runs/gpu_check): bench JSON, the executed notebook, logs; a summary is printed.
set -euo pipefail
DEVICE="${1:-cuda}"
OUT="${OUT:-runs/gpu_check}"
PY="${PYTHON:-python}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
start=$SECONDS

if [ "$DEVICE" = "cuda" ]; then
  BENCH=(--device cuda --sections official,train)
  NB=(-p QUICK False -p FULL_STEPS 300 -p FULL_BATCH_SIZE 64 -p FULL_IDENTITIES 200)
  NPROC="$("$PY" -c 'import torch; print(max(1, torch.cuda.device_count()))')"
  DDP=(--device cuda)
else
  BENCH=(--device cpu --quick --sections official)
  NB=(-p QUICK False -p FULL_STEPS 2 -p FULL_BATCH_SIZE 2 -p FULL_IDENTITIES 3 -p FULL_COMPILE False
      -p JUDGE_MIN_STEPS 1)
  NPROC=2
  DDP=(--device cpu)
fi

echo "== 1/3 bench_train.py ${BENCH[*]}"
"$PY" benchmarks/bench_train.py "${BENCH[@]}" --results "$OUT/bench" | tee "$OUT/bench.log"

echo "== 2/3 notebook 04, full mode (${NB[*]})"
"$PY" -m papermill notebooks/04_training.ipynb "$OUT/04_training_full.ipynb" --cwd notebooks --no-progress-bar \
  "${NB[@]}" -p DATA_DIR "$OUT/data" -p RUNS_DIR "$OUT/runs" 2>&1 | tail -n 5

echo "== 3/3 torchrun --nproc_per_node $NPROC, tiny preset, ${DDP[*]}"
"$PY" -m torch.distributed.run --standalone --nproc_per_node "$NPROC" -m imaginator_lite.cli train --preset tiny \
  --synthetic faces --identities 6 --steps 5 --batch-size $((4 * NPROC)) --precision fp32 --log-every 1 \
  "${DDP[@]}" --data-root "$OUT/data" --out "$OUT/ddp" | tee "$OUT/ddp.log"
"$PY" -m imaginator_lite.cli train --resume "$OUT/ddp/checkpoint.pt" --steps 7 --device "${DDP[1]}" \
  --out "$OUT/ddp" | tee -a "$OUT/ddp.log"

echo "== done in $((SECONDS - start)) s on $DEVICE; results in $OUT"
