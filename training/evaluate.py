"""`eval`: base vs fine-tuned on held-out data, through llama.cpp (the runtime that ships).

Metrics
- compile@1: one greedy answer per held-out prompt (instrument, CSD, bug fix, chat completion);
  its code, placed in the same context the reference was checked in, must pass
  `csound --syntax-check-only`.
- FIM exact match and edit similarity on held-out files: the generation is cut to as many lines as
  the hidden span (line-completion convention), whitespace-normalized, compared with the truth.
- static-check finding rate: findings per generated answer from `csound_assist.diagnostics`'
  static checks, when that module is installed.
- each model with and without retrieval, when `csound_assist.retrieval` is installed.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from loguru import logger

from training.compiler import Checker
from training.config import RunConfig
from training.formats import IM_END, chatml_prompt, extract_code, fim_prompt
from training.sources import make_csd
from training.train import load_rows

GEN_CATEGORIES = ("instrument", "csd", "bugfix", "complete")
FENCE = "```"


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def _norm(code: str) -> str:
    return "\n".join(" ".join(line.split()) for line in code.strip().splitlines() if line.strip())


def answer_csd(row: dict[str, Any], answer: str) -> str:
    """The CSD that checks an answer: the code in the context the reference compiled in."""
    code = extract_code(answer)
    if "<CsInstruments>" in code:
        return code
    if row["category"] == "score":
        return make_csd(row.get("context", ""), code)
    return make_csd((row.get("context", "") + "\n\n" + code).strip())


def fim_truncate(generated: str, reference: str) -> str:
    """Keep as many lines as the reference span has."""
    n = max(1, len(reference.rstrip("\n").splitlines()))
    return "\n".join(generated.splitlines()[:n])


def select(
    rows: list[dict[str, Any]], cfg: RunConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Round-robin over categories so each is represented; FIM cases separately."""
    rng = random.Random(cfg.eval.seed)
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fim = []
    for r in rows:
        if r.get("fim_middle"):
            fim.append(r)
        elif r["category"] in GEN_CATEGORIES:
            by_cat[r["category"]].append(r)
    for items in by_cat.values():
        rng.shuffle(items)
    rng.shuffle(fim)
    gen: list[dict[str, Any]] = []
    while len(gen) < cfg.eval.max_prompts and any(by_cat.values()):
        for cat in GEN_CATEGORIES:
            if by_cat.get(cat) and len(gen) < cfg.eval.max_prompts:
                gen.append(by_cat[cat].pop())
    return gen, fim[: cfg.eval.max_fim]


# --- optional collaborators ---------------------------------------------------------------------


def static_findings(csd: str) -> int | None:
    """Static-check findings (errors and warnings) in a CSD; None without the diagnostics module."""
    try:
        from csound_assist.diagnostics import static_checks
    except ImportError:
        return None
    try:
        return len(static_checks(csd, None))
    except Exception as exc:  # a checker failure must not sink the evaluation
        logger.debug("static check failed: {}", exc)
        return None


def retriever() -> Any | None:
    """`(query, exclude_file) -> context text` over csound_assist.retrieval's published index, or
    None when the module or a built index is missing. Chunks from the held-out file are excluded."""
    try:
        from csound_assist.config import load_config
        from csound_assist.retrieval import Index
    except ImportError:
        return None
    try:
        index = Index.open(load_config())
        if not index.stats().chunks:
            logger.warning("retrieval index is empty: run `csound-assist index` first; arm skipped")
            return None
    except Exception as exc:
        logger.warning("retrieval unavailable ({}); arm skipped", exc)
        return None

    def retrieve(query: str, exclude: str) -> str:
        hits = [r for r in index.search(query, k=6) if Path(str(r.chunk.path)).name != exclude][:2]
        return "\n\n".join(f"{FENCE}csound\n{r.chunk.text.strip()}\n{FENCE}" for r in hits)

    return retrieve


# --- generation -----------------------------------------------------------------------------------


