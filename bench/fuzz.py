"""`make fuzz`: ≥ 10,000 mutants of the manual's examples through a real language server.

Prints a markdown section and exits 1 if any request went unanswered, any exception escaped a
handler, any feature logged a caught failure, or the server exited.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from csound_assist.config import load_config  # noqa: E402
from csound_assist.lsp.fuzz import FuzzReport, drive, drive_hostile, seed_files  # noqa: E402


async def run(mutants: int, seed: int, hostile: int = 0) -> tuple[FuzzReport, FuzzReport | None]:
    examples = sorted((ROOT / "examples").glob("*.csd"))
    seeds = seed_files(Path(load_config().csound.manual_dir), examples)
    if not seeds:
        raise SystemExit("no seed files: install csound-doc (manual examples) or add examples/")
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "csound_assist", "serve")
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))

    def progress(i: int, report: FuzzReport) -> None:
        print(f"fuzz: {i}/{mutants} mutants, {report.requests} requests", file=sys.stderr,
              flush=True)

    report = await drive(client, seeds, mutants, seed=seed, progress=progress)
    hostile_report = None
    if hostile:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            hostile_report = await drive_hostile(client, seeds, hostile, Path(tmp), seed=seed)
    alive = client._server is not None and client._server.returncode is None  # noqa: SLF001
    if not alive:
        report.server_exits += 1
    else:
        await client.shutdown_session()
    await client.stop()
    print(f"seeds: {len(seeds)} files", file=sys.stderr)
    return report, hostile_report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hostile", type=int, default=200,
                        help="documents with hostile includes, macros, <CsOptions>, <CsFile*>")
    args = parser.parse_args()
    report, hostile = asyncio.run(run(args.mutants, args.seed, args.hostile))
    print("## lsp fuzz\n")
    print(f"{report.documents} documents ({args.mutants} mutants of the manual's examples plus a "
          f"1 MB single line and a 5 MB file), {report.requests} requests in "
          f"{report.seconds:.0f} s.\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| requests answered | {report.answered} / {report.requests} |")
    print(f"| escaped exceptions (error responses) | {report.error_responses} |")
    print(f"| timeouts | {report.timeouts} |")
    print(f"| server exits | {report.server_exits} |")
    print(f"| failures caught inside features | {sum(report.failures_logged.values())} |")
    for err in report.errors[:10]:
        print(f"\n- `{err}`")
    bad = (report.error_responses or report.timeouts or report.server_exits
           or report.failures_logged or report.answered != report.requests)
    if hostile is not None:
        print(f"\n{hostile.documents} hostile documents (#include of /dev/zero, a FIFO, a 1 GB "
              "file, URLs; macro includes and bombs; <CsOptions> plugin/device flags; <CsFile*> "
              f"paths; score bin): diagnostics (within 20 s) and a hover for each, "
              f"{hostile.answered}/{hostile.requests} answered, {hostile.timeouts} timeouts, "
              f"{hostile.error_responses} escaped exceptions, "
              f"{sum(hostile.failures_logged.values())} failures caught inside features.")
        for err in hostile.errors[:5]:
            print(f"\n- `{err[:200]}`")
        bad = bad or (hostile.timeouts or hostile.error_responses or hostile.failures_logged
                      or hostile.answered != hostile.requests)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
