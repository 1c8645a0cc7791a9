#!/usr/bin/env bash
# Write requirements-dev.lock and requirements.lock from pyproject.toml with uv (the dev extra installs it).
#
#   tools/lock.sh            keep every pin that pyproject.toml still allows; add, drop or move only what
#                            a changed dependency or bound requires (uv reads the old lock as preferences)
#   tools/lock.sh --upgrade  start from nothing: the newest versions that pyproject.toml allows
#
# Both locks are universal (Linux, macOS, Windows; Python >= 3.11: markers select per platform) and carry
# a sha256 hash for every file of every pin, so `pip install -r` installs exactly these bytes. The run lock
# is resolved under the dev lock as constraints, so a package in both has the same version in both.
# After a refresh: rerun the study and the tests, and commit the locks with any outputs that changed.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    "") ;;
    --upgrade) rm -f requirements-dev.lock requirements.lock ;;
    *) echo "usage: tools/lock.sh [--upgrade]" >&2; exit 2 ;;
esac
command -v uv >/dev/null || { echo "tools/lock.sh: uv not found; install the dev extra (README)" >&2; exit 2; }

note="# Refresh both locks with tools/lock.sh (DEVELOPERS.md, \"Refreshing the lock\"); it runs the uv command below."
compile() {  # compile OUT ARGS...: uv writes OUT (reading its old pins as preferences), then the note goes on top
    local out=$1
    shift
    uv pip compile --quiet pyproject.toml --generate-hashes --universal --python-version 3.11 "$@" -o "$out"
    printf '%s\n%s\n' "$note" "$(cat "$out")" >"$out.tmp" && mv "$out.tmp" "$out"
}
compile requirements-dev.lock --extra dev
compile requirements.lock -c requirements-dev.lock
echo "wrote requirements-dev.lock ($(grep -c '==' requirements-dev.lock) pins) and requirements.lock ($(grep -c '==' requirements.lock) pins)"
