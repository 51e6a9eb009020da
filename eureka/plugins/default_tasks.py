"""Built-in plugin: the tasks of ``eureka/envs``."""

from eureka.envs.registry import builtin_tasks
from eureka.envs.task import Task
from eureka.plugins import hookimpl


@hookimpl(trylast=True)
def eureka_tasks() -> list[Task]:
    return list(builtin_tasks().values())
