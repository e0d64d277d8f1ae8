"""Reading a WAV file's levels: duration, peak and RMS per channel in dBFS, non-finite samples.

Our renders are 32-bit float WAVs (so values past full scale and NaNs survive to be reported);
16/24/32-bit PCM and 64-bit float are read too, for files made elsewhere. Standard library only.
"""

from __future__ import annotations

import array
import math
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 400_000_000  # ~19 min of 48 kHz stereo float: more is not read
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


class WavError(ValueError):
    """The file is not a WAV this module reads; the message says why."""


def dbfs(value: float) -> float:
    """20·log10 of a linear level (full scale = 1.0); -inf for silence."""
    return 20 * math.log10(value) if value > 0 else -math.inf


@dataclass(frozen=True, slots=True)
class ChannelStats:
    peak: float  # linear, full scale = 1.0
    rms: float
    clipped: int  # samples at or past full scale

    @property
    def peak_dbfs(self) -> float:
        return dbfs(self.peak)

    @property
    def rms_dbfs(self) -> float:
        return dbfs(self.rms)

    def to_dict(self) -> dict[str, float | int | None]:
        def num(x: float) -> float | None:
            return round(x, 2) if math.isfinite(x) else None

        return {
            "peak_dbfs": num(self.peak_dbfs),
            "rms_dbfs": num(self.rms_dbfs),
            "clipped_samples": self.clipped,
        }


@dataclass(slots=True)
class WavStats:
    sample_rate: int
    frames: int
    channels: list[ChannelStats] = field(default_factory=list)
    nonfinite: int = 0  # NaN or infinite samples (left out of peak and RMS)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _chunks(data: bytes) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    out: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        # A render stopped hard may leave 0 or a too-large size: take what is there.
        out.setdefault(cid, body)
        pos += 8 + size + (size & 1)
    return out


def _samples(fmt: bytes, raw: bytes) -> tuple[array.array[float] | array.array[int], float]:
    """The interleaved samples and the value of full scale."""
    tag, _nch, _sr, _rate, _align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag == _FLOAT and bits in (32, 64):
        a: array.array[float] | array.array[int] = array.array("f" if bits == 32 else "d")
        scale = 1.0
    elif tag == _PCM and bits in (16, 32):
        a = array.array("h" if bits == 16 else "i")
        scale = float(2 ** (bits - 1))
    elif tag == _PCM and bits == 24:
        n = len(raw) // 3
        a = array.array("i", (int.from_bytes(raw[3 * i:3 * i + 3], "little", signed=True)
                              for i in range(n)))
        return a, float(2 ** 23)
    else:
        raise WavError(f"unsupported WAV sample format (format tag {tag}, {bits} bits)")
    usable = len(raw) - len(raw) % a.itemsize
    a.frombytes(raw[:usable])
    if sys.byteorder != "little":
        a.byteswap()
    return a, scale


def analyze_wav(path: Path | str) -> WavStats:
    """Levels of a WAV file; raises `WavError` for what it cannot read (with the reason)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise WavError(f"{path.name} is {size / 1e6:.0f} MB; levels are read up to "
                           f"{MAX_BYTES / 1e6:.0f} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise WavError(f"cannot read {path}: {exc.strerror or exc}") from exc
    chunks = _chunks(data)
    fmt, raw = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or len(fmt) < 16 or raw is None:
        raise WavError("the WAV file has no format or data chunk")
    nch, sr = struct.unpack("<HI", fmt[2:8])
    if nch < 1:
        raise WavError("the WAV file declares no channels")
    samples, scale = _samples(fmt, raw)
    frames = len(samples) // nch
    # Integer PCM tops out one step below full scale: that step counts as clipped.
    limit = 1.0 if scale == 1.0 else (scale - 1) / scale
    stats = WavStats(sr, frames)
    for ch in range(nch):
        peak = 0.0
        total = 0.0
        count = 0
        clipped = 0
        for s in samples[ch:frames * nch:nch]:
            x = s / scale
            if not math.isfinite(x):
                stats.nonfinite += 1
                continue
            ax = abs(x)
            if ax > peak:
                peak = ax
            if ax >= limit:
                clipped += 1
            total += x * x
            count += 1
        stats.channels.append(ChannelStats(peak, math.sqrt(total / count) if count else 0.0,
                                           clipped))
    return stats