class Generator:
    def __init__(self, gguf: Path, cfg: RunConfig) -> None:
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(gguf),
            n_ctx=cfg.eval.n_ctx,
            n_threads=cfg.eval.threads,
            seed=cfg.eval.seed,
            verbose=False,
        )
        self.cfg = cfg
        self.tokens = 0
        self.seconds = 0.0

    def _complete(self, prompt: str, max_tokens: int, stop: list[str]) -> str:
        n_prompt = len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
        budget = self.cfg.eval.n_ctx - n_prompt - 1
        if budget < 16:
            return ""
        t0 = time.monotonic()
        out = self.llm(
            prompt, max_tokens=min(max_tokens, budget), temperature=0.0, top_k=1, stop=stop
        )
        self.seconds += time.monotonic() - t0
        self.tokens += out["usage"]["completion_tokens"]
        return out["choices"][0]["text"]

    def chat(self, messages: list[dict[str, str]]) -> str:
        return self._complete(
            chatml_prompt(messages),
            self.cfg.eval.max_new_tokens,
            [IM_END, "<|endoftext|>", "<|im_start|>"],
        )

    def fim(self, prefix: str, suffix: str, max_lines: int) -> str:
        toks = self.cfg.model.fim_tokens
        stop = [IM_END, "<|endoftext|>", *toks.values()]
        return self._complete(fim_prompt(prefix, suffix, toks), 24 * max(1, max_lines), stop)


def _with_retrieval(
    messages: list[dict[str, str]], retrieve: Any, source: str
) -> list[dict[str, str]]:
    user = messages[1]["content"]
    try:
        context = retrieve(user, source.split(":", 1)[-1])
    except Exception as exc:
        logger.debug("retrieval failed: {}", exc)
        context = ""
    if not context:
        return messages
    return [
        messages[0],
        {"role": "user", "content": f"Reference material:\n{context}\n\n{user}"},
        *messages[2:],
    ]


def run_model(
    label: str,
    gguf: Path,
    gen_rows: list[dict[str, Any]],
    fim_rows: list[dict[str, Any]],
    cfg: RunConfig,
    checker: Checker,
    retrieve: Any | None,
) -> dict[str, Any]:
    logger.info("evaluating {} ({})", label, gguf.name)
    g = Generator(gguf, cfg)
    arms: dict[str, Any] = {}
    samples = []
    for arm in ["plain"] + (["retrieval"] if retrieve else []):
        answers = []
        for row in gen_rows:
            msgs = row["messages"][:2]
            if arm == "retrieval":
                msgs = _with_retrieval(msgs, retrieve, row["source"])
            answers.append(g.chat(msgs))
        csds = [answer_csd(r, a) for r, a in zip(gen_rows, answers, strict=True)]
        results = checker.check_many(csds)
        per_cat: dict[str, list[bool]] = defaultdict(list)
        for r, res in zip(gen_rows, results, strict=True):
            per_cat[r["category"]].append(res.ok)
        findings = [static_findings(c) for c in csds]
        counted = [f for f in findings if f is not None]
        arms[arm] = {
            "compile_at_1": sum(res.ok for res in results) / max(1, len(results)),
            "per_category": {c: sum(v) / len(v) for c, v in per_cat.items()},
            "static_findings_per_answer": (sum(counted) / len(counted)) if counted else None,
        }
        if arm == "plain":
            samples = [
                {
                    "id": r["id"],
                    "category": r["category"],
                    "answer": a[:1500],
                    "compiles": res.ok,
                    "message": res.message,
                }
                for r, a, res in zip(gen_rows, answers, results, strict=True)
            ]
    em, es = [], []
    fim_samples = []
    for row in fim_rows:
        ref = row["fim_middle"]
        raw = g.fim(row["fim_prefix"], row["fim_suffix"], len(ref.splitlines()))
        got = fim_truncate(raw, ref)
        em.append(_norm(got) == _norm(ref))
        es.append(edit_similarity(_norm(got), _norm(ref)))
        fim_samples.append({"id": row["id"], "reference": ref, "generated": got})
    return {
        "model": label,
        "gguf": gguf.name,
        "arms": arms,
        "fim_exact_match": sum(em) / max(1, len(em)),
        "fim_edit_similarity": sum(es) / max(1, len(es)),
        "gen_tokens_per_s": round(g.tokens / max(1e-9, g.seconds), 1),
        "samples": samples,
        "fim_samples": fim_samples,
    }


