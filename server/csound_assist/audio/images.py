"""A waveform and a spectrogram of a rendered WAV, as small PNG files (numpy + zlib, no image
library): what the chat panel shows beside its audio player."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

WIDTH = 640
WAVE_HEIGHT = 120
SPEC_HEIGHT = 200
FFT = 1024
FLOOR_DB = -100.0
LOW_HZ = 20.0
_BACKGROUND = (24, 24, 28)
_CHANNEL_COLOURS = [(86, 180, 233), (230, 159, 0), (0, 158, 115), (204, 121, 167)]
# Dark → bright ramp for the spectrogram (dB from FLOOR_DB to 0).
_RAMP = [(0, 0, 4), (60, 15, 110), (150, 40, 105), (230, 90, 50), (250, 200, 40), (252, 255, 164)]


class ImageError(RuntimeError):
    """The images cannot be made here (the message says why)."""


def _numpy() -> Any:
    try:
        import numpy
    except ImportError as exc:  # the server's base install: images need the rag extra
        raise ImageError("the waveform and spectrogram need numpy (pip install numpy)") from exc
    return numpy


def write_png(path: Path, rgb: Any) -> None:
    """An 8-bit RGB PNG of an (height, width, 3) uint8 array."""
    np = _numpy()
    height, width, _ = rgb.shape
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # filter byte 0 on each row
    raw[:, 1:] = rgb.reshape(height, width * 3)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    data += chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def _frames(wav: Path) -> tuple[Any, int]:
    """(samples as float array of shape (frames, channels), sample rate) of our float WAVs."""
    np = _numpy()
    from csound_assist.audio.wav import _chunks, _samples

    chunks = _chunks(wav.read_bytes())
    fmt, raw = chunks[b"fmt "], chunks[b"data"]
    nch, sr = struct.unpack("<HI", fmt[2:8])
    samples, scale = _samples(fmt, raw)
    data = np.asarray(samples, dtype=np.float64) / scale
    frames = len(data) // nch
    return np.nan_to_num(data[: frames * nch].reshape(frames, nch)), sr


def waveform(samples: Any, path: Path) -> None:
    """Min/max per pixel column, channels overlaid in their colours, a line at zero."""
    np = _numpy()
    img = np.empty((WAVE_HEIGHT, WIDTH, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    img[WAVE_HEIGHT // 2, :] = (70, 70, 80)
    frames, nch = samples.shape
    if frames:
        edges = np.linspace(0, frames, WIDTH + 1).astype(int)
        for ch in range(nch):
            colour = _CHANNEL_COLOURS[ch % len(_CHANNEL_COLOURS)]
            x = np.clip(samples[:, ch], -1, 1)
            for col in range(WIDTH):
                a, b = edges[col], max(edges[col + 1], edges[col] + 1)
                seg = x[a:b]
                if not seg.size:
                    continue
                top = int((1 - seg.max()) / 2 * (WAVE_HEIGHT - 1))
                bottom = int((1 - seg.min()) / 2 * (WAVE_HEIGHT - 1))
                img[top:bottom + 1, col] = colour
    write_png(path, img)


def spectrogram(samples: Any, sr: int, path: Path) -> None:
    """Short-time spectrum of the channels' mix: time left to right, frequency bottom to top on a
    log scale (LOW_HZ to sr/2, as the ear hears it), magnitude from FLOOR_DB to 0 dBFS on a
    dark-to-bright ramp."""
    np = _numpy()
    mono = samples.mean(axis=1) if samples.size else np.zeros(FFT)
    if len(mono) < FFT:
        mono = np.pad(mono, (0, FFT - len(mono)))
    starts = np.linspace(0, len(mono) - FFT, min(WIDTH, max(1, len(mono) // 256))).astype(int)
    window = np.hanning(FFT)
    frames = np.stack([mono[s:s + FFT] * window for s in starts])
    mag = np.abs(np.fft.rfft(frames, axis=1)) / (window.sum() / 2)
    db = 20 * np.log10(np.maximum(mag, 1e-12))
    level = np.clip((db - FLOOR_DB) / -FLOOR_DB, 0, 1)  # (columns, bins)
    # Resample to the image: columns to WIDTH, bins to SPEC_HEIGHT (top = highest frequency).
    cols = np.linspace(0, level.shape[0] - 1, WIDTH).astype(int)
    nyquist = sr / 2 if sr > 2 * LOW_HZ else LOW_HZ * 2
    freqs = np.geomspace(nyquist, LOW_HZ, SPEC_HEIGHT)  # top row first
    rows = np.clip(np.round(freqs / nyquist * (level.shape[1] - 1)), 0, level.shape[1] - 1)
    rows = rows.astype(int)
    grid = level[cols][:, rows].T
    ramp = np.array(_RAMP, dtype=np.float64)
    pos = grid * (len(ramp) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(ramp) - 1)
    frac = (pos - lo)[..., None]
    rgb = ramp[lo] * (1 - frac) + ramp[hi] * frac
    write_png(path, rgb.astype(np.uint8))


def images(wav: Path, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write `<stem>-waveform.png` and `<stem>-spectrogram.png` into `folder`."""
    samples, sr = _frames(wav)
    wave_png, spec_png = folder / f"{stem}-waveform.png", folder / f"{stem}-spectrogram.png"
    waveform(samples, wave_png)
    spectrogram(samples, sr, spec_png)
    return wave_png, spec_png
