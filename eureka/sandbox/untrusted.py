"""Reading what a job left behind, on the host, as untrusted data.

A job folder is writable by the sandboxed candidate: any file in it may be a symlink to a host file, a FIFO that
blocks a reader, a multi-gigabyte flood, or text made to fool a terminal (ANSI escapes, rich markup). The host
therefore opens job files without following symlinks and only if they are regular files, reads at most a fixed
number of bytes, creates the files it writes itself (never writing through one that is already there), and cleans
every text that came from a job before printing or storing it.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections import deque
from pathlib import Path
from typing import IO

#: Control characters but tab and newline; ESC among them starts the terminal's escape sequences.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str, limit: int) -> str:
    """``text`` without control characters (tab and newline kept), at most ``limit`` characters (its head and its
    tail, where the error of a traceback is)."""
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]}\n...\n{text[-half:]}"


def read_capped(path: Path, max_bytes: int, *, tail: bool = False) -> bytes | None:
    """At most ``max_bytes`` of the regular file ``path`` (its last ones if ``tail``); None when it is missing, a
    symlink, a FIFO or anything else but a regular file, or (without ``tail``) larger than ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > max_bytes:
            if not tail:
                return None
            file.seek(info.st_size - max_bytes)
        return file.read(max_bytes)


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, through a temporary file this call creates itself: a symlink or FIFO
    planted under either name is replaced, never followed."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    tmp.replace(path)


class LogTail:
    """Keeps the last ``max_bytes`` of a job's output stream, however much it writes (a warning flood once wrote
    600 MB in two minutes); read by a thread of its own so that the job never blocks on a full pipe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.total = 0
        self._chunks: deque[bytes] = deque()
        self._kept = 0
        self._thread: threading.Thread | None = None

    def feed(self, chunk: bytes) -> None:
        """Add output; drop the oldest beyond ``max_bytes``."""
        self.total += len(chunk)
        self._chunks.append(chunk[-self.max_bytes :])
        self._kept += len(self._chunks[-1])
        while self._kept - len(self._chunks[0]) >= self.max_bytes:
            self._kept -= len(self._chunks.popleft())

    def follow(self, stream: IO[bytes]) -> None:
        """Read ``stream`` to its end in a background thread (``join`` waits for it)."""

        def pump() -> None:
            while chunk := stream.read1(1 << 16):  # type: ignore[attr-defined]
                self.feed(chunk)
            stream.close()

        self._thread = threading.Thread(target=pump, name="eureka-log", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the followed stream to end."""
        if self._thread is not None:
            self._thread.join()

    def data(self) -> bytes:
        """The kept bytes, after a line saying how much was dropped before them."""
        kept = b"".join(self._chunks)[-self.max_bytes :]
        dropped = self.total - len(kept)
        return (f"[... {dropped} earlier bytes dropped ...]\n".encode() if dropped else b"") + kept

    def text(self, limit: int) -> str:
        """The last ``limit`` characters of the output, cleaned for printing."""
        return clean_text(b"".join(self._chunks).decode(errors="replace")[-limit:].strip(), limit)
