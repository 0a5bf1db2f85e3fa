#!/usr/bin/env bash
# Regenerates samples/fashion-mnist/ from Debian's dataset-fashion-mnist package
# (apt-get install dataset-fashion-mnist). Arguments pass through: [--source DIR] [--out DIR] [--seed N].
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d /usr/share/datasets/fashion-mnist ] && [[ " $* " != *" --source "* ]]; then
  echo "make-sample: /usr/share/datasets/fashion-mnist is missing; install it with: apt-get install dataset-fashion-mnist" >&2
  exit 1
fi
# Bundled on its own so it does not depend on the rest of the tree compiling.
npx esbuild scripts/make-sample.ts --bundle --platform=node --target=node20 --log-level=warning --outfile=out/scripts/make-sample.bundle.js
node out/scripts/make-sample.bundle.js "$@"
