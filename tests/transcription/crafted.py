"""Recordings whose container says less of their length than they hold, made with ffmpeg for the length tests."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def webm_without_duration(path: Path, seconds: float, source: str = "sine=frequency=300") -> Path:
    """An Opus WebM written to a pipe, as a streaming recorder writes it: no duration in its header."""
    with path.open("wb") as out:
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", f"{source}:duration={seconds}",
                        "-c:a", "libopus", "-b:a", "16k", "-f", "webm", "-"], stdout=out, check=True)
    return path


def mp3_with_lying_header(path: Path, seconds: float, claimed_frames: int = 5,
                          source: str = "sine=frequency=300") -> Path:
    """An MP3 whose Info (Xing) header claims `claimed_frames` frames (at 8 kHz, a third of a second) but that holds
    `seconds` of sound: the demuxer believes the header."""
    _ffmpeg("-f", "lavfi", "-i", f"{source}:duration={seconds}", "-ar", "8000", "-c:a", "libmp3lame", "-b:a", "8k",
            str(path))
    data = bytearray(path.read_bytes())
    tag = max(data.find(b"Info"), data.find(b"Xing"))
    assert tag > 0, "lame wrote no Info/Xing header"
    flags = struct.unpack_from(">I", data, tag + 4)[0]
    assert flags & 1, "the Info header carries no frame count"
    struct.pack_into(">I", data, tag + 8, claimed_frames)
    path.write_bytes(bytes(data))
    return path


def mp3_silence(path: Path, seconds: float) -> Path:
    """A long silent MP3 (8 kHz, 8 kbit/s: about 1 MB for 20 minutes) with a true header."""
    _ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=8000:cl=mono:d={seconds}", "-c:a", "libmp3lame", "-b:a", "8k", str(path))
    return path
