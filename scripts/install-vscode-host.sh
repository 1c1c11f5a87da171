#!/usr/bin/env bash
# Installs code-server (a real VS Code: Node extension host + web workbench) for the host tests, following
# shared/VSCODE_HOST.md. Only the npm registry is needed: code-server's postinstall (which fetches ripgrep from
# GitHub and prebuilt addons) is skipped and redone by hand with Debian's ripgrep and node-gyp builds.
# Idempotent: a stamp file marks a finished install, so later runs return in well under a second.
# Needs: node 20, build-essential python3 pkg-config libkrb5-dev ripgrep (Debian), npm registry access.
# Prints the path of code-server's entry.js on its last line.
set -euo pipefail

version="4.99.4"
cache_dir="${BELLE_CACHE_DIR:-$HOME/.cache/belle}"
tool_dir="$cache_dir/tools/code-server-$version"
entry="$tool_dir/node_modules/code-server/out/node/entry.js"
stamp="$tool_dir/.installed"
# Bump when the steps below change, so existing installs are redone.
recipe="1"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$recipe" && -f "$entry" ]]; then
    echo "$entry"
    exit 0
fi

for tool in node npm rg make python3 pkg-config; do
    command -v "$tool" >/dev/null || { echo "install-vscode-host: '$tool' is missing (see .ci/run's apt-get line)" >&2; exit 1; }
done
# code-server 4.99.4 is made for Node 20 (its own postinstall, skipped here, insists on it).
[[ "$(node -p 'process.versions.node.split(".")[0]')" == "20" ]] \
    || echo "install-vscode-host: warning: code-server $version expects Node 20, this is $(node --version)" >&2
# The kerberos addon (a VS Code dependency) builds against the krb5 headers.
[[ -f /usr/include/krb5.h || -f /usr/include/krb5/krb5.h ]] \
    || { echo "install-vscode-host: krb5 headers are missing (Debian: libkrb5-dev)" >&2; exit 1; }

# node-gyp builds against the installed Node's headers instead of downloading them; a postinstall runs
# `npx node-gyp`, which must not stop to ask.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export npm_config_yes=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
npm_quiet=(--no-audit --no-fund --loglevel=error)

log() { echo "[install-vscode-host] $*" >&2; }
started=$SECONDS

# Start from scratch when a previous run was interrupted half way.
rm -rf "$tool_dir"
mkdir -p "$tool_dir"
cd "$tool_dir"
echo '{"name": "belle-vscode-host", "private": true}' > package.json

log "npm install code-server@$version (scripts skipped)"
npm install "${npm_quiet[@]}" --ignore-scripts --no-save "code-server@$version" >&2

log "building argon2 from source"
npm rebuild "${npm_quiet[@]}" argon2 >&2

vscode_dir="$tool_dir/node_modules/code-server/lib/vscode"
cd "$vscode_dir"
log "installing VS Code's runtime dependencies"
npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts >&2
# @vscode/ripgrep's postinstall downloads rg from GitHub unless bin/ already exists: give it Debian's.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
log "building VS Code's native addons (node-pty, spdlog, watcher, kerberos, ...)"
npm rebuild "${npm_quiet[@]}" >&2

# What code-server's postinstall.sh does besides downloads.
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh
log "installing the built-in extensions' dependencies"
(cd extensions && npm install "${npm_quiet[@]}" --omit=dev >&2)

cd "$tool_dir"
# --config: without it code-server writes a default config into ~/.config/code-server.
node "$entry" --config "$tool_dir/version-check.yaml" --user-data-dir "$tool_dir/version-check" --version >&2
rm -rf "$tool_dir/version-check.yaml" "$tool_dir/version-check"
echo "$recipe" > "$stamp"
log "done in $((SECONDS - started)) s"
echo "$entry"
