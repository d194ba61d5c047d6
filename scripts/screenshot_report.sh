#!/usr/bin/env bash
# Screenshot an HTML report in headless Chromium, to look at it as a person would.
#
#   scripts/screenshot_report.sh [REPORT.html] [OUT.png] [WIDTHxHEIGHT]
#
# With no report, one is made from the submission the report tests use: the bundled example with
# every severity, a deep cascade, unicode and hostile text in it (tests/test_report_data.py). Needs Chromium
# (Debian: apt-get install chromium). The page makes no network requests; the flags below keep
# Chromium itself from making any either.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
report="${1:-}"
out="${2:-iapt-ds-report.png}"
size="${3:-1400x1000}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
    echo "screenshot_report.sh: no Chromium found (Debian: apt-get install chromium)" >&2
    exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -z "$report" ]]; then
    report="$work/report.html"
    PYTHONPATH="$here/tests:$here${PYTHONPATH:+:$PYTHONPATH}" python3 - "$work/sub" "$report" <<'PY'
import sys
from pathlib import Path
from test_report_data import messy_result
from iapt_ds.report import write_html
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    write_html(messy_result(Path(sys.argv[1])), fh)
PY
fi
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
    --screenshot="$out" --window-size="${size/x/,}" "file://$(realpath "$report")" 2>/dev/null
echo "$out"
