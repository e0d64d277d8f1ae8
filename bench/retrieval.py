"""Retrieval benchmark: quality on the manual, latency, build time, embedding throughput.

Prints a markdown section. Quality: for each opcode page of the manual with an example, the query is
the first sentence of the page's *Description* and the relevant results are the example files the
page links; a result list counts files (a chunk stands for its file). Reported for BM25 alone,
each dense embedder alone, and hybrid (RRF). The MiniLM index is cached in the user cache dir and
updated incrementally, so a second run embeds nothing.

    .venv/bin/python bench/retrieval.py [--manual DIR] [--limit N] [--no-minilm]
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from csound_assist.config import Config
from csound_assist.paths import cache_dir
from csound_assist.retrieval import EmbedderError, HashingEmbedder, Index, MiniLMEmbedder
from csound_assist.retrieval.chunking import chunk_file
from csound_assist.retrieval.corpus import iter_sources, normalise
from csound_assist.retrieval.embedders import OllamaEmbedder, ollama_reachable
from csound_assist.retrieval.enrich import Enricher
from csound_assist.retrieval.keyword import BACKENDS, KeywordIndex

DEFAULT_MANUAL = Path("/usr/share/doc/csound-doc/html")
SMOKE_QUERY = "resonant lowpass filter sweep"


# -- the query set ------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects a manual page's "up" link, its Description paragraphs and its example links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.up = ""
        self.examples: list[str] = []
        self.description: list[str] = []
        self._section = ""
        self._in_h2 = False
        self._in_p = 0
        self._h2 = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "up":
            self.up = a.get("href") or ""
        elif tag == "h2":
            self._in_h2, self._h2 = True, ""
        elif tag == "p" and self._section == "Description":
            self._in_p += 1
            self.description.append("")
        elif tag == "a":
            href = a.get("href") or ""
            if href.startswith("examples/") and href.endswith((".csd", ".orc", ".sco")):
                self.examples.append(href.split("/", 1)[1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
            self._section = self._h2.strip()
        elif tag == "p" and self._in_p:
            self._in_p -= 1

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self._h2 += data
        elif self._in_p and self._section == "Description":
            self.description[-1] += data


_PLUGIN_NOTE = re.compile(r"Plugin opcode in \S+")
_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z(\"']|\s*$)", re.S)


def first_sentence(text: str) -> str:
    text = " ".join(html.unescape(text).split())
    match = _SENTENCE.match(text)
    return (match.group(1) if match else text).strip()


def manual_queries(manual: Path) -> list[tuple[str, str, set[str]]]:
    """(opcode, query, relevant example paths) for every opcode page with an example."""
    out = []
    examples = manual / "examples"
    for page in sorted(manual.glob("*.html")):
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        if parser.up != "OpcodesTop.html" or not parser.examples:
            continue
        # A plugin opcode's Description opens with a note ("Plugin opcode in <library>. …"): the
        # description proper is the paragraph after it.
        paragraphs = [
            p for p in parser.description if p.strip() and not _PLUGIN_NOTE.match(p.strip())
        ]
        if not paragraphs:
            continue
        query = first_sentence(paragraphs[0])
        relevant = {
            str(normalise(examples / e)) for e in parser.examples if (examples / e).exists()
        }
        if query and relevant:
            out.append((page.stem, query, relevant))
    return out


# -- metrics ------------------------------------------------------------------------------------


def files_of(results) -> list[str]:
    seen: dict[str, None] = {}
    for r in results:
        seen.setdefault(r.chunk.path, None)
    return list(seen)


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def hit_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return float(bool(relevant.intersection(ranked[:k])))


def mrr_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    for i, path in enumerate(ranked[:k], 1):
        if path in relevant:
            return 1 / i
    return 0.0


def evaluate(search: Callable[[str], list], queries) -> dict[str, float]:
    r5, h5, mrr = [], [], []
    for _, query, relevant in queries:
        ranked = files_of(search(query))
        r5.append(recall_at(ranked, relevant, 5))
        h5.append(hit_at(ranked, relevant, 5))
        mrr.append(mrr_at(ranked, relevant, 10))
    return {
        "recall@5": statistics.fmean(r5),
        "hit@5": statistics.fmean(h5),
        "mrr@10": statistics.fmean(mrr),
    }


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95))


class _QueryCache:
    """Wraps an embedder so query vectors are computed once (latency excludes embedding)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.similarity_cap = getattr(inner, "similarity_cap", None)
        self.cache: dict[str, np.ndarray] = {}

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.cache:
            self.cache[text] = self.inner.embed_query(text)
        return self.cache[text]


