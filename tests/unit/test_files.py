"""The bounded reader of user files and the `#include` resolver, on real files, a real FIFO and
/dev/zero."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from csound_assist import files
from csound_assist.diagnostics import includes


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.inc"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.orc"
    path.write_bytes(b"instr 1\n\xffendin\n")
    assert files.read_bytes(path) == b"instr 1\n\xffendin\n"
    assert files.read_text(path) == "instr 1\n\ufffdendin\n"


def test_dev_zero_is_refused_from_its_stat(tmp_path: Path) -> None:
    with pytest.raises(files.UnreadableFile, match=r"^/dev/zero is a device, not a file$"):
        files.read_bytes("/dev/zero")
    assert not files.readable("/dev/zero")


def test_a_fifo_is_refused_without_blocking(fifo: Path) -> None:
    # No writer ever comes: an ordinary open() would block here forever.
    start = time.monotonic()
    with pytest.raises(files.UnreadableFile, match="is a FIFO, not a file"):
        files.read_bytes(fifo)
    assert time.monotonic() - start < 1.0


def test_a_folder_and_a_socket_are_refused(tmp_path: Path) -> None:
    import socket

    with pytest.raises(files.UnreadableFile, match="is a folder, not a file"):
        files.read_bytes(tmp_path)
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(files.UnreadableFile, match="is a socket, not a file"):
            files.read_bytes(sock_path)


def test_a_file_over_the_limit_is_refused_with_both_sizes(tmp_path: Path) -> None:
    big = tmp_path / "big.inc"
    with big.open("wb") as fh:
        fh.truncate(3_500_000)  # sparse: nothing is written
    with pytest.raises(files.UnreadableFile) as err:
        files.read_bytes(big, max_bytes=2_000_000)
    assert err.value.reason == f"{big} is 3.5 MB, over the 2.0 MB limit"
    assert len(files.read_bytes(big, max_bytes=4_000_000)) == 3_500_000


def test_a_missing_file_is_an_ordinary_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        files.read_bytes(tmp_path / "nope.orc")


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "innocent.inc"
    link.symlink_to("/dev/zero")
    with pytest.raises(files.UnreadableFile, match="is a device"):
        files.read_bytes(link)


# -- includes -----------------------------------------------------------------------------------


def test_find_includes_any_delimiter_macro_expansion_and_macro_bodies() -> None:
    text = (
        '#include "a.inc"\n'
        "  #include |b.inc| ; any delimiter\n"
        "#define DIR #/opt/udos#\n"
        '#includestr "$DIR/c.udo"\n'
        '#define M #\\#include "/dev/zero"#\n'
    )
    found = [(i.line, i.name) for i in includes.find_includes(text)]
    assert found == [(0, "a.inc"), (1, "b.inc"), (3, "/opt/udos/c.udo"), (4, "/dev/zero")]
    first = includes.find_includes(text)[1]
    assert (first.start, first.end) == (2, 18)


def test_resolve_refuses_devices_fifos_urls_and_big_files_on_their_lines(
    tmp_path: Path, fifo: Path
) -> None:
    big = tmp_path / "big.inc"
    with big.open("wb") as fh:
        fh.truncate(5_000_000)
    (tmp_path / "ok.inc").write_text("giOk = 1\n")
    text = (
        '#include "ok.inc"\n#include "/dev/zero"\n#include "pipe.inc"\n'
        '#include "big.inc"\n#include "https://example.org/x.orc"\n#include "missing.inc"\n'
    )
    done = threading.Event()
    result: list[includes.Resolved] = []

    def run() -> None:
        result.append(includes.resolve(text, tmp_path, max_bytes=2_000_000))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(5), "resolve blocked (on the FIFO?)"
    resolved = result[0]
    assert resolved.texts == ["giOk = 1\n"]
    assert resolved.unresolved  # missing.inc: Csound reports it itself
    assert [(r.include.line, r.message) for r in resolved.refused] == [
        (1, "/dev/zero is a device, not a file"),
        (2, "pipe.inc is a FIFO, not a file"),
        (3, "big.inc is 5.0 MB, over the 2.0 MB limit"),
        (4, "https://example.org/x.orc is a URL; includes are read from files"),
    ]


def test_a_nested_refusal_lands_on_the_documents_include(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "outer.inc").write_text('#include "inner.inc"\n')
    (tmp_path / "inner.inc").write_text('giX = 1\n#include "pipe.inc"\n')
    text = 'sr = 44100\n#include "outer.inc"\n'
    resolved = includes.resolve(text, tmp_path)
    [refused] = resolved.refused
    assert refused.include.line == 1
    assert refused.message == "pipe.inc (included by inner.inc) is a FIFO, not a file"
    assert includes.blank(text, resolved.refused) == "sr = 44100\n" + " " * 20 + "\n"


def test_include_cycles_and_depth_end(tmp_path: Path) -> None:
    (tmp_path / "a.inc").write_text('#include "b.inc"\n')
    (tmp_path / "b.inc").write_text('#include "a.inc"\n')
    resolved = includes.resolve('#include "a.inc"\n', tmp_path)
    assert len(resolved.texts) == 2 and not resolved.refused and not resolved.unresolved


def test_includestr_macros_from_options_and_chains_are_expanded_or_refused(tmp_path: Path) -> None:
    text = (
        "<CsOptions>\n--omacro:X=/dev/zero\n</CsOptions>\n"
        '#includestr "$X"\n'
        "#define A #/dev#\n#define B #$A/zero#\n"
        '#includestr "$B"\n'
        '#includestr "$NOWHERE/x.udo"\n'
        '#include "literal$dollar.inc"\n'
    )
    refused = includes.resolve(text, tmp_path).refused
    assert [(r.include.line, r.message) for r in refused] == [
        (3, "/dev/zero is a device, not a file"),
        (6, "/dev/zero is a device, not a file"),
        (7, "$NOWHERE/x.udo uses a macro the check cannot resolve"),
    ]


def test_folders_csound_finds_through_the_environment_are_searched_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCDIR", "/nonexistent:/dev")
    [refused] = includes.resolve('#include "zero"\n', tmp_path).refused
    assert refused.message == "zero is a device, not a file"
