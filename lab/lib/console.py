#!/usr/bin/env python3
"""Serial console of one lab client: log it, type a chat on it, decide when the boot is over.

QEMU serves the client's serial port on a unix socket and waits (server=on,wait=on) until this
program connects, so nothing the firmware prints is lost. Everything read is appended raw to
--log. Patterns are matched against the console text with terminal escapes and CRs removed
(syslinux.efi positions every character; GRUB and OVMF draw boxes).

Exit status (one line "console: ..." on stdout says why):
  0  --done matched            (the scenario's sign that the last file arrived)
  3  --giveup matched          (the firmware's own failure message: stop early)
  2  --timeout ran out
  4  QEMU exited (--pid)       5  could not connect to the console socket

A chat file has one command per line; "#" lines and blank lines are ignored:
  expect ERE    wait (up to --chat-wait s) for ERE in console text newer than the last match
  send TEXT     type TEXT; backslash escapes as in C (\\n is Enter, \\t, \\\\, \\xNN)
  sleep SECS    pause
"""
import argparse
import codecs
import os
import re
import select
import signal
import socket
import sys
import time

ESCAPES = re.compile(rb"\x1b\[[0-9;?=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]?|\x1b[78cDEHM=>]|\r|\x00")


def clean(raw: bytes) -> str:
    # sequences first, then any ESC left over (syslinux.efi sometimes sends ESC ESC [ …)
    return ESCAPES.sub(b"", raw).replace(b"\x1b", b"").decode("utf-8", "replace")


def load_chat(path):
    steps = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmd, _, arg = line.partition(" ")
            if cmd == "expect":
                steps.append(("expect", re.compile(arg)))
            elif cmd == "send":
                steps.append(("send", codecs.decode(arg, "unicode_escape").encode("latin-1")))
            elif cmd == "sleep":
                steps.append(("sleep", float(arg)))
            else:
                sys.exit(f"console: {path}:{n}: unknown chat command {cmd!r}")
    return steps


def note(a, text):
    if a.match_file:
        with open(a.match_file, "w", encoding="utf-8") as f:
            f.write(" ".join(text.split()) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sock", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--done", default="")
    ap.add_argument("--done-file", default="", help="match --done in this file instead of the console")
    ap.add_argument("--giveup", default="")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--chat", default="")
    ap.add_argument("--chat-wait", type=float, default=90)
    ap.add_argument("--match-file", default="", help="write the text --done/--giveup matched here")
    a = ap.parse_args()

    done = re.compile(a.done, re.M) if a.done else None
    giveup = re.compile(a.giveup, re.M) if a.giveup else None
    steps = load_chat(a.chat) if a.chat else []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    start = time.monotonic()

    def alive():
        if not a.pid:
            return True
        try:
            os.kill(a.pid, 0)
        except ProcessLookupError:
            return False
        try:  # a zombie (not yet reaped by the shell) is gone too
            with open(f"/proc/{a.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            sock.connect(a.sock)
            break
        except OSError:
            if time.monotonic() - start > 30 or not alive():
                print(f"console: no console socket {a.sock}")
                return 5
            time.sleep(0.1)

    log = open(a.log, "ab", buffering=0)
    raw = bytearray()
    text = ""
    dirty = False
    step = 0
    mark = 0                 # chat: only text after the previous expect's match counts
    step_since = time.monotonic()
    sleep_until = 0.0
    chat_stalled = False

    def t():
        return time.monotonic() - start

    while True:
        r = []
        if sock is not None:
            r, _, _ = select.select([sock], [], [], 0.2)
        else:
            time.sleep(0.2)
        if r:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                log.write(chunk)
                raw += chunk
                dirty = True
            else:  # the console closed: QEMU is exiting
                sock.close()
                sock = None
        if dirty:
            text = clean(bytes(raw))
            dirty = False
        # the chat
        now = time.monotonic()
        while step < len(steps) and now >= sleep_until:
            kind, arg = steps[step]
            if kind == "expect":
                m = arg.search(text, mark)
                if not m:
                    if now - step_since > a.chat_wait and not chat_stalled:
                        print(f"console: chat waits for /{arg.pattern}/ since {a.chat_wait:.0f}s", file=sys.stderr)
                        chat_stalled = True
                    break
                mark = m.end()
            elif kind == "send" and sock is not None:
                sock.sendall(arg)
            elif kind == "sleep":
                sleep_until = now + arg
            step += 1
            step_since = now
        # the verdicts
        if done:
            hay = text
            if a.done_file:
                try:
                    with open(a.done_file, "rb") as f:
                        hay = clean(f.read())
                except OSError:
                    hay = ""
            m = done.search(hay)
            if m:
                note(a, m.group(0))
                print(f"console: done /{a.done}/ after {t():.0f}s: {m.group(0)!r}")
                return 0
        if giveup:
            m = giveup.search(text)
            if m:
                note(a, m.group(0))
                print(f"console: firmware gave up after {t():.0f}s: {m.group(0)!r}")
                return 3
        if t() >= a.timeout:
            print(f"console: timeout after {a.timeout:.0f}s")
            return 2
        if not alive():
            print(f"console: QEMU exited after {t():.0f}s")
            return 4


if __name__ == "__main__":
    sys.exit(main())
