"""Bad-input fuzzing of the language server: mutants of real Csound files pushed through every
feature.

`mutate` makes one mutant (deleted, duplicated or inserted tokens, truncation mid-line, NUL bytes,
non-BMP characters, swapped lines); `extremes` are the pathological files (a 1 MB single line, a 5
MB
file). `drive` sends them through a started LSP client (pytest-lsp's or pygls') and counts what
matters:
requests without an answer, error responses (exceptions that escaped a handler), and whether the
server
process is still alive. Used by tests/e2e/test_lsp_fuzz.py (a few hundred mutants) and bench/fuzz.py
(`make fuzz`, ≥ 10,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from csound_assist import files
from csound_assist.lsp.server import STATS_COMMAND

_TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_]\w*|\d+(?:\.\d+)?|\S')
WEIRD = ["\x00", "🎹", "𝄞", "音", "\ufeff", "\u2028", "\r", "\t", "\\", '"', "{{", "}}", "/*", "*/",
         ";", "$", "#", "(", ")", ",", "=", "<CsScore>", "</CsInstruments>", "instr", "endin",
         "opcode", "endop", "if", "then", "endif", "#define X #", "aSig", "i", "f"]


def seed_files(manual_dir: Path, extra: Iterable[Path] = (), limit: int | None = None) -> list[str]:
    """Texts of the manual's examples (and `extra` files), sorted for reproducibility."""
    paths = sorted((manual_dir / "examples").glob("*.csd")) + list(extra)
    texts = []
    for path in paths[:limit] if limit else paths:
        try:
            texts.append(files.read_text(path))  # a seed may be any user path
        except OSError:
            continue
    return texts


def mutate(text: str, rng: random.Random) -> str:
    """One mutant: 1–4 random damaging edits."""
    for _ in range(rng.randint(1, 4)):
        text = rng.choice(_MUTATORS)(text, rng)
    return text


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


def _delete_token(text: str, rng: random.Random) -> str:
    toks = _tokens(text)
    if not toks:
        return text
    m = rng.choice(toks)
    return text[: m.start()] + text[m.end():]


def _duplicate_token(text: str, rng: random.Random) -> str:
    toks = _tokens(text)
    if not toks:
        return text
    m = rng.choice(toks)
    return text[: m.end()] + " " + m.group(0) + text[m.end():]


