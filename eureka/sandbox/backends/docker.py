"""The docker backend: the worker in a locked-down container from ``Dockerfile.trainer``, through the docker SDK.

Works with Docker and with podman's Docker-compatible service (``podman system service``; set ``DOCKER_HOST``).
The container has no network (``network_mode="none"``; podman's API ignores ``network_disabled``), a read-only
root, a small tmpfs ``/tmp``, no capabilities, ``no-new-privileges``, user 65534, memory and PID limits, and the
job folder as its only writable mount. A CUDA job gets exactly the one GPU the executor picked, through
``device_requests``, and sees it as ``cuda:0``. The worker inside adds its own rlimits and seccomp filter.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from eureka.sandbox.backends.base import (
    LOG_BYTES,
    SandboxBackend,
    SandboxUnavailable,
    outcome,
    prepare_job_dir,
    stoppable,
)
from eureka.sandbox.protocol import JOB_FILE, Job, Result, write_model
from eureka.sandbox.untrusted import LogTail

DEFAULT_IMAGE = "eureka-trainer:latest"
JOB_MOUNT = "/job"
CHECKPOINT_MOUNT = "/init/policy.pth"
PIDS_LIMIT = 512
TMP_SIZE = "256m"
NOBODY = "65534:65534"


def gpu_index(device: str) -> str | None:
    """The host GPU index of a torch device string (``cuda`` alone means GPU 0), or None for the CPU."""
    if not device.startswith("cuda"):
        return None
    return device.partition(":")[2] or "0"


class DockerBackend(SandboxBackend):
    """Runs each job in a fresh container that is removed afterwards.

    Args:
        image: the trainer image built from ``Dockerfile.trainer``.
        base_url: the engine's API address; ``DOCKER_HOST`` or the platform default when None.
    """

    name = "docker"

    def __init__(self, image: str = DEFAULT_IMAGE, base_url: str | None = None) -> None:
        self.image = image
        self.base_url = base_url

    def _client(self):  # noqa: ANN202 - docker.DockerClient; the SDK is imported lazily
        import docker

        try:
            client = docker.DockerClient(base_url=self.base_url) if self.base_url else docker.from_env()
            client.ping()
        except Exception as exc:
            raise SandboxUnavailable(
                f"no Docker-compatible engine answers at {self.base_url or os.environ.get('DOCKER_HOST', 'default')}"
                f" ({exc}); start Docker, or `podman system service` and set DOCKER_HOST"
            ) from None
        return client

    def check_available(self) -> None:
        import docker.errors

        client = self._client()
        try:
            client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"the trainer image {self.image!r} does not exist; build it from Dockerfile.trainer "
                f"(docker build -f Dockerfile.trainer -t {self.image} .)"
            ) from None

    def run(self, job: Job, job_dir: Path) -> Result:
        import docker.errors
        import docker.types
        import requests

        client = self._client()
        job_dir = prepare_job_dir(job, job_dir)
        job_dir.chmod(0o777)  # the container runs as nobody; this folder is all it may write
        gpu = gpu_index(job.device)
        inside = job.model_copy(
            update={
                "device": "cuda:0" if gpu is not None else job.device,
                "init_checkpoint": CHECKPOINT_MOUNT if job.init_checkpoint else None,
            }
        )
        write_model(job_dir / JOB_FILE, inside)
        volumes = {str(job_dir): {"bind": JOB_MOUNT, "mode": "rw"}}
        if job.init_checkpoint:
            volumes[job.init_checkpoint] = {"bind": CHECKPOINT_MOUNT, "mode": "ro"}
        start = time.perf_counter()
        container = client.containers.run(
            self.image,
            command=[JOB_MOUNT],
            detach=True,
            network_mode="none",
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            user=NOBODY,
            mem_limit=f"{job.memory_mb + 512}m",  # headroom over the worker's own RLIMIT_AS for the interpreter
            pids_limit=PIDS_LIMIT,
            tmpfs={"/tmp": f"size={TMP_SIZE}"},
            volumes=volumes,
            working_dir=JOB_MOUNT,
            environment={"HOME": JOB_MOUNT, "OMP_NUM_THREADS": str(job.threads)},
            device_requests=[docker.types.DeviceRequest(device_ids=[gpu], capabilities=[["gpu"]])] if gpu else None,
        )
        timed_out, returncode = False, None
        try:
            with stoppable(container.kill):
                returncode = container.wait(timeout=job.timeout_s)["StatusCode"]
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            try:
                container.kill()
            except docker.errors.APIError:
                pass  # it exited between the timeout and the kill: past its limit all the same
        finally:
            log = LogTail(LOG_BYTES)
            for chunk in container.logs(stdout=True, stderr=True, stream=True):
                log.feed(chunk)
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
        result = outcome(job, job_dir, returncode, timed_out, time.perf_counter() - start, log)
        if result.checkpoint and result.checkpoint.startswith(JOB_MOUNT + "/"):
            result = result.model_copy(update={"checkpoint": str(job_dir / result.checkpoint[len(JOB_MOUNT) + 1 :])})
        return result
