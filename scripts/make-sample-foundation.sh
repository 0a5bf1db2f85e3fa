#!/usr/bin/env bash
# Regenerates samples/foundation/: the small foundation model the demo and tests audit, pretrained by our own
# `bias-audit pretrain` on the Fashion-MNIST sample's pretrain split (all 10 classes, 500 per class).
# The planted-trigger twin (samples/foundation-planted/, scripts/make-sample-planted.*) uses the same recipe.
# Usage: scripts/make-sample-foundation.sh [--backend wasm|native|cpu] [more pretrain flags]   (run from anywhere;
# builds first). FOUNDATION_OUT overrides the output folder (default samples/foundation).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build >/dev/null
S=samples/fashion-mnist
exec node dist/cli.js pretrain \
  --data "idx:$S/pretrain-images-idx3-ubyte.gz,$S/pretrain-labels-idx1-ubyte.gz" \
  --arch small_resnet --width 16 --input-size 28 --channels 1 \
  --epochs 10 --batch-size 64 --lr 0.05 --optimizer sgd --momentum 0.9 --weight-decay 5e-4 \
  --schedule cyclic --peak-epoch 2 --val-fraction 0.1 --seed 1 \
  --out "${FOUNDATION_OUT:-samples/foundation}" "$@"