def evaluate(
    cfg: RunConfig, models: dict[str, Path] | None = None, only: list[str] | None = None
) -> dict[str, Any]:
    """Evaluate the base and tuned GGUFs. With `only`, the other models' results are re-used from
    an earlier run with the same prompts (so the base can be evaluated while training runs)."""
    from training.modeling import resolve_gguf

    out_dir = Path(cfg.eval.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = load_rows(cfg.data.output_dir, "eval")
    gen_rows, fim_rows = select(rows, cfg)
    checker = Checker(
        Path(cfg.data.output_dir) / "compile-cache.jsonl",
        cfg.data.csound,
        cfg.data.workers,
        cfg.data.check_timeout_s,
    )
    # Sanity: the references themselves must compile in the contexts the eval uses.
    ref_ok = checker.check_many([answer_csd(r, r["messages"][2]["content"]) for r in gen_rows])
    if models is None:
        models = {"base": resolve_gguf(cfg.model.gguf)} if cfg.model.gguf else {}
        meta = Path(cfg.export.output_dir) / "export.json"
        if meta.exists():
            models["tuned"] = Path(cfg.export.output_dir) / json.loads(meta.read_text())["gguf"]
        else:
            logger.warning(
                "no export found in {}: evaluating the base model only", cfg.export.output_dir
            )
    retrieve = retriever() if cfg.eval.with_retrieval else None
    selection = sorted(r["id"] for r in gen_rows + fim_rows)
    results = []
    for label, gguf in models.items():
        cached = out_dir / f"result-{label}.json"
        if only is not None and label not in only:
            old = json.loads(cached.read_text()) if cached.exists() else None
            if old and old.get("selection") == selection and old.get("gguf_path") == str(gguf):
                results.append(old["result"])
                logger.info("re-using the earlier {} result", label)
            else:
                logger.warning("{}: no earlier result for these prompts; skipped", label)
            continue
        res = run_model(label, gguf, gen_rows, fim_rows, cfg, checker, retrieve)
        payload = {"selection": selection, "gguf_path": str(gguf), "result": res}
        cached.write_text(json.dumps(payload), encoding="utf-8")
        results.append(res)
    report = {
        "prompts": len(gen_rows),
        "fim_cases": len(fim_rows),
        "prompt_categories": dict(sorted(_count(r["category"] for r in gen_rows).items())),
        "reference_compile_rate": sum(r.ok for r in ref_ok) / max(1, len(ref_ok)),
        "retrieval": retrieve is not None,
        "static_checks": static_findings(make_csd("instr 1\nendin")) is not None,
        "results": results,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    md = report_markdown(report)
    md_path = out_dir / "report.md"
    md_path.write_text(md, encoding="utf-8")
    if (Path(cfg.export.output_dir) / "export.json").exists():
        from training.export import write_model_card

        write_model_card(cfg)
    report["markdown_path"] = str(md_path)
    return report


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for x in items:
        out[x] += 1
    return dict(out)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def report_markdown(report: dict[str, Any]) -> str:
    cats = ", ".join(f"{k} {v}" for k, v in report["prompt_categories"].items())
    lines = [
        "# Evaluation",
        "",
        f"{report['prompts']} held-out prompts ({cats}); {report['fim_cases']} held-out FIM cases; "
        "greedy decoding through llama.cpp. Reference answers compile: "
        f"{_pct(report['reference_compile_rate'])}.",
        "",
        "| model | retrieval | compile@1 | FIM exact | FIM edit sim. "
        "| static findings / answer | gen tok/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for res in report["results"]:
        for arm, m in res["arms"].items():
            sf = m["static_findings_per_answer"]
            lines.append(
                f"| {res['model']} | {'yes' if arm == 'retrieval' else 'no'} "
                f"| {_pct(m['compile_at_1'])} | "
                f"{_pct(res['fim_exact_match'])} | {_pct(res['fim_edit_similarity'])} | "
                f"{'n/a' if sf is None else f'{sf:.2f}'} | {res['gen_tokens_per_s']} |"
            )
    lines += ["", "compile@1 by category:", "", "| model | " + " | ".join(GEN_CATEGORIES) + " |"]
    lines.append("|---|" + "---:|" * len(GEN_CATEGORIES))
    for res in report["results"]:
        per = res["arms"]["plain"]["per_category"]
        lines.append(
            f"| {res['model']} | " + " | ".join(_pct(per.get(c)) for c in GEN_CATEGORIES) + " |"
        )
    notes = []
    if not report["retrieval"]:
        notes.append(
            "retrieval arm skipped: no built `csound_assist.retrieval` index on this machine"
        )
    if not report["static_checks"]:
        notes.append("static findings: `csound_assist.diagnostics` static checks not installed")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"