def _insert_token(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    toks = _tokens(text)
    new = rng.choice(WEIRD) if rng.random() < 0.6 or not toks else rng.choice(toks).group(0)
    return text[:at] + new + text[at:]


def _truncate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    if not lines:
        return text
    i = rng.randrange(len(lines))
    cut = rng.randint(0, len(lines[i]))
    return "\n".join(lines[:i] + [lines[i][:cut]])


def _nul_bytes(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + "\x00" * rng.randint(1, 8) + text[at:]


def _non_bmp(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + "".join(chr(rng.randint(0x10000, 0x10FFFF)) for _ in range(3)) + text[at:]


def _swap_lines(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


_MUTATORS = [_delete_token, _duplicate_token, _insert_token, _truncate, _nul_bytes, _non_bmp,
             _swap_lines, _delete_token, _insert_token]


def extremes(seed: str) -> Iterator[tuple[str, str]]:
    """The pathological inputs: a 1 MB single line and a 5 MB file of repeated examples."""
    yield "1MB-single-line", seed.replace("\n", " ") * (1_000_000 // max(1, len(seed)) + 1)
    yield "5MB-file", (seed + "\n") * (5_000_000 // max(1, len(seed)) + 1)


# -- hostile documents: what a file can make a checker read, run or write -----------------------


def make_scratch(folder: Path) -> dict[str, Path]:
    """Real hostile targets in `folder`: a FIFO (blocks a reader until a writer comes) and a sparse
    1 GB regular file (over any size limit, costs no disk)."""
    folder.mkdir(parents=True, exist_ok=True)
    fifo, big = folder / "pipe.inc", folder / "huge.inc"
    if not fifo.exists():
        os.mkfifo(fifo)
    with big.open("wb") as fh:
        fh.truncate(1 << 30)
    return {"fifo": fifo, "big": big}


def _hostile_pieces(scratch: dict[str, Path], rng: random.Random) -> tuple[list[str], list[str]]:
    """(orchestra lines, whole sections) that a hostile document may carry."""
    fifo, big = scratch["fifo"], scratch["big"]
    orc = [
        '#include "/dev/zero"',
        "#include |/dev/zero|",
        f'#include "{fifo}"',
        f'#include "{fifo.name}"',
        f"#include '{big}'",
        f'#include "{big.name}"',
        '#include "/dev/stdin"',
        '#include "http://127.0.0.1:9/x.orc"',
        f'#define DIR #{fifo.parent}#\n#includestr "$DIR/{fifo.name}"',
        '#define Z #/dev/zero#\n#includestr "$Z."',
        '#define M #\\#include "/dev/zero"#\n$M',
        "#define A #1+1#\n#define B #$A+$A+$A+$A#\n#define C #$B*$B*$B*$B#\ni1 = $C*$C",
        "#define R #$R#\n$R",
        '#include "' + "a/" * 200 + 'x.inc"',
        "#include",
        '#include "',
        '#includestr "$UNDEFINED/x"',
        '#includestr "$OZ"',  # OZ may come from an --omacro in a <CsOptions> section below
        'iOk system_i 1, "echo never"',
    ]
    sections = [
        "<CsOptions>\n--opcode-lib=/nonexistent/evil.so -i /dev/zero -o /dev/stdout\n</CsOptions>",
        f"<CsOptions>\n--env:INCDIR={fifo.parent} -+rtaudio=jack -M0 --omacro:X=1\n</CsOptions>",
        "<CsOptions>\n--omacro:OZ=/dev/zero\n</CsOptions>",
        "<CsOptions>\n" + "-d " * 5000 + "\n</CsOptions>",
        '<CsFileB filename="/tmp/csound-assist-fuzz-never-written">\naGVsbG8K\n</CsFileB>',
        '<CsFileB filename="../../escape.txt">\n!!! not base64 !!!\n</CsFileB>',
        '<CsFile filename="text.txt">\nwithout an end',
        '<CsSampleB filename="s.wav">\nAAAA\n</CsSampleB>',
        '<CsMidifileB filename="m.mid">\n' + "QUFB" * 10_000 + "\n</CsMidifileB>",
        '<CsScore bin="touch /tmp/csound-assist-fuzz-never-run">\ni 1 0 1\n</CsScore>',
    ]
    return orc, sections


def hostile(seed: str, scratch: dict[str, Path], rng: random.Random) -> str:
    """A seed with 1–3 hostile includes or macros in its orchestra and 0–2 hostile sections."""
    orc, sections = _hostile_pieces(scratch, rng)
    text = seed
    at = text.find("<CsInstruments>")
    lines = [rng.choice(orc) for _ in range(rng.randint(1, 3))]
    insert = "\n" + "\n".join(lines) + "\n"
    text = text[: at + 15] + insert + text[at + 15 :] if at >= 0 else insert + text
    for section in rng.sample(sections, rng.randint(0, 2)):
        end = text.rfind("</CsoundSynthesizer>")
        text = text[:end] + section + "\n" + text[end:] if end >= 0 else text + "\n" + section
    return text


async def wait_published(client: Any, uri: str, timeout: float) -> bool:
    """Whether diagnostics for `uri` (a fresh URI) arrive within `timeout` (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if uri in client.diagnostics:
            return True
        await asyncio.sleep(0.02)
    return False


async def drive_hostile(client: Any, seeds: list[str], count: int, folder: Path, *,
                        seed: int = 0, timeout: float = 20.0) -> FuzzReport:
    """`count` hostile documents, saved as if in `folder` (beside the FIFO and the huge file):
    each must get its diagnostics and its answers within `timeout`; a missing publication counts
    as a timeout."""
    rng = random.Random(seed)
    scratch = make_scratch(folder)
    report = FuzzReport()
    t0 = time.perf_counter()
    for i in range(count):
        text = hostile(rng.choice(seeds), scratch, rng)
        uri = (folder / f"hostile-{i}.csd").as_uri()
        report.documents += 1
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                                 text=text)))
        report.requests += 1
        if await wait_published(client, uri, timeout):
            report.answered += 1
        else:
            report.timeouts += 1
            if len(report.errors) < 20:
                report.errors.append(f"no diagnostics within {timeout:.0f} s for:\n{text[:400]}")
        ident = types.TextDocumentIdentifier(uri=uri)
        pos = _positions(text, rng, 1)[0]
        await _ask(report, client.text_document_hover_async(
            types.HoverParams(text_document=ident, position=pos)), timeout)
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))
    try:
        stats = await server_stats(client)
        report.failures_logged = dict(stats.get("failures", {}))
    except Exception as exc:
        report.server_exits += 1
        report.errors.append(f"server did not answer the stats command: {exc}")
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class FuzzReport:
    documents: int = 0
    requests: int = 0
    answered: int = 0
    error_responses: int = 0  # exceptions that escaped a handler (JSON-RPC errors)
    timeouts: int = 0
    server_exits: int = 0
    failures_logged: dict[str, int] = field(default_factory=dict)  # caught inside features
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _positions(text: str, rng: random.Random, count: int) -> list[types.Position]:
    lines = text.split("\n")
    out = []
    for _ in range(count):
        line = rng.randrange(len(lines) + 1)
        width = len(lines[line]) if line < len(lines) else 0
        out.append(types.Position(line=line, character=rng.randint(0, width + 3)))
    return out


async def _ask(report: FuzzReport, coro: Any, timeout: float) -> Any:
    report.requests += 1
    try:
        result = await asyncio.wait_for(coro, timeout)
    except TimeoutError:
        report.timeouts += 1
        return None
    except Exception as exc:  # an error response: something escaped a handler
        report.error_responses += 1
        if len(report.errors) < 20:
            report.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        return None
    report.answered += 1
    return result


async def check_document(client: Any, report: FuzzReport, uri: str, text: str, rng: random.Random,
                         requests: int = 4, timeout: float = 30.0) -> None:
    """Open `text`, ask every feature about it at random positions, edit it, ask again, close it."""
    report.documents += 1
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="csound-csd", version=1,
                                             text=text)))
    ident = types.TextDocumentIdentifier(uri=uri)
    calls = [
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident)),
        client.text_document_folding_range_async(types.FoldingRangeParams(text_document=ident)),
    ]
    for pos in _positions(text, rng, requests):
        calls += [
            client.text_document_hover_async(types.HoverParams(text_document=ident, position=pos)),
            client.text_document_completion_async(
                types.CompletionParams(text_document=ident, position=pos)),
            client.text_document_signature_help_async(
                types.SignatureHelpParams(text_document=ident, position=pos)),
            client.text_document_definition_async(
                types.DefinitionParams(text_document=ident, position=pos)),
            client.text_document_references_async(types.ReferenceParams(
                text_document=ident, position=pos,
                context=types.ReferenceContext(include_declaration=True))),
            client.text_document_prepare_rename_async(
                types.PrepareRenameParams(text_document=ident, position=pos)),
        ]
    await asyncio.gather(*(_ask(report, c, timeout) for c in calls))
    # An incremental edit at a random (possibly out-of-range) place, then ask again.
    a, b = _positions(text, rng, 2)
    a, b = sorted([a, b], key=lambda p: (p.line, p.character))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=a, end=b), text=rng.choice(WEIRD))]))
    pos = _positions(text, rng, 1)[0]
    await asyncio.gather(
        _ask(report, client.text_document_completion_async(
            types.CompletionParams(text_document=ident, position=pos)), timeout),
        _ask(report, client.text_document_hover_async(
            types.HoverParams(text_document=ident, position=pos)), timeout),
    )
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))


async def server_stats(client: Any, timeout: float = 30.0) -> dict[str, Any]:
    result = await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=STATS_COMMAND, arguments=[])), timeout)
    return result if isinstance(result, dict) else {}


async def drive(client: Any, seeds: list[str], mutants: int, *, seed: int = 0,
                include_extremes: bool = True, concurrency: int = 4,
                progress: Any = None) -> FuzzReport:
    """Push `mutants` mutants of `seeds` (and the extremes) through a started client."""
    rng = random.Random(seed)
    report = FuzzReport()
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int, text: str, local: random.Random) -> None:
        async with sem:
            await check_document(client, report, f"file:///fuzz/mutant-{i}.csd", text, local)
        if progress is not None and i % 500 == 0:
            progress(i, report)

    if include_extremes and seeds:
        for name, text in extremes(seeds[0]):
            await check_document(client, report, f"file:///fuzz/{name}.csd", text, rng,
                                 requests=2, timeout=120)
    batch: list[Any] = []
    for i in range(mutants):
        text = mutate(rng.choice(seeds), rng)
        batch.append(one(i, text, random.Random(rng.random())))
        if len(batch) >= 64:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)
    try:
        stats = await server_stats(client)
        report.failures_logged = dict(stats.get("failures", {}))
    except Exception as exc:
        report.server_exits += 1
        report.errors.append(f"server did not answer the stats command: {exc}")
    report.seconds = time.perf_counter() - t0
    return report
