#!/usr/bin/env bash
# Regenerates samples/fashion-concepts/ (concept image folders of the association probe) from the committed
# Fashion-MNIST sample's test split. Arguments pass through: [--source DIR] [--out DIR] [--seed N].
set -euo pipefail
cd "$(dirname "$0")/.."
# Bundled on its own so it does not depend on the rest of the tree compiling; sharp stays a runtime require.
npx esbuild scripts/make-sample-concepts.ts --bundle --platform=node --target=node20 --external:sharp --log-level=warning --outfile=out/scripts/make-sample-concepts.bundle.js
node out/scripts/make-sample-concepts.bundle.js "$@"
