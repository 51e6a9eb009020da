"""Built-in plugin: the local executor (parallel jobs on this machine's cores or GPUs) and the Ray executor (jobs
on a cluster's nodes; Ray is imported only when it is chosen)."""

from collections.abc import Callable

from eureka.config import ExecutorConfig
from eureka.plugins import hookimpl
from eureka.sandbox.backends.base import SandboxBackend
from eureka.sandbox.executor import Executor, LocalExecutor


def local_executor(backend: SandboxBackend, config: ExecutorConfig) -> Executor:
    return LocalExecutor(backend, config.devices, config.workers, config.threads)


def ray_executor(backend: SandboxBackend, config: ExecutorConfig) -> Executor:
    from eureka.sandbox.ray_executor import RayExecutor

    return RayExecutor(backend, config.ray_address, config.devices, config.workers, config.threads, config.retries)


@hookimpl(trylast=True)
def eureka_executors() -> dict[str, Callable[[SandboxBackend, ExecutorConfig], Executor]]:
    return {"local": local_executor, "ray": ray_executor}
