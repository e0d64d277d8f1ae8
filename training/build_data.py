"""`build-data`: compiler-verified instruction pairs from the Csound manual and corpus directories.

Pipeline: read sources → keep files whose orchestra compiles → draft pairs in six categories →
compile every code answer (and every planted bug, which must fail) → drop exact and near
duplicates →
split by source file → write ChatML/ShareGPT JSONL, a `datasets` DatasetDict and a stats report.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from training.compiler import Checker
from training.config import QWEN_FIM, RunConfig
from training.dedup import near_duplicates
from training.formats import fim_prompt, to_sharegpt
from training.mutations import plant
from training.sources import (
    STANDARD_HEADER,
    ExampleFile,
    OpcodeDoc,
    block_name,
    csd_sections,
    globals_only,
    make_csd,
    orchestra_blocks,
    read_examples,
    read_opcode_docs,
    strip_comments,
)

FENCE = "```"


@dataclass
class Draft:
    """A candidate pair: kept when every `must_compile` CSD passes and `must_fail` fails."""

    category: str
    source: str
    user: str
    answer: str
    kind: str = ""
    must_compile: list[str] = field(default_factory=list)
    must_fail: str | None = None
    fim: tuple[str, str, str] | None = None  # prefix, suffix, middle
    needs_message: bool = False  # the user text has a {message} slot for the compiler's words
    # Orchestra code that goes before the answer's code to compile it (used by `eval` to check
    # generated answers the same way the reference was checked).
    context: str = ""


def _code(text: str) -> str:
    return f"{FENCE}csound\n{text.strip()}\n{FENCE}"


def _opcodes_in(code: str, known: dict[str, OpcodeDoc]) -> list[OpcodeDoc]:
    seen: dict[str, OpcodeDoc] = {}
    for tok in re.findall(r"[A-Za-z_]\w*", strip_comments(code)):
        if tok in known and tok not in seen and tok not in {"instr", "endin", "opcode", "endop"}:
            seen[tok] = known[tok]
    return list(seen.values())


def _describe(doc: OpcodeDoc) -> str:
    return doc.summary.rstrip(".") if doc.summary else "a Csound opcode"


def _comments(block: str) -> list[str]:
    out = []
    for line in block.splitlines():
        if ";" in line:
            c = line.split(";", 1)[1].strip(" ;")
            if len(c) > 12 and not c.lower().startswith(("uncomment", "select audio")):
                out.append(c)
    return out[:4]


class Drafter:
    """Turns one source into draft pairs. Randomness is seeded per source so output is stable."""

    def __init__(self, cfg: RunConfig, docs: list[OpcodeDoc]) -> None:
        self.cfg = cfg
        self.known = {d.name: d for d in docs}
        self.opcodes = set(self.known)
        # How many manual examples use each opcode: the rarest one in a block is its subject.
        self.usage: Counter[str] = Counter()

    def count_usage(self, files: list[ExampleFile]) -> None:
        for ex in files:
            self.usage.update({d.name for d in _opcodes_in(ex.text, self.known)})

    def _rng(self, source: str) -> random.Random:
        seed = int(hashlib.sha256(f"{self.cfg.data.seed}:{source}".encode()).hexdigest()[:12], 16)
        return random.Random(seed)

    # -- opcode pages: explanation pairs, no code to compile --------------------------------
    def from_doc(self, doc: OpcodeDoc) -> list[Draft]:
        source = f"manual:{Path(doc.example).name}" if doc.example else f"page:{doc.name}"
        rng = self._rng("doc:" + doc.name)
        out: list[Draft] = []
        if doc.syntax:
            syntax = "\n".join(doc.syntax)
            ask = rng.choice(
                [
                    f"What is the syntax of the Csound opcode `{doc.name}`?",
                    f"How do I call `{doc.name}` in Csound?",
                    f"Show the signature of `{doc.name}`.",
                ]
            )
            out.append(
                Draft(
                    "explain",
                    source,
                    ask,
                    f"`{doc.name}` — {_describe(doc)}.\n\n{_code(syntax)}",
                    kind="syntax",
                )
            )
        if doc.description:
            params = "".join(f"\n- `{k}`: {v}" for k, v in list(doc.params.items())[:8])
            text = f"`{doc.name}`: {_describe(doc)}.\n\n{doc.description}"
            if params:
                text += "\n\nParameters:" + params
            out.append(
                Draft(
                    "explain",
                    source,
                    rng.choice(
                        [
                            f"What does the `{doc.name}` opcode do?",
                            f"Explain the Csound opcode {doc.name}.",
                        ]
                    ),
                    text,
                    kind="opcode",
                )
            )
        return out

    # -- example files ----------------------------------------------------------------------
    def from_file(self, ex: ExampleFile) -> list[Draft]:
        sections = csd_sections(ex.text)
        if sections is None:
            return []
        orchestra, score = sections["orchestra"], sections["score"]
        header, blocks = orchestra_blocks(orchestra)
        instrs = [b for b in blocks if b.lstrip().startswith("instr")]
        if not instrs or len(orchestra.splitlines()) > 200:
            return []
        rng = self._rng(ex.source)
        glob = globals_only(header) or STANDARD_HEADER.strip()
        udos = "\n\n".join(b for b in blocks if b.lstrip().startswith("opcode"))
        prelude = glob + ("\n\n" + udos if udos else "")
        full = make_csd(orchestra, score)
        topic = ex.opcode
        out: list[Draft] = []
        what = f"`{topic.name}` ({_describe(topic).lower()})" if topic else None

        # Full CSD generation.
        if what and len(full) < 4000:
            ask = rng.choice(
                [
                    f"Write a complete Csound CSD file that demonstrates {what}.",
                    f"Give me a runnable .csd example using {what}.",
                ]
            )
            out.append(Draft("csd", ex.source, ask, _code(full), must_compile=[full]))

        # Score generation for the file's own orchestra.
        if re.search(r"^\s*i\s*[\d\"]", score, re.M) and len(orchestra) < 3000:
            body = strip_comments(orchestra)
            ask = "Write a Csound score that plays this orchestra:\n" + _code(body)
            out.append(
                Draft(
                    "score",
                    ex.source,
                    ask,
                    _code(score),
                    must_compile=[make_csd(body, score)],
                    context=body,
                )
            )

        for block in instrs[:2]:
            harness = make_csd(prelude + "\n\n" + block)
            used = _opcodes_in(block, self.known)
            name = block_name(block)
            answer_code = prelude + "\n\n" + block
            # Instrument generation.
            if used:
                focus = (
                    topic
                    if topic and topic in used
                    else min(used, key=lambda d: self.usage[d.name])
                )
                extras = [d.name for d in used if d is not focus][:3]
                ask = rng.choice(
                    [
                        f"Write a Csound instrument that uses `{focus.name}` "
                        f"({_describe(focus).lower()}).",
                        f"Create a Csound instrument built around {focus.name}.",
                        f"I need a Csound instr using {focus.name}"
                        + (f" together with {', '.join(extras)}." if extras else "."),
                    ]
                )
                out.append(
                    Draft("instrument", ex.source, ask, _code(answer_code), must_compile=[harness])
                )
            # Code explanation.
            if used:
                lines = [f"This is instrument {name}. It"]
                lines[0] += " uses these opcodes:"
                for d in used[:8]:
                    lines.append(f"- `{d.name}` — {_describe(d)}.")
                notes = _comments(block)
                if notes:
                    lines.append("\nThe code's own comments say: " + "; ".join(notes) + ".")
                outs = sorted(set(re.findall(r"\b(outs|out|outch|outc|outq|fout)\b", block)))
                if outs:
                    lines.append(f"\nIts sound leaves through `{'`, `'.join(outs)}`.")
                ask = rng.choice(
                    ["Explain what this Csound code does:\n", "What does this instrument do?\n"]
                ) + _code(block)
                out.append(Draft("explain", ex.source, ask, "\n".join(lines), kind="code"))
            # Chat-form completion: the first part of the instrument → the rest.
            body = block.splitlines()
            if len(body) >= 5:
                cut = max(2, len(body) // 2)
                head, rest = "\n".join(body[:cut]), "\n".join(body[cut:])
                ask = "Complete this Csound instrument:\n" + _code(head)
                out.append(
                    Draft(
                        "complete",
                        ex.source,
                        ask,
                        _code(rest),
                        kind="chat",
                        must_compile=[harness],
                        context=prelude + "\n\n" + head,
                    )
                )
            # Bug fixes from planted errors.
            for m in plant(block, rng, self.opcodes, self.cfg.data.mutations_per_file):
                broken = make_csd(prelude + "\n\n" + m.broken)
                ask = (
                    "This Csound code does not compile. csound says:\n"
                    f"{FENCE}\n{{message}}\n{FENCE}\n{_code(broken)}\nFix it."
                )
                answer = f"{m.explanation}\n\nThe corrected instrument:\n{_code(block)}"
                out.append(
                    Draft(
                        "bugfix",
                        ex.source,
                        ask,
                        answer,
                        kind=m.kind,
                        must_compile=[harness],
                        must_fail=broken,
                        needs_message=True,
                        context=prelude,
                    )
                )
        out.extend(self._fim(ex.source, full, orchestra, rng))
        return out

    def _fim(self, source: str, full: str, orchestra: str, rng: random.Random) -> list[Draft]:
        """Fill-in-the-middle: hide 1–3 orchestra lines; the context is the file around them."""
        lines = full.splitlines()
        start = lines.index("<CsInstruments>") + 1
        end = lines.index("</CsInstruments>")
        cands = [
            i
            for i in range(start, end)
            if lines[i].strip()
            and not lines[i].strip().startswith(";")
            and lines[i].split()[0] not in {"instr", "endin", "opcode", "endop"}
        ]
        out: list[Draft] = []
        rng.shuffle(cands)
        for i in cands[: self.cfg.data.fim_per_file]:
            n = rng.choice([1, 1, 2, 3])
            j = min(i + n, end)
            prefix = "\n".join(lines[max(0, i - 40) : i]) + "\n"
            middle = "\n".join(lines[i:j]) + "\n"
            suffix = "\n".join(lines[j : j + 20])
            ask = (
                "Fill in the code at <FILL> in this Csound file. "
                "Answer with the missing lines only.\n" + _code(prefix + "<FILL>\n" + suffix)
            )
            out.append(
                Draft(
                    "complete",
                    source,
                    ask,
                    _code(middle),
                    kind="fim",
                    must_compile=[full],
                    fim=(prefix, suffix, middle),
                )
            )
        return out


def split_of(source: str, eval_fraction: float, seed: int) -> str:
    h = int(hashlib.sha256(f"{seed}:{source}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "eval" if h < eval_fraction else "train"


def _row(d: Draft, system: str, split: str) -> dict[str, Any]:
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": d.user},
        {"role": "assistant", "content": d.answer},
    ]
    prefix, suffix, middle = d.fim or ("", "", "")
    uid = hashlib.sha256((d.category + d.user + d.answer).encode()).hexdigest()[:16]
    return {
        "id": uid,
        "category": d.category,
        "kind": d.kind,
        "source": d.source,
        "split": split,
        "messages": messages,
        "fim_prefix": prefix,
        "fim_suffix": suffix,
        "fim_middle": middle,
        # Qwen2.5-Coder's FIM form, written as the issue asks (models with other tokens re-render).
        "text": fim_prompt(prefix, suffix, QWEN_FIM) + middle if d.fim else "",
        "verified": bool(d.must_compile or d.must_fail),
        "context": d.context,
    }


def verify(drafts: list[Draft], checker: Checker) -> tuple[list[Draft], Counter[str]]:
    """Keep drafts whose code compiles and whose planted bugs really fail; fill real messages."""
    csds = sorted(
        {c for d in drafts for c in d.must_compile} | {d.must_fail for d in drafts if d.must_fail}
    )
    results = dict(zip(csds, checker.check_many(csds), strict=True))
    kept, rejected = [], Counter()
    for d in drafts:
        if not all(results[c].ok for c in d.must_compile):
            rejected[f"{d.category}: answer does not compile"] += 1
            continue
        if d.must_fail is not None:
            res = results[d.must_fail]
            if res.ok:
                rejected[f"bugfix: planted {d.kind} still compiles"] += 1
                continue
            d.user = d.user.replace("{message}", res.message)
        kept.append(d)
    return kept, rejected


def token_lengths(rows: list[dict[str, Any]], cfg: RunConfig) -> tuple[list[int], str]:
    """Token counts with the run's tokenizer when it loads; a word count otherwise (labelled)."""
    texts = [
        r["text"] if r["fim_middle"] else "\n".join(m["content"] for m in r["messages"])
        for r in rows
    ]
    try:
        from training.modeling import load_tokenizer

        tok = load_tokenizer(cfg.model)
        return [len(tok(t)["input_ids"]) for t in texts], "tokens"
    except Exception as exc:  # stats only: never fail the build for them
        logger.warning("tokenizer unavailable for stats ({}); counting words", exc)
        return [len(t.split()) for t in texts], "words"