# -- the run ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manual", type=Path, default=DEFAULT_MANUAL)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N queries")
    ap.add_argument("--no-minilm", action="store_true", help="skip the MiniLM embedder")
    args = ap.parse_args(argv)
    examples = args.manual / "examples"
    out: list[str] = ["## Retrieval", ""]
    if not examples.is_dir():
        out.append(f"Skipped: no Csound manual examples at {examples}.")
        print("\n".join(out))
        return 0
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    queries = manual_queries(args.manual)
    if args.limit:
        queries = queries[: args.limit]
    files = list(iter_sources(examples))
    out += [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Corpus: {len(files)} files from the Csound manual's "
        f"examples. Queries: {len(queries)} opcode pages (query = first sentence of the page's "
        'Description, skipping the "Plugin opcode in <library>" note that opens plugin '
        "opcodes' pages; relevant = the example files the page links). Results are counted per "
        "file; recall@5 = share of an opcode's example files in the top 5, hit@5 = share of "
        "queries with at least one in the top 5. Hybrid = RRF (k = 60, equal weights) of BM25, "
        "dense and opcode routing (BM25 over the manual's one-line opcode summaries → the "
        "chunks that feature those opcodes); min_similarity 0 (ranking quality) unless a row "
        "says otherwise.",
        "",
    ]

    # Chunking + BM25 build time, both BM25 backends.
    enricher = Enricher()
    enricher.summaries("oscili")  # load the knowledge base outside the timing
    t0 = time.perf_counter()
    chunks = []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        chunks.extend(enricher.enrich(c) for c in chunk_file(str(normalise(path)), text))
    chunk_s = time.perf_counter() - t0
    texts = [c.indexed_text for c in chunks]
    log(f"chunked {len(files)} files into {len(chunks)} chunks in {chunk_s:.1f}s")
    bm25_rows = []
    # rank-bm25 scores in Python: time both backends on the same ~300-query sample.
    timing_queries = queries[:: max(1, len(queries) // 300)]
    for backend in BACKENDS:
        t0 = time.perf_counter()
        kw = KeywordIndex.build(texts, backend)
        build_s = time.perf_counter() - t0
        times = []
        for _, query, _ in timing_queries:
            t0 = time.perf_counter()
            kw.search(query, 50)
            times.append((time.perf_counter() - t0) * 1000)
        bm25_rows.append((backend, build_s, statistics.median(times), p95(times)))

    root = cache_dir() / "bench-retrieval"
    indexes: dict[str, Index] = {}
    embed_rows = []
    embedders = [HashingEmbedder()]
    if not args.no_minilm:
        embedders.append(
            MiniLMEmbedder(verify_cache=cache_dir() / "retrieval" / "minilm-verified.json")
        )
    ollama_note = "Ollama `nomic-embed-text`: not measured — no Ollama server is reachable here."
    if ollama_reachable("http://127.0.0.1:11434"):
        embedders.append(OllamaEmbedder())
        ollama_note = ""
    for emb in embedders:
        cached = _QueryCache(emb)
        index = Index(
            root / emb.name.replace(":", "-"),
            cached,
            min_similarity=0.0,
            enricher=enricher,
            sources=[examples],
        )
        log(f"indexing with {emb.name} …")
        try:
            report = index.update()
        except EmbedderError as exc:
            out += [f"{emb.name}: not measured ({exc}).", ""]
            index.close()
            continue
        log(report.summary())
        indexes[emb.name] = index
        sample = texts[:256]
        t0 = time.perf_counter()
        emb.embed_documents(sample)
        dt = time.perf_counter() - t0
        embed_rows.append((emb.name, len(sample) / dt, report))

    quality = []
    similarity_note = ""
    first = next(iter(indexes.values()))
    quality.append(
        ("BM25 (bm25s)", evaluate(lambda q: first.search(q, 10, mode="keyword"), queries))
    )
    quality.append(
        ("opcode routing", evaluate(lambda q: first.search(q, 10, mode="opcode"), queries))
    )
    for name, index in indexes.items():
        quality.append(
            (f"dense {name}", evaluate(lambda q, i=index: i.search(q, 10, mode="dense"), queries))
        )
        quality.append(
            (f"hybrid BM25 + {name}", evaluate(lambda q, i=index: i.search(q, 10), queries))
        )
        if name == "all-minilm-l6-v2":
            # The configured default, as `Index` applies it (capped by the embedder).
            configured = Config().rag.min_similarity
            index.min_similarity = configured
            floor = index.effective_min_similarity
            quality.append(
                (
                    f"hybrid BM25 + {name}, min_similarity {configured} (effective {floor})",
                    evaluate(lambda q, i=index: i.search(q, 10), queries),
                )
            )
            quality.append(
                (
                    f"hybrid BM25 + {name}, min_similarity {configured} uncapped",
                    evaluate(
                        lambda q, i=index, f=configured: i.search(q, 10, min_similarity=f), queries
                    ),
                )
            )
            index.min_similarity = 0.0
            top = [
                r[0].similarity for _, q, _ in queries if (r := index.search(q, 1, mode="dense"))
            ]
            similarity_note = (
                "MiniLM cosine of the best dense hit per query: "
                f"median {statistics.median(top):.2f}, "
                f"10th percentile {np.percentile(top, 10):.2f}, "
                f"90th {np.percentile(top, 90):.2f}."
            )
        log(f"evaluated {name}")

    # Query latency at manual scale, query embedding excluded (vectors cached above).
    latency = []
    for name, index in indexes.items():
        for mode in ("keyword", "dense", "opcode", "hybrid"):
            times = []
            for _, query, _ in queries:
                t0 = time.perf_counter()
                index.search(query, 5, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            latency.append((name, mode, statistics.median(times), p95(times)))

    out += [
        "### Quality (manual opcode pages)",
        "",
        "| method | recall@5 | hit@5 | MRR@10 |",
        "|---|---|---|---|",
    ]
    for name, m in quality:
        out.append(f"| {name} | {m['recall@5']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} |")
    if similarity_note:
        out += ["", similarity_note]
    if ollama_note:
        out += ["", ollama_note]
    out += [
        "",
        "### Build",
        "",
        f"Chunking + enrichment of {len(files)} files into {len(chunks)} chunks: {chunk_s:.2f} s.",
        "",
        f"BM25 query timings over {len(timing_queries)} queries, top 50.",
        "",
        "| BM25 backend | build (s) | query p50 (ms) | query p95 (ms) |",
        "|---|---|---|---|",
    ]
    for backend, build_s, p50, q95 in bm25_rows:
        out.append(f"| {backend} | {build_s:.2f} | {p50:.2f} | {q95:.2f} |")
    out += [
        "",
        "| embedder | throughput (chunks/s, 256-chunk sample) | last index update |",
        "|---|---|---|",
    ]
    for name, rate, report in embed_rows:
        out.append(f"| {name} | {rate:.1f} | {report.summary()} |")
    out += [
        "",
        "### Query latency (hybrid = BM25 + dense + opcode routing + RRF; query embedding "
        "excluded; local mode's dense search is one matrix product over vectors loaded from "
        "Qdrant at open)",
        "",
        "| embedder | mode | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|",
    ]
    for name, mode, p50, q95 in latency:
        out.append(f"| {name} | {mode} | {p50:.2f} | {q95:.2f} |")

    best = indexes.get("all-minilm-l6-v2") or first
    top = best.search(SMOKE_QUERY, 5)
    out += ["", f'### `csound-assist search "{SMOKE_QUERY}"` ({best.embedder.name}, hybrid)', ""]
    for i, r in enumerate(top, 1):
        out.append(
            f"{i}. `{Path(r.chunk.path).name}` {r.chunk.kind} {r.chunk.name} "
            f"(opcodes: {', '.join(r.chunk.opcodes[:6])})"
        )
    for index in indexes.values():
        index.close()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
