"""The default backend: the worker in a bubblewrap sandbox, as a local process.

Layers (DESIGN.md, "Sandbox"): every namespace unshared (no network, own PID tree, own IPC/UTS), all capabilities
dropped, a read-only view of only what Python and torch need (``/usr``, a few files of ``/etc``, the Python
installation and virtual environment, the ``eureka`` package), an empty ``/tmp``, the job folder as the
only writable path, a clean environment. Inside, the worker adds rlimits and a seccomp filter before it touches the
candidate. A wall-clock timeout kills the whole process group; the PID namespace takes every descendant with it.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from eureka.sandbox.backends.base import (
    LOG_BYTES,
    SandboxBackend,
    SandboxUnavailable,
    outcome,
    prepare_job_dir,
    stoppable,
)
from eureka.sandbox.protocol import Job, Result
from eureka.sandbox.untrusted import LogTail

TMP_BYTES = 256 << 20
#: The only files of /etc the sandbox sees (an allow-list: masking secrets one by one missed shadow- backups): the
#: dynamic loader's configuration, the time zone, user and group names, and the alternatives' symlinks into /usr.
ETC_ALLOWED = (
    *("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"),
    *("/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/alternatives"),
)
UNSAFE_FLAG = "--unsafe-no-sandbox"
#: The eureka package the worker runs from.
PACKAGE_DIR = Path(__file__).resolve().parents[2]


def _python_roots(import_roots: Sequence[str] = ()) -> list[str]:
    """Folders the worker's Python needs to read: the installation, the venv, import paths, this package, and
    ``import_roots`` (the code of entry-point plugins: an editable install's is anywhere on the disk)."""
    roots = {sys.base_prefix, sys.prefix, str(PACKAGE_DIR), *import_roots}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.add(str(Path(sys.executable).resolve().parent))
    # Drop folders inside others (bwrap would mount them twice) and the ones /usr already covers.
    kept = sorted(r for r in roots if not r.startswith("/usr/"))
    return [r for r in kept if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in kept)]


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in ETC_ALLOWED:
        args += ["--ro-bind-try", path, path]
    return args


def _gpu_mounts(device: str) -> list[str]:
    """NVIDIA device nodes for a CUDA job (the executor has picked the GPU through CUDA_VISIBLE_DEVICES)."""
    if not device.startswith("cuda"):
        return []
    nodes = sorted(str(p) for p in Path("/dev").glob("nvidia*"))
    args = [arg for node in nodes for arg in ("--dev-bind", node, node)]
    if os.path.isdir("/proc/driver/nvidia"):
        args += ["--ro-bind", "/proc/driver/nvidia", "/proc/driver/nvidia"]
    return args


def bwrap_command(job: Job, job_dir: Path, import_roots: Sequence[str] = ()) -> list[str]:
    """The full bubblewrap command line that runs the worker on ``job_dir``, with ``import_roots`` readable."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += _system_mounts()
    # Later mounts cover earlier ones: the empty /tmp first, so that a venv or job folder under /tmp stays visible.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for root in _python_roots(import_roots):
        args += ["--ro-bind", root, root]
    args += _gpu_mounts(job.device)
    if job.init_checkpoint:
        args += ["--ro-bind", job.init_checkpoint, job.init_checkpoint]
    args += ["--bind", str(job_dir), str(job_dir), "--chdir", str(job_dir), "--clearenv"]
    for name, value in worker_environment(job, job_dir).items():
        args += ["--setenv", name, value]
    return [*args, "--", sys.executable, "-m", "eureka.sandbox.worker", str(job_dir)]


def worker_environment(job: Job, job_dir: Path) -> dict[str, str]:
    """The worker's whole environment: nothing of the host's but the GPU the executor picked."""
    env = {"HOME": str(job_dir), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": str(job.threads)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    return env


@functools.cache
def _bwrap_problem() -> str | None:
    """Why bubblewrap cannot start a sandbox here, or None if it can (probed once per process)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; on Debian/Ubuntu: apt-get install bubblewrap"
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--", "true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return (
            f"bubblewrap cannot create a sandbox here ({probe.stderr.strip() or probe.returncode}); unprivileged "
            "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor policy)"
        )
    return None


class ProcessBackend(SandboxBackend):
    """bubblewrap + rlimits + seccomp around a local worker process.

    Args:
        unsafe_no_sandbox: run the worker without bubblewrap (rlimits and seccomp still apply). Only for machines
            where bwrap cannot start and the user accepts running untrusted code.
        import_roots: folders of plugin code the worker must read besides the Python installation and eureka
            (the plugins layer passes its entry points' folders).
    """

    name = "process"

    def __init__(self, unsafe_no_sandbox: bool = False, import_roots: Sequence[str] = ()) -> None:
        self.unsafe_no_sandbox = unsafe_no_sandbox
        self.import_roots = tuple(import_roots)

    def check_available(self) -> None:
        problem = None if self.unsafe_no_sandbox else _bwrap_problem()
        if problem:
            raise SandboxUnavailable(
                f"{problem}. Refusing to run LLM-written reward code without isolation; pass {UNSAFE_FLAG} to "
                "run it anyway (rlimits and seccomp only), or use --sandbox docker."
            )

    def command(self, job: Job, job_dir: Path) -> list[str]:
        """The command that runs the worker, sandboxed unless unsafe mode was asked for."""
        if self.unsafe_no_sandbox:
            return [sys.executable, "-m", "eureka.sandbox.worker", str(job_dir)]
        return bwrap_command(job, job_dir, self.import_roots)

    def run(self, job: Job, job_dir: Path) -> Result:
        self.check_available()
        job_dir = prepare_job_dir(job, job_dir)
        start = time.perf_counter()
        timed_out = False
        log = LogTail(LOG_BYTES)
        proc = subprocess.Popen(
            self.command(job, job_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed whole on timeout
            # bubblewrap is the sandbox's PID 1, whose /proc/1/environ the candidate can read: it gets nothing of
            # the host's environment (API keys) either
            env=worker_environment(job, job_dir)
            if self.unsafe_no_sandbox
            else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        log.follow(proc.stdout)
        try:
            with stoppable(lambda: os.killpg(proc.pid, signal.SIGKILL)):
                proc.wait(timeout=job.timeout_s)  # the whole job, start-up included
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
            log.join()
        return outcome(job, job_dir, proc.returncode, timed_out, time.perf_counter() - start, log)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the worker's process group (a no-op once it has exited) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
