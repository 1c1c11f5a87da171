#!/usr/bin/env bash
# Makes a fresh machine ready for `npm test`, as the README promises: the Debian packages the tests need, then
# code-server (a real VS Code for the host tests, scripts/install-vscode-host.sh). Idempotent and quick when all is
# there (a dpkg query and a stamp file).
#
# Debian packages (shared/VSCODE_HOST.md): a compiler toolchain and krb5 headers for code-server's native addons,
# ripgrep in place of the one its postinstall would fetch from GitHub, Chromium for the workbench and the browser
# tests, a CJK font so that Chinese text in screenshots is not drawn as boxes, Slurm and munge for the private
# one-node cluster of test/train/slurmCluster.test.ts.
# As root (or with password-less sudo) the missing ones are installed with apt-get; otherwise this prints the exact
# command to run and stops with exit code 1, before any test runs.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential python3 pkg-config libkrb5-dev ripgrep chromium fonts-wqy-zenhei slurm-wlm munge)

if command -v dpkg-query >/dev/null; then
    missing=()
    for package in "${packages[@]}"; do
        [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]] || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "[prepare-test-machine] missing Debian packages: ${missing[*]}" >&2
        if [[ "$(id -u)" == "0" ]]; then
            sudo=()
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            echo "[prepare-test-machine] the tests need them. Install them, then run npm test again:" >&2
            echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get update -q
        "${sudo[@]}" apt-get install -y -q "${missing[@]}"
    fi
else
    for tool in chromium rg sbatch munged; do
        command -v "$tool" >/dev/null && continue
        echo "[prepare-test-machine] '$tool' is missing. On a Debian-like system install: ${packages[*]}" >&2
        exit 1
    done
fi

# code-server, cached in ${BELLE_CACHE_DIR:-~/.cache/belle}/tools; prints its entry path.
scripts/install-vscode-host.sh >/dev/null
