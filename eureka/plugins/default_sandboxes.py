"""Built-in plugin: the bubblewrap process backend and the docker backend."""

from collections.abc import Callable

from eureka.plugins import hookimpl
from eureka.plugins.manager import get_plugins
from eureka.sandbox.backends.base import SandboxBackend
from eureka.sandbox.backends.docker import DockerBackend
from eureka.sandbox.backends.process import ProcessBackend


@hookimpl(trylast=True)
def eureka_sandbox_backends() -> dict[str, Callable[[bool], SandboxBackend]]:
    # Only the process backend can run without isolation (``--unsafe-no-sandbox``); a container always isolates.
    # The process backend's worker reads the entry-point plugins' code where it is installed.
    return {
        "process": lambda unsafe_no_sandbox: ProcessBackend(unsafe_no_sandbox, get_plugins().import_roots()),
        "docker": lambda unsafe_no_sandbox: DockerBackend(),
    }
