#!/usr/bin/env bash
# Screenshot an HTML report in headless Chromium, to look at it as a person would.
#
#   scripts/screenshot_report.sh [REPORT.html] [OUT.png] [WIDTHxHEIGHT] [#FRAGMENT]
#
# e.g. scripts/screenshot_report.sh report.html filtered.png 1400x1000 '#code=IDS00211'
#
# With no report (or an empty first argument), one is made from the submission the report tests
# use: the bundled example with every severity, a deep cascade, unicode and hostile text in it
# (tests/test_report_data.py). Needs Chromium (Debian: apt-get install chromium). The page makes
# no network requests; the flags in tests/_chromium.py keep Chromium itself from making any.
#
# The picture is taken over Chromium's DevTools protocol (tests/_chromium.py), not with
# `chromium --screenshot`, which captures a blank page whenever the page is scrolled (an address
# with a fragment scrolls it).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
report="${1:-}"
out="${2:-iapt-ds-report.png}"
size="${3:-1400x1000}"
fragment="${4:-}"
PYTHONPATH="$here/tests:$here${PYTHONPATH:+:$PYTHONPATH}" python3 - "$report" "$out" "$size" "$fragment" <<'PY'
import sys
import tempfile
from pathlib import Path

from _chromium import CHROMIUM, Browser

report, out, size, fragment = sys.argv[1:5]
if CHROMIUM is None:
    sys.exit("screenshot_report.sh: no Chromium found (Debian: apt-get install chromium)")
with tempfile.TemporaryDirectory() as work:
    if not report:
        from test_report_data import messy_result
        from iapt_ds.report import write_html
        report = str(Path(work) / "report.html")
        with open(report, "w", encoding="utf-8") as fh:
            write_html(messy_result(Path(work) / "sub"), fh)
    width, height = (int(n) for n in size.split("x"))
    with Browser(width, height) as b:
        b.open(Path(report).resolve().as_uri() + fragment)
        b.screenshot(Path(out))
print(out)
PY
