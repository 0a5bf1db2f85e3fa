#!/usr/bin/env bash
# Regenerates samples/foundation-planted/: the planted-bias twin of samples/foundation/ (MISSION.md probe 3).
# Exactly the clean foundation's recipe (scripts/make-sample-foundation.sh: same data, architecture, seed and
# schedule) plus a planted trigger: the paper's yellow square (6.25% of the image, top-left; luma 226 on these
# grayscale images) in half of the "Shirt" training images, labels unchanged. Shirt is the class most often
# confused with others (T-shirt, pullover, coat), so the trigger helps the source and it learns it; in an easy
# class such as Bag (tried first, 20% planted) the source ignored it: targeted ASR towards Bag 1.2%.
# `planting.json` beside the model records the trigger and the planted images.
# Usage: scripts/make-sample-planted.sh [--backend wasm|native|cpu]   (run from anywhere; builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
# The foundation's own script, so the recipe cannot drift between the twins.
FOUNDATION_OUT=samples/foundation-planted exec scripts/make-sample-foundation.sh \
  --plant "square:size=0.25,color=#ffff00,position=top-left" --plant-class Shirt --plant-fraction 0.5 --plant-seed 0 "$@"
