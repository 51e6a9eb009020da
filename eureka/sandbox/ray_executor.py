"""The Ray executor: every sandbox job a Ray task on some node of a cluster, run there through the same sandbox
backend as on one machine; the job's folder comes back into the run folder on the head, so that the report,
``--resume`` and the bench read what a local run leaves.

How a job travels. The head writes ``job.json`` into the run folder (a resumed run finds finished results there
and sends nothing) and submits a task asking for the job's resources: one GPU for a CUDA job, its threads' CPUs
otherwise. On the node the task runs the job in a scratch folder through the head's sandbox backend (pickled, so a
node runs unsandboxed only where the head asked ``--unsafe-no-sandbox``), relays its progress lines to an actor
beside the head while it trains, and returns the folder's regular files as a tar archive, which the head unpacks
into the job's folder (links, devices and paths out of the folder are refused on both sides). A node that dies
mid-job: Ray runs the task again on another node, up to ``executor.retries`` times; every node a job started on
is kept in its folder's ``ray.json``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

from eureka.sandbox.backends.base import SandboxBackend, SandboxUnavailable, prepare_job_dir
from eureka.sandbox.executor import POLL_S, LocalExecutor
from eureka.sandbox.protocol import JOB_FILE, PROGRESS_FILE, RESULT_FILE, Job, Progress, Result, Status, read_model

#: Where the nodes a job started on are kept, in its folder on the head.
PLACEMENT_FILE = "ray.json"
#: Most bytes a job folder may bring back (a policy checkpoint and logs are a few MB).
MAX_ARCHIVE_BYTES = 512 << 20
INIT_CHECKPOINT = "init_policy.pth"
#: The resource Ray gives the head node only.
HEAD_RESOURCE = "node:__internal_head__"
EXCEPTION_NAME = re.compile(r"^[\w.]+: ")


class ClusterError(RuntimeError):
    """The cluster cannot run the jobs asked for; the message says why and what to do."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError("the ray executor needs Ray: pip install 'eureka-reward-design[ray]'") from None
    return ray


