"""Real infrastructure for the integration tests: a Ray cluster of two nodes on this machine, and a
Docker-compatible engine for the docker-backend tests, built without any registry.

The session starts podman's Docker-compatible service on a private socket (with runc and the ulimits of
tests/docker/containers.conf), imports a Debian bookworm base image made by debootstrap (the root filesystem is
cached under ~/.cache/eureka), downloads the wheels the image needs on the host, and builds Dockerfile.trainer
through the docker SDK with OFFLINE=1. Every step is cached between runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from eureka.sandbox.backends.docker import DockerBackend

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = ROOT / "tests" / "docker" / "containers.conf"
WHEELS = ROOT / "docker" / "wheels"
BASE_IMAGE = "eureka-base:bookworm"
TRAINER_IMAGE = "eureka-trainer:test"
ROOTFS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "eureka" / "bookworm-rootfs"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = "python3,python3-venv,libseccomp2,ca-certificates"
SERVICE_START_S = 60.0


def _unavailable(reason: str) -> None:
    """Where the engine cannot be had: a failure in CI (it must run there), a skip on a user's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"docker backend tests need a container engine: {reason}")
    pytest.skip(reason)


def _podman(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    return subprocess.run(["podman", *args], env=env, check=check, **kwargs)


def _start_podman_service(socket: Path) -> subprocess.Popen:
    socket.unlink(missing_ok=True)
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + SERVICE_START_S
    while time.monotonic() < deadline:
        if socket.exists():
            return service
        if service.poll() is not None:
            break
        time.sleep(0.1)
    service.kill()
    _unavailable(f"podman system service did not create its socket within {SERVICE_START_S:g} s")


def _ensure_base_image() -> None:
    if _podman("image", "exists", BASE_IMAGE, check=False).returncode == 0:
        return
    if not (ROOTFS / "usr" / "bin" / "python3").exists():
        if shutil.which("debootstrap") is None:
            _unavailable("debootstrap is not installed (apt-get install debootstrap)")
        shutil.rmtree(ROOTFS, ignore_errors=True)
        ROOTFS.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(ROOTFS), DEBIAN_MIRROR],
            check=True,
            capture_output=True,
        )
    tar = subprocess.Popen(["tar", "-C", str(ROOTFS), "-c", "."], stdout=subprocess.PIPE)
    _podman("import", "-", BASE_IMAGE, stdin=tar.stdout, capture_output=True)
    tar.wait()


def _ensure_wheels() -> None:
    """Every wheel the image installs, fetched by the host's pip (the build itself has no network)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "-d", str(WHEELS), "torch==2.13.0", str(ROOT)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def docker_backend():
    """A DockerBackend on a real engine with the trainer image built."""
    import docker

    if shutil.which("podman") is None:
        _unavailable("podman is not installed (apt-get install podman runc)")
    socket = Path(tempfile.gettempdir()) / f"eureka-test-podman-{os.getpid()}.sock"
    service = _start_podman_service(socket)
    base_url = f"unix://{socket}"
    buildargs = {"BASE_IMAGE": BASE_IMAGE, "TORCH_SPEC": "torch==2.13.0", "OFFLINE": "1"}
    try:
        _ensure_base_image()
        _ensure_wheels()
        client = docker.DockerClient(base_url=base_url)
        client.images.build(
            path=str(ROOT), dockerfile="Dockerfile.trainer", tag=TRAINER_IMAGE, buildargs=buildargs, rm=True
        )
        backend = DockerBackend(image=TRAINER_IMAGE, base_url=base_url)
        backend.check_available()
        yield backend
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.fixture
def ray_cluster():
    """A real Ray cluster on this machine: a head (1 CPU) and a second node (1 CPU), each its own set of Ray
    processes. Yields the cluster and the second node; the test's driver is shut down with it."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    second = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster, second
    ray.shutdown()
    cluster.shutdown()
