"""Sandbox backends, chosen by name from the plugins (the built-in ones: ``process`` and ``docker``)."""

from eureka.sandbox.backends.base import SandboxBackend, SandboxUnavailable
from eureka.sandbox.backends.docker import DockerBackend
from eureka.sandbox.backends.process import ProcessBackend


def get_backend(name: str, unsafe_no_sandbox: bool = False) -> SandboxBackend:
    """The backend called ``name``.

    Raises:
        SandboxUnavailable: unknown name, or the backend cannot isolate code here (the message says what to do).
    """
    from eureka.plugins.manager import get_plugins

    backends = get_plugins().sandbox_backends()
    if name not in backends:
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; known: {', '.join(sorted(backends))}")
    backend = backends[name](unsafe_no_sandbox)
    backend.check_available()
    return backend


__all__ = ["DockerBackend", "ProcessBackend", "SandboxBackend", "SandboxUnavailable", "get_backend"]
