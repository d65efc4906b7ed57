#!/usr/bin/env bash
# Regenerate the README's findings table from the rule registry (tests/samples.rs checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release
table=$(target/release/pxe-inspect explain --markdown)
python3 - "$table" <<'PY'
import sys, re
table = sys.argv[1].rstrip("\n") + "\n"
s = open("README.md").read()
start = s.index("| ID | severity |")
end = s.index("\n\n", start) + 1
open("README.md", "w").write(s[:start] + table + s[end:])
PY
