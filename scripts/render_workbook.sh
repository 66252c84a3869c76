#!/usr/bin/env bash
# Render a workbook to PDF (LibreOffice) and to one PNG per page (poppler's pdftoppm), to look
# at what a user will see. Needs: apt-get install -y libreoffice-calc poppler-utils
#
# usage: scripts/render_workbook.sh WORKBOOK.xlsx [OUTDIR] [DPI]
# writes OUTDIR/<name>.pdf and OUTDIR/<name>-<page>.png (OUTDIR defaults to ./render, DPI to 60)
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 WORKBOOK.xlsx [OUTDIR] [DPI]" >&2
    exit 2
fi
book=$1
out=${2:-render}
dpi=${3:-60}
for tool in soffice pdftoppm; do
    command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install libreoffice-calc poppler-utils)" >&2; exit 1; }
done
mkdir -p "$out"
name=$(basename "${book%.*}")
# a private profile so a running LibreOffice or a locked default profile does not interfere
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice -env:UserInstallation="file://$profile" --headless --convert-to pdf --outdir "$out" "$book" >/dev/null
pdftoppm -png -r "$dpi" "$out/$name.pdf" "$out/$name"
ls "$out/$name".pdf "$out/$name"-*.png
