"""Model quality: what the AI features deliver with a real model, on prompts and files written for
this benchmark (bench/data/model_quality/, held out: not from the manual, the training data or
the tests).

- generate: the first answer compiles; compiles after repair; audible@1 (the compiling CSD
  rendered offline in the sandbox, csound_assist.audio: RMS above -60 dBFS, no NaN; files with
  side effects are refused, never rendered); rounds used; time; time to the first token.
- inline completion: a cursor 3 characters into each held-out line (after its indentation);
  next-line exact match and edit similarity of the suggestion's first line (Tabby's convention),
  share of shown suggestions after which the file still compiles, TTFT p50/p95.
- explain: opcodes the answer names (in backticks) that exist, and that appear in the code.
- AI fix: planted errors of each class; share that end with a fix csound compiles.

Arms: models (qwen = the installed default, smollm2 = the test model) × retrieval arms (none,
rag, rag+repair: with retrieval and the compile/repair loop). Heavy: everything is selectable.

    python bench/model_quality.py [--models qwen,smollm2] [--arms none,rag,rag+repair]
        [--features generate,complete,explain,fix] [--generate N] [--complete N] [--explain N]
        [--fix N] [--fim-style fim|chat] [--dump FILE.json]

Prints a markdown section ("Model quality"); exits 0 (a missing model is reported, not fatal).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "model_quality"
ARMS = ("none", "rag", "rag+repair")
FEATURES = ("generate", "complete", "explain", "fix", "latency")


# -- data --------------------------------------------------------------------------------------


def prompts(n: int) -> list[str]:
    lines = (DATA / "generate.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")][:n]


def files() -> list[Path]:
    return sorted((DATA / "files").glob("*.csd"))


@dataclass(frozen=True, slots=True)
class Cut:
    file: str
    text: str
    offset: int  # the cursor
    expected: str  # the rest of the line


_SKIP_LINE = re.compile(r"^\s*(;|<|$|sr\b|ksmps\b|nchnls\b|0dbfs\b|e\s*$)")


def cuts(n: int) -> list[Cut]:
    """Cursors 3 characters into the held-out files' orchestra lines, spread over the files."""
    per_file: list[list[Cut]] = []
    for path in files():
        text = path.read_text(encoding="utf-8")
        found = []
        pos = 0
        in_orc = False
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\n")
            if "<CsInstruments>" in body:
                in_orc = True
            elif "</CsInstruments>" in body:
                in_orc = False
            indent = len(body) - len(body.lstrip())
            stripped = body.strip()
            if (in_orc and not _SKIP_LINE.match(body) and len(stripped) >= 8
                    and not stripped.startswith(("instr", "endin"))):
                at = pos + indent + 3
                # The held-out rest of the line is removed (Tabby's convention): left in place
                # it would sit right after the cursor and a correct answer would repeat it.
                held_out = text[:at] + text[pos + len(body) :]
                found.append(Cut(path.name, held_out, at, body[indent + 3 :]))
            pos += len(line)
        per_file.append(found)
    out: list[Cut] = []
    while len(out) < n and any(per_file):
        for group in per_file:
            if group and len(out) < n:
                out.append(group.pop(len(group) // 2))  # the middle of what is left
    return out


@dataclass(frozen=True, slots=True)
class Planted:
    kind: str
    file: str
    text: str


def _first(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, re.M)


def planted(n: int) -> list[Planted]:
    """Errors of four classes planted in the held-out files (each compiles before)."""
    out: list[Planted] = []
    for path in files():
        text = path.read_text(encoding="utf-8")
        # an unbalanced parenthesis: drop the first ')' of an orchestra line that has one
        m = _first(r"^([ \t]+\w.*?\([^)\n]*)\)", text)
        if m:
            broken = text[: m.end() - 1] + text[m.end() :]
            out.append(Planted("unbalanced paren", path.name, broken))
        # an undefined variable: a use of the first local assigned in the first instrument
        m = _first(r"^[ \t]+([aki]\w+)[ \t]+(?:=|\w+[ \t])", text)
        if m:
            name = m.group(1)
            later = text.find(name, m.end())
            if later > 0:
                out.append(Planted("undefined variable", path.name,
                                   text[:later] + name + "x" + text[later + len(name):]))
        # a misspelt opcode
        m = _first(r"^[ \t]+\w+[ \t]+(oscili|moogladder|pluck|linseg|expseg|vco2|noise)\b", text)
        if m:
            bad = m.group(1)[:-1] + m.group(1)[-1] * 2
            out.append(Planted("misspelt opcode", path.name,
                               text[: m.start(1)] + bad + text[m.end(1):]))
        # a missing endin
        m = _first(r"^endin\n", text)
        if m:
            out.append(Planted("missing endin", path.name, text[: m.start()] + text[m.end() :]))
    by_kind: dict[str, list[Planted]] = {}
    for p in out:
        by_kind.setdefault(p.kind, []).append(p)
    mixed: list[Planted] = []
    while len(mixed) < n and any(by_kind.values()):
        for group in by_kind.values():
            if group and len(mixed) < n:
                mixed.append(group.pop(0))
    return mixed


# -- measures ----------------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f} %)" if total else "–"


_BACKTICKED = re.compile(r"`([A-Za-z_]\w*)`")


def named_opcodes(answer: str, known: set[str]) -> tuple[list[str], list[str]]:
    """Opcodes the answer names: backticked identifiers that are opcodes, and backticked
    identifiers that look like one but are not (`oscil3x`); variables (a1, kenv) are left out."""
    names = dict.fromkeys(_BACKTICKED.findall(answer))
    real = [n for n in names if n in known]
    variable = re.compile(r"^(g?[aikfSw]|gi|ga|gk|p)\w*\d*$")
    unknown = [
        n for n in names
        if n not in known and not variable.match(n) and n.islower() and len(n) > 3
    ]  # fmt: skip
    return real, unknown


# -- the model and its service -----------------------------------------------------------------


@dataclass(slots=True)
class Model:
    key: str
    path: Path


def models(wanted: list[str]) -> tuple[list[Model], list[str]]:
    from csound_assist.model.install import installed_model
    from csound_assist.model.llama_cpp_backend import installed_gguf

    found, missing = [], []
    where = {"qwen": installed_model(), "smollm2": installed_gguf()}
    for key in wanted:
        path = where.get(key)
        if path is None:
            missing.append(key)
        else:
            found.append(Model(key, path))
    return found, missing


def service_for(model: Model, config: Any) -> Any:
    from csound_assist.model import ModelService
    from csound_assist.model.llama_cpp_backend import Deadlines, LlamaCppBackend

    backend = LlamaCppBackend(
        model.path,
        num_ctx=config.parameters.num_ctx,
        deadlines=Deadlines.from_config(config.model),
        origin=f"bench: {model.key}",
    )
    return ModelService(config, backend=backend), backend


# -- features ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    model: str
    arm: str
    values: dict[str, Any] = field(default_factory=dict)


async def bench_generate(service: Any, backend: Any, arm: str, descriptions: list[str],
                         config: Any, retriever: Any, dump: list[dict], *, max_repairs: int = 3,
                         deadline: float = float("inf")) -> dict[str, Any]:
    from csound_assist.ai.generate import generate_csd
    from csound_assist.ai.verify import check_csd
    from csound_assist.audio import render
    from csound_assist.prompts import default_cheatsheet

    first_ok = ok = audible = 0
    rounds: list[int] = []
    times: list[float] = []
    ttft: list[float] = []
    sheet = default_cheatsheet()
    done = 0
    for description in descriptions:
        if time.monotonic() > deadline:
            break  # the run's time budget is spent: report what was measured
        done += 1
        started = time.perf_counter()
        firsts: list[float] = []

        def on_round(_n: int, _feedback: str, firsts: list[float] = firsts) -> None:
            if backend.last_first_token_s is not None:
                firsts.append(backend.last_first_token_s)

        result = await generate_csd(
            service, description,
            check=lambda text: check_csd(text, config),
            retriever=retriever if arm != "none" else None,
            cheatsheet=sheet,
            max_repairs=max_repairs if arm == "rag+repair" else 0,
            on_round=on_round,
        )  # fmt: skip
        took = time.perf_counter() - started
        if backend.last_first_token_s is not None:
            firsts.append(backend.last_first_token_s)
        times.append(took)
        ttft.extend(firsts[:1])
        rounds.append(result.rounds)
        first_ok += int(result.ok and result.rounds == 1)
        ok += int(result.ok)
        heard = None
        if result.ok and result.csd:
            rendered = await asyncio.to_thread(render, result.csd, 6.0)
            heard = rendered.audible
            audible += int(heard)
        dump.append({
            "feature": "generate", "arm": arm, "description": description, "ok": result.ok,
            "rounds": result.rounds, "seconds": round(took, 1), "audible": heard,
            "error": result.error, "log": result.log, "answers": result.answers,
            "sources": [getattr(s, "title", "") for s in result.sources],
        })  # fmt: skip
        logger.info("generate [{}] {!r}: ok={} rounds={} {:.0f} s audible={}",
                    arm, description, result.ok, result.rounds, took, heard)
    n = done
    return {
        "prompts": str(n),
        "first answer compiles": share(first_ok, n),
        "compiles after repair": share(ok, n) if arm == "rag+repair" else "–",
        "audible@1": share(audible, n),
        "rounds (mean)": f"{statistics.fmean(rounds):.1f}" if rounds else "–",
        "time p50": f"{pct(times, 0.5):.0f} s",
        "first token p50": f"{pct(ttft, 0.5):.1f} s" if ttft else "–",
    }


async def _chat_style(service: Any, cut: Cut) -> str:
    """The chat-style alternative to FIM: ask the instruct model for the rest of the line."""
    from csound_assist.model import Message

    before, after = cut.text[: cut.offset], cut.text[cut.offset :]
    line_start = before.rfind("\n") + 1
    messages = [
        Message("system", "You complete Csound code. Answer with the text that continues the "
                "line at <CURSOR>, nothing else: no code fence, no explanation."),
        Message("user", f"{before[-1500:]}<CURSOR>{after[:400]}\n\nThe line so far: "
                f"`{before[line_start:]}`. Continue it."),
    ]  # fmt: skip
    sampling = service.sampling(num_predict=48, temperature=0.0)
    text = await service.chat_text(messages, sampling)
    text = text.strip("`").removeprefix("csound").lstrip("\n")
    return text.split("\n", 1)[0]


async def bench_complete(service: Any, backend: Any, arm: str, chosen: list[Cut], config: Any,
                         retriever: Any, kb: Any, style: str, dump: list[dict]) -> dict[str, Any]:
    from csound_assist.ai.complete import InlineCompleter
    from csound_assist.ai.verify import check_csd

    raw: list[str] = []

    class Recording:
        """The service as the completer sees it, keeping the model's raw text for the dump."""

        def __getattr__(self, name: str) -> Any:
            return getattr(service, name)

        async def complete(self, prompt: str, suffix: str, sampling: Any) -> Any:
            async for chunk in service.complete(prompt, suffix, sampling):
                raw.append(chunk)
                yield chunk

    completer = InlineCompleter(
        Recording(), known_opcodes=kb.opcodes if kb else None,  # type: ignore[arg-type]
        retriever=retriever if arm != "none" else None,
    )  # fmt: skip
    exact = shown = compiles = in_time = 0
    sims: list[float] = []
    ttft: list[float] = []
    for cut in chosen:
        started = time.perf_counter()
        raw.clear()
        if style == "chat":
            suggestion = await _chat_style(service, cut)
        else:
            suggestion = (await completer.complete(cut.text, cut.offset)).text
        took = time.perf_counter() - started
        in_time += int(bool(suggestion) and took <= 3.0)
        if backend.last_first_token_s is not None:
            ttft.append(backend.last_first_token_s)
        first = suggestion.split("\n", 1)[0].rstrip()
        want = cut.expected.rstrip()
        exact += int(first == want)
        sims.append(similarity(first, want))
        still = None
        if suggestion:
            shown += 1
            accepted = cut.text[: cut.offset] + suggestion.rstrip("\n") + cut.text[cut.offset :]
            still = (await check_csd(accepted, config)).ok
            compiles += int(still)
        dump.append({
            "feature": "complete", "arm": arm, "style": style, "file": cut.file,
            "line": cut.text[: cut.offset].count("\n") + 1, "expected": want,
            "suggestion": suggestion, "raw": "".join(raw), "seconds": round(took, 2),
            "first_token_s": backend.last_first_token_s, "compiles": still,
        })  # fmt: skip
    n = len(chosen)
    return {
        "exact match": share(exact, n),
        "edit similarity": f"{statistics.fmean(sims):.2f}" if sims else "–",
        "shown": share(shown, n),
        "compiles after accept": share(compiles, shown),
        "shown within 3 s": share(in_time, n),
        "TTFT p50": f"{pct(ttft, 0.5):.2f} s" if ttft else "–",
        "TTFT p95": f"{pct(ttft, 0.95):.2f} s" if ttft else "–",
    }


async def bench_explain(service: Any, arm: str, chosen: list[Path], retriever: Any, kb: Any,
                        dump: list[dict]) -> dict[str, Any]:
    from csound_assist.ai.explain import explain
    from csound_assist.prompts import default_cheatsheet

    known = set(kb.opcodes) if kb else set()
    named = exist = in_code = 0
    invented: list[str] = []
    times: list[float] = []
    for path in chosen:
        code = path.read_text(encoding="utf-8")
        started = time.perf_counter()
        answer = "".join([
            c async for c in explain(service, code, kb=kb,
                                     retriever=retriever if arm != "none" else None,
                                     cheatsheet=default_cheatsheet())
        ])  # fmt: skip
        times.append(time.perf_counter() - started)
        real, unknown = named_opcodes(answer, known)
        words = set(re.findall(r"\b\w+\b", code))
        named += len(real) + len(unknown)
        exist += len(real)
        in_code += sum(1 for n in real if n in words)
        invented += unknown
        dump.append({"feature": "explain", "arm": arm, "file": path.name, "answer": answer,
                     "opcodes": real, "not_opcodes": unknown})
    return {
        "opcodes named": str(named),
        "exist": share(exist, named),
        "appear in the code": share(in_code, named),
        "invented": ", ".join(sorted(set(invented))[:6]) or "none",
        "time p50": f"{pct(times, 0.5):.0f} s",
    }


async def bench_fix(service: Any, arm: str, chosen: list[Planted], config: Any, kb: Any,
                    dump: list[dict]) -> dict[str, Any]:
    from csound_assist.ai.fix import verified_fix
    from csound_assist.ai.verify import check_csd

    per_kind: dict[str, list[int]] = {}
    for item in chosen:
        before = await check_csd(item.text, config)
        if before.ok:
            continue  # the plant did not break it: not a case
        line = None
        errors = getattr(before, "errors", None) or []
        if errors and getattr(errors[0], "line", None) is not None:
            line = errors[0].line
        result = await verified_fix(
            service, item.text, before.message or before.feedback,
            check=lambda t: check_csd(t, config),
            line=line, kb=kb, max_repairs=3 if arm == "rag+repair" else 0,
        )  # fmt: skip
        per_kind.setdefault(item.kind, []).append(int(result.ok))
        dump.append({"feature": "fix", "arm": arm, "kind": item.kind, "file": item.file,
                     "error": before.message, "ok": result.ok, "rounds": result.rounds,
                     "replacement": result.replacement})
    return {kind: share(sum(v), len(v)) for kind, v in per_kind.items()}


async def bench_latency(model: Model, config: Any, retriever: Any) -> list[Row]:
    """Time to the first token of a request sequence a session makes (generate, generate,
    inline completion, generate), with the KV state of each request kind kept and without."""
    from csound_assist.ai.grounding import retrieve
    from csound_assist.model import Sampling
    from csound_assist.model.llama_cpp_backend import Deadlines, LlamaCppBackend
    from csound_assist.prompts import default_cheatsheet
    from csound_assist.prompts.templates import generate_messages

    sheet = default_cheatsheet()
    asks = prompts(3)
    cut = cuts(1)[0]
    rows = []
    for reuse in (False, True):
        backend = LlamaCppBackend(model.path, num_ctx=config.parameters.num_ctx,
                                  deadlines=Deadlines(first_token=900, total=900, fim=900),
                                  reuse_kv=reuse)  # fmt: skip
        await backend.preload()
        values: dict[str, Any] = {}
        sampling = Sampling.from_config(config.parameters).but(num_predict=8, temperature=0.0)
        steps = [("generate 1", asks[0]), ("generate 2", asks[1]), ("completion", None),
                 ("generate 3", asks[2])]  # fmt: skip
        for label, ask in steps:
            if ask is None:
                stream = backend.complete(cut.text[: cut.offset], cut.text[cut.offset :], sampling)
            else:
                sources = await retrieve(retriever, ask, config.rag.num_results)
                messages = generate_messages(ask, sources=sources, cheatsheet=sheet,
                                             num_ctx=config.parameters.num_ctx)
                stream = backend.chat(messages, sampling)
            async for _ in stream:
                pass
            first = backend.last_first_token_s
            values[label] = ("no token" if first is None else f"{first:.1f} s") + (
                " (restored)" if backend.last_restored else "")
        values["state kept"] = f"{backend.snapshot_bytes() / 2**20:.0f} MiB"
        rows.append(Row(model.key, "KV kept per kind" if reuse else "no reuse", values))
        await backend.aclose()
    return rows


# -- main --------------------------------------------------------------------------------------


def table(title: str, rows: list[Row]) -> list[str]:
    if not rows:
        return []
    keys = list(dict.fromkeys(k for r in rows for k in r.values))
    out = [f"### {title}\n", "| model | arm | " + " | ".join(keys) + " |",
           "|---|---|" + "---|" * len(keys)]  # fmt: skip
    for r in rows:
        out.append(f"| {r.model} | {r.arm} | " + " | ".join(str(r.values.get(k, "–")) for k in keys)
                   + " |")
    return out + [""]


async def main(args: argparse.Namespace) -> None:
    from csound_assist.ai.grounding import default_retriever, load_kb
    from csound_assist.config import load_config

    logger.remove()
    logger.add(sys.stderr, level="INFO")
    config = load_config(workspace=ROOT / "bench")  # defaults: no workspace file there
    config.parameters.num_ctx = args.num_ctx
    config.parameters.num_predict = args.num_predict
    # The editor gives up on a suggestion after model.fim_timeout (3 s); the benchmark waits, so
    # that TTFT is measured rather than cut off (how many would have been shown is in the table).
    config.model.fim_timeout = 60.0
    found, missing = models(args.models.split(","))
    arms = [a for a in args.arms.split(",") if a in ARMS]
    features = [f for f in args.features.split(",") if f in FEATURES]
    kb = load_kb()
    retriever = default_retriever(config) if any(a != "none" for a in arms) else None
    fim_retriever = default_retriever(config, mode="keyword") if retriever else None
    results: dict[str, list[Row]] = {f: [] for f in features}
    dump: list[dict] = []
    started = time.perf_counter()
    deadline = time.monotonic() + args.budget_min * 60 if args.budget_min else float("inf")
    for model in found:
        if "latency" in features:
            results["latency"] += await bench_latency(model, config, retriever)
        if features == ["latency"]:
            continue
        service, backend = service_for(model, config)
        await service.preload()
        for arm in arms:
            # Completion has no repair loop: under rag+repair it runs as with rag.
            if "complete" in features and args.complete and (arm != "rag+repair" or arms == [arm]):
                styles = ("fim", "chat") if args.fim_style == "both" else (args.fim_style,)
                for style in styles:
                    label = arm if len(styles) == 1 else f"{arm}, {style}"
                    results["complete"].append(Row(model.key, label, await bench_complete(
                        service, backend, arm, cuts(args.complete), config, fim_retriever, kb,
                        style, dump)))
            if "generate" in features and args.generate:
                results["generate"].append(Row(model.key, arm, await bench_generate(
                    service, backend, arm, prompts(args.generate), config, retriever, dump,
                    max_repairs=args.max_repairs, deadline=deadline)))
            if "explain" in features and args.explain and arm != "rag+repair":
                results["explain"].append(Row(model.key, arm, await bench_explain(
                    service, arm, files()[: args.explain], retriever, kb, dump)))
            if "fix" in features and args.fix and arm != "rag":
                results["fix"].append(Row(model.key, arm, await bench_fix(
                    service, arm, planted(args.fix), config, kb, dump)))
        await service.aclose()
    took = time.perf_counter() - started
    if args.dump:
        Path(args.dump).write_text(json.dumps(dump, indent=1), encoding="utf-8")
    print("## Model quality\n")
    print(
        "Held-out prompts and files (bench/data/model_quality/), embedded llama.cpp on this "
        f"machine, num_ctx {args.num_ctx}, num_predict {args.num_predict}, other sampling from "
        "the default configuration. Models: "
        f"{', '.join(m.key + ' (' + m.path.name + ')' for m in found) or 'none installed'}"
        + (f"; not installed: {', '.join(missing)}" if missing else "")
        + f". Arms: {', '.join(arms)}. Sizes: generate {args.generate}, completion "
        f"{args.complete} ({args.fim_style}), explain {args.explain}, fix {args.fix}. "
        f"Total {took / 60:.1f} min.\n"
    )
    print(
        "Retrieval arms: `none` = no examples; `rag` = the retrieved examples in the prompt; "
        "`rag+repair` = that plus up to 3 compile/repair rounds (generate, fix). audible@1: "
        "the CSD from the run rendered for 6 s in the sandbox, RMS above -60 dBFS, no NaN. "
        "Completion: cursor 3 characters into each held-out orchestra line; exact match and "
        "edit similarity of the suggestion's first line against the rest of the real line.\n"
    )
    titles = {"generate": "Generate", "complete": "Inline completion", "explain": "Explain",
              "fix": "AI fix (planted errors, verified by csound)",
              "latency": "Time to first token across a session (generate prompts with retrieval "
                         "and the cheat sheet; 8 tokens each)"}
    for feature in features:
        for line in table(titles[feature], results[feature]):
            print(line)
    print(
        "Reproduce: `python bench/model_quality.py --models qwen --arms rag+repair "
        "--generate 5 --complete 8 --features generate,complete` (this run: "
        f"`{' '.join(sys.argv[1:]) or 'defaults'}`)."
    )


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--models", default="qwen,smollm2")
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--features", default=",".join(FEATURES))
    p.add_argument("--generate", type=int, default=10)
    p.add_argument("--complete", type=int, default=12)
    p.add_argument("--explain", type=int, default=2)
    p.add_argument("--fix", type=int, default=8)
    p.add_argument("--fim-style", choices=("fim", "chat", "both"), default="fim",
                   help="inline completion through the FIM template, or asked chat-style")
    p.add_argument("--num-ctx", type=int, default=8192)
    p.add_argument("--max-repairs", type=int, default=3)
    p.add_argument("--num-predict", type=int, default=1024, help="tokens per answer at most")
    p.add_argument("--budget-min", type=float, default=0.0,
                   help="stop starting new generate prompts after this many minutes (0: none)")
    p.add_argument("--dump", default="", help="write every answer to this JSON file")
    return p.parse_args(argv)


if __name__ == "__main__":
    # bench/run.py passes no arguments: the sizes of a `bench/run.py model_quality` run come from
    # MODEL_QUALITY_ARGS (e.g. "--models qwen --arms rag+repair --generate 5").
    asyncio.run(main(parse(shlex.split(os.environ.get("MODEL_QUALITY_ARGS", "")) + sys.argv[1:])))
