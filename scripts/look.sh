#!/usr/bin/env bash
# Render the pages of PDFs to PNGs so a person can look at them (poppler's pdftoppm).
# Usage: scripts/look.sh OUT_DIR FILE.pdf... [-r DPI via LOOK_DPI, default 60]
# Each FILE.pdf becomes OUT_DIR/<name>-<page>.png.
set -euo pipefail
if [ "$#" -lt 2 ]; then
    echo "usage: $0 OUT_DIR FILE.pdf..." >&2
    exit 2
fi
out="$1"
shift
mkdir -p "$out"
for pdf in "$@"; do
    name="$(basename "${pdf%.pdf}")"
    pdftoppm -r "${LOOK_DPI:-60}" -png "$pdf" "$out/$name"
done
ls "$out"
