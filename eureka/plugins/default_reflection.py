"""Built-in plugin: the reward reflection (fitness and component statistics over training, and findings)."""

from eureka.agent.reflection import reflection
from eureka.agent.state import Candidate
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.plugins import hookimpl


@hookimpl(trylast=True)
def eureka_feedback(task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> str | None:
    if candidate.result is None:
        return None
    return reflection(candidate.result, task, metrics, correlation=config.search.show_human_correlation)
