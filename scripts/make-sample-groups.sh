#!/usr/bin/env bash
# Regenerates samples/fashion-groups/ (binary Fashion-MNIST task with a synthetic `background` attribute)
# from Debian's dataset-fashion-mnist package. Arguments pass through: [--source DIR] [--out DIR] [--seed N].
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d /usr/share/datasets/fashion-mnist ] && [[ " $* " != *" --source "* ]]; then
  echo "make-sample-groups: /usr/share/datasets/fashion-mnist is missing; install it with: apt-get install dataset-fashion-mnist" >&2
  exit 1
fi
npx esbuild scripts/make-sample-groups.ts --bundle --platform=node --target=node20 --external:sharp --log-level=warning --outfile=out/scripts/make-sample-groups.bundle.js
node out/scripts/make-sample-groups.bundle.js "$@"
