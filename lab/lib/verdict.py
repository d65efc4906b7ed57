#!/usr/bin/env python3
"""Judge `pxe-inspect analyze -f json` output of a lab capture against the scenario's EXPECT.

usage: verdict.py ANALYZE.json EXPECT [LAST_FILE]

EXPECT=booted: at least one PXE session, every PXE session's outcome "booted", no finding of
severity warning or error anywhere, and (LAST_FILE given) a complete TFTP or HTTP transfer of
LAST_FILE (the dummy kernel: the end of the chain).
EXPECT=<finding-id>: the warning/error findings of the capture are exactly that ID (it may be
reported for several sessions or stages); info findings are ignored.

Prints one line "<result> <detail>"; result is what the capture says ("booted", a finding ID, or
"incomplete"/"failed" with the findings); exit 0 when it is what the scenario expects.
"""
import json
import sys


def main():
    path, expect = sys.argv[1], sys.argv[2]
    last = sys.argv[3] if len(sys.argv) > 3 else ""
    with open(path, encoding="utf-8") as f:
        v = json.load(f)
    sessions = v.get("sessions", [])
    pxe = [s for s in sessions if s.get("pxe")]
    found = []
    for s in sessions:
        for f in s.get("findings", []):
            if f.get("severity") in ("warning", "error"):
                found.append(f["id"])
    for f in v.get("findings", []):
        if f.get("severity") in ("warning", "error"):
            found.append(f["id"])
    ids = sorted(set(found))
    outcomes = sorted({s.get("outcome", "?") for s in pxe})

    def fetched(name):
        for s in pxe:
            for t in s.get("tftp", []):
                if t.get("file", "").lstrip("/").split("/")[-1] == name and t.get("status") == "complete":
                    return True
            for h in s.get("http", []):
                if h.get("method") == "GET" and h.get("status") == "complete" \
                        and h.get("url", "").rstrip("/").split("/")[-1] == name:
                    return True
        return False

    if not pxe:
        result, detail = "not-pxe", "no PXE session in the capture"
    elif ids:
        result, detail = ",".join(ids), f"outcome {'/'.join(outcomes)}"
    else:
        result, detail = "/".join(outcomes), "no warning or error"
        if result == "booted" and last:
            if fetched(last):
                detail += f", {last} complete"
            else:
                result, detail = "incomplete", f"{last} was not transferred completely"
    ok = result == expect
    print(f"{result} ({detail})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