def _pct(values: list[int], q: float) -> int:
    if not values:
        return 0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def build(cfg: RunConfig) -> dict[str, Any]:
    dc = cfg.data
    out = Path(dc.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    manual = Path(dc.manual_dir)
    if not (manual / "examples").is_dir():
        raise FileNotFoundError(
            "data.manual_dir: expected the Csound HTML manual with an examples/ folder, "
            f"got {manual}"
        )
    docs = read_opcode_docs(manual)
    files = read_examples(manual, [Path(p) for p in dc.corpus_dirs], docs, dc.max_examples)
    drafter = Drafter(cfg, docs)
    drafter.count_usage(files)
    linked = {f.opcode.name for f in files if f.opcode}
    doc_pool = docs if dc.max_examples is None else [d for d in docs if d.name in linked]
    drafts: list[Draft] = []
    for doc in doc_pool:
        drafts.extend(drafter.from_doc(doc))
    for ex in files:
        drafts.extend(drafter.from_file(ex))
    drafts = [d for d in drafts if d.category in dc.categories]
    logger.info(
        "drafted {} pairs from {} docs and {} files", len(drafts), len(doc_pool), len(files)
    )

    checker = Checker(out / "compile-cache.jsonl", dc.csound, dc.workers, dc.check_timeout_s)
    kept, rejected = verify(drafts, checker)
    logger.info("verified: kept {}, rejected {}", len(kept), sum(rejected.values()))

    texts = [f"{d.category}\n{d.user}\n{d.answer}" for d in kept]
    dropped = near_duplicates(texts, dc.near_dup_threshold)
    unique = [d for i, d in enumerate(kept) if i not in dropped]
    rows = [
        _row(d, cfg.model.system_prompt, split_of(d.source, dc.eval_fraction, dc.seed))
        for d in unique
    ]
    splits = {s: [r for r in rows if r["split"] == s] for s in ("train", "eval")}
    leaked = {r["source"] for r in splits["train"]} & {r["source"] for r in splits["eval"]}
    assert not leaked, f"sources in both splits: {sorted(leaked)[:5]}"

    for split, items in splits.items():
        with (out / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for r in items:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        with (out / f"{split}.sharegpt.jsonl").open("w", encoding="utf-8") as fh:
            for r in items:
                fh.write(
                    json.dumps({"id": r["id"], "conversations": to_sharegpt(r["messages"])}) + "\n"
                )
    # Raw Csound for the optional continued-pre-training phase: the train split's compiling files.
    full_files = {d.must_compile[0]: d.source for d in unique if d.category == "csd"}
    raw = [
        c
        for c, src in sorted(full_files.items())
        if split_of(src, dc.eval_fraction, dc.seed) == "train"
    ]
    with (out / "pretrain.jsonl").open("w", encoding="utf-8") as fh:
        for c in raw:
            fh.write(json.dumps({"text": c}) + "\n")
    _save_dataset(out, splits)

    lengths, unit = token_lengths(rows, cfg)
    by_cat: dict[str, list[int]] = {}
    for r, n in zip(rows, lengths, strict=True):
        by_cat.setdefault(r["category"], []).append(n)
    stats = {
        "sources": {"opcode_docs": len(doc_pool), "files": len(files)},
        "drafted": len(drafts),
        "csds_checked": len(
            {c for d in drafts for c in d.must_compile}
            | {d.must_fail for d in drafts if d.must_fail}
        ),
        "compiler_runs": checker.runs,
        "rejected": dict(rejected),
        "duplicates_removed": len(dropped),
        "pairs": len(rows),
        "train": len(splits["train"]),
        "eval": len(splits["eval"]),
        "per_category": {
            c: {
                "train": sum(1 for r in splits["train"] if r["category"] == c),
                "eval": sum(1 for r in splits["eval"] if r["category"] == c),
            }
            for c in dc.categories
        },
        "bugfix_kinds": dict(Counter(r["kind"] for r in rows if r["category"] == "bugfix")),
        "length_unit": unit,
        "lengths": {
            c: {
                "mean": round(sum(v) / len(v), 1),
                "p50": _pct(v, 0.5),
                "p90": _pct(v, 0.9),
                "max": max(v),
            }
            for c, v in by_cat.items()
        },
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    (out / "stats.md").write_text(stats_markdown(stats), encoding="utf-8")
    logger.info(
        "wrote {} pairs ({} train / {} eval) to {}", len(rows), stats["train"], stats["eval"], out
    )
    return stats


def _save_dataset(out: Path, splits: dict[str, list[dict[str, Any]]]) -> None:
    try:
        from datasets import Dataset, DatasetDict
    except ImportError:
        logger.warning("`datasets` is not installed: skipped the DatasetDict (JSONL is written)")
        return
    dd = DatasetDict({s: Dataset.from_list(items) for s, items in splits.items() if items})
    dd.save_to_disk(str(out / "dataset"))


def stats_markdown(stats: dict[str, Any]) -> str:
    unit = stats["length_unit"]
    lines = [
        "# Dataset statistics",
        "",
        f"- sources: {stats['sources']['opcode_docs']} opcode pages, "
        f"{stats['sources']['files']} CSD files",
        f"- drafted {stats['drafted']}, kept {stats['pairs']} "
        f"({stats['train']} train / {stats['eval']} eval, split by source file)",
        f"- distinct CSDs compiled with `csound --syntax-check-only`: {stats['csds_checked']} "
        f"({stats['compiler_runs']} compiler runs this build, the rest cached by content hash)",
        f"- exact + near duplicates removed: {stats['duplicates_removed']}",
        "",
        f"| category | train | eval | mean {unit} | p50 | p90 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cat, n in stats["per_category"].items():
        ln = stats["lengths"].get(cat, {"mean": 0, "p50": 0, "p90": 0, "max": 0})
        lines.append(
            f"| {cat} | {n['train']} | {n['eval']} | {ln['mean']} | {ln['p50']} | "
            f"{ln['p90']} | {ln['max']} |"
        )
    lines += ["", "Bug-fix pairs by planted error:", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(stats["bugfix_kinds"].items())]
    if stats["rejected"]:
        lines += ["", "Rejected drafts:", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(stats["rejected"].items())]
    return "\n".join(lines) + "\n"