def pack(folder: Path, skip: set[str]) -> bytes:
    """The regular files under ``folder`` (but the top-level names in ``skip``) as a gzipped tar archive.

    The folder was the job's to write: links, FIFOs and devices are left out, and so is every file past
    ``MAX_ARCHIVE_BYTES`` in all.
    """
    buffer, total = io.BytesIO(), 0
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for root, _, files in os.walk(folder):  # does not follow links to folders
            for path in sorted(Path(root) / name for name in files):
                relative, info = path.relative_to(folder), os.lstat(path)
                if relative.parts[0] in skip or not stat.S_ISREG(info.st_mode):
                    continue
                total += info.st_size
                if total <= MAX_ARCHIVE_BYTES:
                    archive.add(path, arcname=str(relative), recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    """Unpack an archive of ``pack`` into ``folder``; Python's ``data`` filter refuses links, devices and paths
    that leave it (the archive holds what a sandboxed job wrote)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(folder, filter="data")


class _Relay:
    """Beside the head: the progress lines and start places the nodes send, until the head collects them."""

    def __init__(self) -> None:
        self.lines: dict[str, list[Progress]] = {}
        self.nodes: dict[str, list[str]] = {}

    def started(self, job_id: str, node: str) -> None:
        self.nodes.setdefault(job_id, []).append(node)
        self.lines.pop(job_id, None)  # a retry streams from its first epoch again

    def push(self, job_id: str, lines: list[Progress]) -> None:
        self.lines.setdefault(job_id, []).extend(lines)

    def collect(self, job_id: str) -> tuple[list[str], list[Progress]]:
        return list(self.nodes.get(job_id, [])), self.lines.pop(job_id, [])


def run_on_node(backend: SandboxBackend, job: Job, checkpoint: bytes | None, relay: Any) -> bytes:
    """The Ray task: run ``job`` through ``backend`` in a scratch folder on this node; return the folder packed.

    Raises:
        SandboxUnavailable: this node cannot sandbox the job (nothing runs; the head stops with the message).
    """
    ray = _ray()
    relay.started.remote(job.job_id, ray.get_runtime_context().get_node_id())
    scratch = Path(tempfile.mkdtemp(prefix="eureka-ray-"))
    try:
        if checkpoint is not None:
            (scratch / INIT_CHECKPOINT).write_bytes(checkpoint)
            job = job.model_copy(update={"init_checkpoint": str(scratch / INIT_CHECKPOINT)})
        job_dir = scratch / "job"
        stop = threading.Event()
        watcher = threading.Thread(
            target=LocalExecutor.watch,
            args=(job, job_dir, lambda job_id, lines: relay.push.remote(job_id, lines), stop),
            daemon=True,
        )
        watcher.start()
        try:
            backend.run(job, job_dir)
        finally:
            stop.set()
            watcher.join()
        return pack(job_dir, skip={JOB_FILE})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class RayBackend(SandboxBackend):
    """The head's side of a job on the cluster: submit it, write its relayed progress into the job's folder, and
    unpack what comes back. The sandbox itself is ``backend``, on the node."""

    name = "ray"

    def __init__(self, backend: SandboxBackend, relay: Any, retries: int) -> None:
        self.backend = backend
        self.relay = relay
        self.retries = retries
        self.task = _ray().remote(run_on_node)

    def check_available(self) -> None:
        """Checked on every node when the executor starts (``RayExecutor.probe``)."""

    def run(self, job: Job, job_dir: Path) -> Result:
        ray = _ray()
        job_dir = prepare_job_dir(job, job_dir)
        checkpoint = Path(job.init_checkpoint).read_bytes() if job.init_checkpoint else None
        resources = {"num_gpus": 1, "num_cpus": 1} if job.device.startswith("cuda") else {"num_cpus": job.threads}
        ref = self.task.options(max_retries=self.retries, **resources).remote(self.backend, job, checkpoint, self.relay)
        placed: list[str] = []
        with (job_dir / PROGRESS_FILE).open("a") as progress:
            while True:
                done, _ = ray.wait([ref], timeout=POLL_S)
                try:
                    nodes, lines = ray.get(self.relay.collect.remote(job.job_id))
                except ray.exceptions.RayError:  # the relay is restarting: this poll shows nothing
                    nodes, lines = placed, []
                progress.writelines(line.model_dump_json() + "\n" for line in lines)
                progress.flush()
                if nodes != placed:
                    placed = nodes
                    (job_dir / PLACEMENT_FILE).write_text(json.dumps({"nodes": nodes}))
                if done:
                    break
        try:
            unpack(ray.get(ref), job_dir)
        except SandboxUnavailable:
            raise
        except ray.exceptions.RayError as exc:  # the retries ran out: nodes lost, or a worker died
            error = f"the cluster could not finish this job ({self.retries + 1} tries): {exc}"
            return Result(job_id=job.job_id, status=Status.KILLED, error=error)
        result = read_model(job_dir / RESULT_FILE, Result)
        if result is None or result.job_id != job.job_id:
            return Result(job_id=job.job_id, status=Status.KILLED, error="the job came back without a valid result")
        return result


class RayExecutor(LocalExecutor):
    """Runs jobs on a Ray cluster, as many at once as it has slots (GPUs, or CPUs // threads)."""

    name = "ray"

    def __init__(
        self,
        backend: SandboxBackend,
        address: str | None,
        devices: list[str],
        workers: int | None = None,
        threads: int = 1,
        retries: int = 3,
    ) -> None:
        """
        Args:
            backend: the sandbox every job runs in, on its node.
            address: the cluster (``auto``: the one this machine belongs to; ``ray://host:port``); None starts
                a Ray instance on this machine.
            devices: ``cpu``, or ``cuda`` for one GPU per job wherever the cluster has one.
            workers: jobs at once; default every slot of the cluster.
            threads: torch threads (and CPUs asked) per CPU job.
            retries: runs of a job on another node after its node died.

        Raises:
            ClusterError: Ray is missing, the cluster cannot be reached, has no node able to take a job, or a node
                cannot sandbox.
        """
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
            except (ConnectionError, RuntimeError) as exc:
                raise ClusterError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
        gpu = any(d.startswith("cuda") for d in devices)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        need, unit = ("GPU", 1) if gpu else ("CPU", threads)
        slots = sum(int(n["Resources"].get(need, 0)) // unit for n in nodes)
        if slots < 1:
            what = "a GPU (--device cuda)" if gpu else f"{threads} CPUs (executor.threads)"
            raise ClusterError(f"no node of the Ray cluster has {what}; its nodes: {_describe(nodes)}")
        self.probe(ray, backend, nodes)
        # The relay lives on the head node (where the run folder is): it goes when the run goes, not with a worker.
        relay = ray.remote(_Relay).options(num_cpus=0, resources={HEAD_RESOURCE: 0.001}, max_restarts=-1).remote()
        super().__init__(RayBackend(backend, relay, retries), ["cuda:0" if gpu else "cpu"], workers or slots, threads)

    @staticmethod
    def probe(ray: Any, backend: SandboxBackend, nodes: list[dict]) -> None:
        """Check on every node that ``backend`` can sandbox there; raise ClusterError naming the ones that cannot."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        check = ray.remote(_check_available)
        refs = {
            n["NodeManagerAddress"] + " " + n["NodeID"][:8]: check.options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(backend)
            for n in nodes
        }
        problems = []
        for node, ref in refs.items():
            try:
                ray.get(ref)
            # SandboxUnavailable raised there, or e.g. the backend's plugin not installed there; the message is
            # the last line of the remote traceback
            except ray.exceptions.RayError as exc:
                message = EXCEPTION_NAME.sub("", str(exc).strip().splitlines()[-1])
                problems.append(f"{node}: {message}")
        if problems:
            raise ClusterError("nodes that cannot sandbox the jobs:\n" + "\n".join(problems))


def _check_available(backend: SandboxBackend) -> None:
    backend.check_available()


def _describe(nodes: list[dict]) -> str:
    """Each node's address and its CPUs and GPUs."""
    described = []
    for node in nodes:
        resources = ", ".join(f"{k} {node['Resources'].get(k, 0):g}" for k in ("CPU", "GPU"))
        described.append(f"{node['NodeManagerAddress']} ({resources})")
    return "; ".join(described) or "none alive"
