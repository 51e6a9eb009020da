"""Built-in plugin: the local executor (parallel jobs on this machine's cores or GPUs)."""

from collections.abc import Callable

from eureka.config import ExecutorConfig
from eureka.plugins import hookimpl
from eureka.sandbox.backends.base import SandboxBackend
from eureka.sandbox.executor import Executor, LocalExecutor


def local_executor(backend: SandboxBackend, config: ExecutorConfig) -> Executor:
    return LocalExecutor(backend, config.devices, config.workers, config.threads)


@hookimpl(trylast=True)
def eureka_executors() -> dict[str, Callable[[SandboxBackend, ExecutorConfig], Executor]]:
    return {"local": local_executor}
