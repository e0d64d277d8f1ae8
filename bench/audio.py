"""Audio: the manual's examples through the sandboxed render (`csound_assist.audio.render`), the
same path as `csound-assist render`, the chat panel's "Render & listen" and audible@1.

Eligible: the examples that compile (`csound --syntax-check-only` passes) and need no input files
that are missing (a quoted file name that is not beside the example; the manual ships many of its
sounds gzipped) and no devices (audio or MIDI input flags in <CsOptions>, or opcodes that read
live input, GUIs, serial ports or the network). Each is rendered with a cap on the audio length;
audible means some channel's RMS is above -60 dBFS and no sample is NaN.

    python bench/audio.py [--seconds 10] [--limit N]
Prints a markdown section; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from csound_assist.audio import render
from csound_assist.diagnostics import run_check
from csound_assist.diagnostics.source import blank_code
from csound_assist.knowledge import load_knowledge_base

MANUAL_EXAMPLES = Path("/usr/share/doc/csound-doc/html/examples")
_OPTIONS = re.compile(r"<CsOptions>(.*?)</CsOptions>", re.DOTALL | re.IGNORECASE)
# MIDI in (-M, -F, --midi-device, -+rtmidi) or out (-Q). Audio input (-iadc, often left in the
# manual's options) counts only when the orchestra reads it: the input opcodes are in the list.
_DEVICE_FLAGS = re.compile(r"(?:^|\s)(?:-M|-F|-Q|--midi-device|--midifile|-\+rtmidi)")
_ORCHESTRA = re.compile(r"<CsInstruments>(.*?)</CsInstruments>", re.DOTALL | re.IGNORECASE)
_FILE_NAME = re.compile(r'"([^"\n]*\.[A-Za-z0-9]{2,5})"')
_WORD = re.compile(r"(?<![\w$.])[A-Za-z_]\w*")
_DEVICE_CATEGORIES = ("FLTK", "Serial I/O", "Real-time MIDI:Input", "Real-time MIDI:Generic I/O")
_DEVICE_OPCODES = {
    "in", "ins", "inq", "inh", "ino", "inx", "inz", "inch", "inrg", "sensekey", "joystick",
    "xyin", "OSClisten", "OSCraw", "sockrecv", "sockrecvs", "strecv", "wiiconnect", "p5gconnect",
    "midiin", "remoteport", "websocket", "hidraw",
}
_MISSING_AT_RENDER = re.compile(
    r"could not open|cannot open|couldn't open|not found|No such file|failed to open", re.I
)


def device_opcodes() -> set[str]:
    kb = load_knowledge_base()
    found = {n for n, op in kb.opcodes.items() if op.category.startswith(_DEVICE_CATEGORIES)}
    return found | _DEVICE_OPCODES


def needs(text: str, folder: Path, devices: set[str]) -> str | None:
    """"input files" or "devices" when the example needs what a sandboxed render lacks."""
    opts = _OPTIONS.search(text)
    if opts and _DEVICE_FLAGS.search(re.sub(r";[^\n]*", "", opts.group(1))):
        return "devices"
    orc = _ORCHESTRA.search(text)
    code = blank_code(orc.group(1) if orc else text)
    if any(m.group(0) in devices for m in _WORD.finditer(code)):
        return "devices"
    for m in _FILE_NAME.finditer(text):
        name = m.group(1).strip()
        if "%" in name or name.startswith(("http:", "https:")):
            continue  # a format string or a URL, not an input file name
        if not (folder / name).is_file() and not Path(name).is_file():
            return "input files"
    return None


async def compiles(path: Path) -> bool:
    result = await run_check(path.read_text(encoding="utf-8", errors="replace"), path)
    return result.returncode == 0 and not result.timed_out


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "n/a"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0, help="audio cap per example")
    ap.add_argument("--timeout", type=float, default=60.0, help="wall-clock cap per example")
    ap.add_argument("--limit", type=int, default=0, help="only the first N examples (testing)")
    args = ap.parse_args()
    examples = sorted(MANUAL_EXAMPLES.glob("*.csd"))
    if args.limit:
        examples = examples[: args.limit]
    devices = device_opcodes()
    counts: Counter[str] = Counter()
    silent: list[str] = []
    failed: list[tuple[str, str]] = []
    refused: Counter[str] = Counter()
    walls: list[float] = []
    t0 = time.perf_counter()
    for path in examples:
        text = path.read_text(encoding="utf-8", errors="replace")
        if not asyncio.run(compiles(path)):
            counts["not compiling"] += 1
            continue
        counts["compiling"] += 1
        need = needs(text, path.parent, devices)
        if need:
            counts[f"needs {need}"] += 1
            continue
        result = render(path, args.seconds, timeout=args.timeout)
        walls.append(result.wall_seconds)
        if result.refused is not None:
            counts["refused"] += 1
            refused[result.refused.name] += 1
            continue
        if not result.ok and not result.timed_out and _MISSING_AT_RENDER.search(result.output):
            counts["needs input files (seen at render)"] += 1
            continue
        counts["eligible"] += 1
        if result.timed_out:
            counts["timed out"] += 1
            failed.append((path.name, "timed out"))
        elif not result.ok:
            counts["failed"] += 1
            failed.append((path.name, (result.error or "")[:110]))
        else:
            counts["rendered"] += 1
            counts["audible"] += result.audible
            counts["capped"] += result.capped
            stats = result.stats
            assert stats is not None
            counts["empty"] += stats.frames == 0
            counts["nan"] += bool(stats.nonfinite)
            counts["clipping"] += any(c.clipped for c in stats.channels)
            if not result.audible:
                silent.append(path.name)
        print(f"{path.name}: {'audible' if result.audible else result.error or 'silent'}",
              file=sys.stderr, flush=True)
    total = time.perf_counter() - t0
    # Refused files compile and need nothing missing: they count against the share.
    eligible = counts["eligible"] + counts["refused"]
    lines = [
        "## Audio (render the manual's examples)",
        "",
        f"Every manual example (`{MANUAL_EXAMPLES}`, {len(examples)} CSDs) through the sandboxed "
        f"render with a {args.seconds:g} s audio cap ({args.timeout:g} s wall-clock), one at a "
        "time. Audible: some channel's RMS above −60 dBFS and no NaN.",
        "",
        "| measure | count | share |",
        "|---|---|---|",
        f"| compile (`--syntax-check-only`) | {counts['compiling']} | – |",
        f"| need input files that are not there | {counts['needs input files']} "
        f"(+{counts['needs input files (seen at render)']} seen at render) | – |",
        f"| need devices (live audio/MIDI input, GUI, serial, network input) | "
        f"{counts['needs devices']} | – |",
        f"| **eligible** (compile, need neither) | {eligible} | 100 % |",
        f"| refused by the sandbox (runs programs, writes files, …) | {counts['refused']} | "
        f"{pct(counts['refused'], eligible)} |",
        f"| render | {counts['rendered']} | {pct(counts['rendered'], eligible)} |",
        f"| **render and are audible** | **{counts['audible']}** | "
        f"**{pct(counts['audible'], eligible)}** |",
        f"| render but silent or NaN | {len(silent)} | {pct(len(silent), eligible)} |",
        f"| … of which a 0 s score (examples that only print) | {counts['empty']} | "
        f"{pct(counts['empty'], eligible)} |",
        f"| with NaN samples | {counts['nan']} | {pct(counts['nan'], eligible)} |",
        f"| clipping (samples at or past 0 dBFS) | {counts['clipping']} | "
        f"{pct(counts['clipping'], eligible)} |",
        f"| cut at the {args.seconds:g} s cap | {counts['capped']} | "
        f"{pct(counts['capped'], eligible)} |",
        f"| fail | {counts['failed']} | {pct(counts['failed'], eligible)} |",
        f"| time out | {counts['timed out']} | {pct(counts['timed out'], eligible)} |",
        "",
    ]
    if walls:
        walls.sort()
        p95 = walls[min(len(walls) - 1, int(0.95 * len(walls)))]
        lines.append(
            f"Render wall time per example: median {statistics.median(walls):.2f} s, p95 "
            f"{p95:.2f} s, max {walls[-1]:.2f} s; whole run {total:.0f} s (checks included)."
        )
        lines.append("")
    if refused:
        lines.append("Refused for: " + ", ".join(f"`{n}` ×{c}" for n, c in refused.most_common()))
        lines.append("")
    if silent:
        lines.append(f"Silent or NaN ({len(silent)}): " + ", ".join(silent[:40])
                     + (" …" if len(silent) > 40 else ""))
        lines.append("")
    if failed:
        lines.append("| failed example | why |")
        lines.append("|---|---|")
        lines += [f"| {n} | {why.replace('|', '/')} |" for n, why in failed[:25]]
        if len(failed) > 25:
            lines.append(f"| … {len(failed) - 25} more | |")
    print("\n".join(lines).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
