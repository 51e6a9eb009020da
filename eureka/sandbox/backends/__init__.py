"""Sandbox backends, chosen by name."""

from collections.abc import Callable

from eureka.sandbox.backends.base import SandboxBackend, SandboxUnavailable
from eureka.sandbox.backends.docker import DockerBackend
from eureka.sandbox.backends.process import ProcessBackend

#: name -> factory taking ``unsafe_no_sandbox`` (only the process backend can run without isolation)
BACKENDS: dict[str, Callable[[bool], SandboxBackend]] = {
    "process": ProcessBackend,
    "docker": lambda unsafe_no_sandbox: DockerBackend(),
}


def get_backend(name: str, unsafe_no_sandbox: bool = False) -> SandboxBackend:
    """The backend called ``name``.

    Raises:
        SandboxUnavailable: unknown name, or the backend cannot isolate code here (the message says what to do).
    """
    if name not in BACKENDS:
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; known: {', '.join(sorted(BACKENDS))}")
    backend = BACKENDS[name](unsafe_no_sandbox)
    backend.check_available()
    return backend


__all__ = ["BACKENDS", "DockerBackend", "ProcessBackend", "SandboxBackend", "SandboxUnavailable", "get_backend"]
