"""`python -m training <verb> --config training/recipes/<run>.yaml` — thin verbs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from loguru import logger

from training.config import ConfigError, RunConfig, load_config


def _build_data(cfg: RunConfig) -> None:
    from training.build_data import build

    stats = build(cfg)
    print(
        f"{stats['pairs']} pairs ({stats['train']} train / {stats['eval']} eval)"
        f" → {cfg.data.output_dir}"
    )


def _train(cfg: RunConfig) -> None:
    from training.train import train

    result = train(cfg)
    print(
        f"adapter → {result['adapter_dir']} ({result['steps']} steps, {result['minutes']:.1f} min)"
    )


def _export(cfg: RunConfig) -> None:
    from training.export import export

    result = export(cfg)
    print(f"{cfg.export.tag} → {result['dir']}")


def _check_base(cfg: RunConfig) -> None:
    from training.modeling import gguf_agreement

    report = gguf_agreement(cfg.model, threads=cfg.train.threads)
    out = Path(cfg.train.output_dir) / "base_check.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(
        f"{report['gguf']}: next-token agreement {report['agreement']:.1%} over "
        f"{report['positions']} positions of {report['prompts']} prompts "
        f"(last token {report['last_token_agreement']:.0%}, same tokenization "
        f"{report['same_tokenization']}/{report['prompts']}) → {out}"
    )


def _measure(cfg: RunConfig, variants: str | None = None) -> None:
    from training.throughput import DEFAULT_VARIANTS, measure, parse_variants, write_report

    try:
        chosen = parse_variants(variants) if variants else DEFAULT_VARIANTS
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    report = measure(cfg, chosen)
    name = "throughput.json" if not variants else f"throughput-{variants.replace(':', '_')}.json"
    out = write_report(report, Path(cfg.train.output_dir) / name)
    for r in report["results"]:
        print(
            f"{r['label']:<28} {r['seconds_per_step']:>7.1f} s/step {r['tokens_per_s']:>7.1f} tok/s"
        )
    print(out)


def _eval(cfg: RunConfig, only: list[str] | None = None) -> None:
    from training.evaluate import evaluate

    report = evaluate(cfg, only=only)
    print(report["markdown_path"])


VERBS: dict[str, tuple[Callable[[RunConfig], None], str]] = {
    "check-base": (_check_base, "the dequantized GGUF base vs llama.cpp: next-token agreement"),
    "measure": (
        _measure,
        "LoRA step throughput on this CPU: fp32/bf16, sequence length, checkpointing",
    ),
    "build-data": (_build_data, "build the compiler-verified dataset"),
    "train": (_train, "LoRA fine-tuning (Unsloth QLoRA on CUDA, peft LoRA fp32 on CPU)"),
    "export": (_export, "merge the LoRA, write GGUF + Modelfile + model card"),
    "eval": (_eval, "base vs tuned: compile@1, FIM match, static-check findings"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, (_, help_text) in VERBS.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument(
            "--config", required=True, help="recipe YAML, e.g. training/recipes/smoke.yaml"
        )
        p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
        if name == "measure":
            p.add_argument("--variants", help="e.g. `512,512:bf16,512:gc,1024:gc` (default: those)")
        if name == "eval":
            p.add_argument(
                "--only",
                help="comma-separated models to (re)run, e.g. `base`; others are re-used from disk",
            )
    args = parser.parse_args(argv)
    logger.remove()
    logger.add(sys.stderr, level="DEBUG" if args.verbose else "INFO")
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        parser.error(str(exc))
    try:
        if args.verb == "eval":
            _eval(cfg, args.only.split(",") if args.only else None)
        elif args.verb == "measure":
            _measure(cfg, args.variants)
        else:
            VERBS[args.verb][0](cfg)
    except (ConfigError, FileNotFoundError, RuntimeError) as exc:
        logger.error("{} failed: {}", args.verb, exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
