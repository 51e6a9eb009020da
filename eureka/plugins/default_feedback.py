"""Built-in plugin: a person's feedback, from a file (``--feedback FILE``) or asked for (``--feedback ask``).

The paper shows that a few words ("the robot spins in place") steer the search as well as numbers do. The file is
read at every iteration, so it can be edited while the run goes on; ``ask`` pauses the graph (LangGraph's
``interrupt``) until the person running ``eureka run`` answers.
"""

from pathlib import Path

from eureka.agent.state import Candidate
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.plugins import hookimpl

ASK = "ask"


@hookimpl(trylast=True)
def eureka_feedback(task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> str | None:
    if not config.feedback:
        return None
    if config.feedback == ASK:
        # imported here: loading the plugins (as every sandboxed job does, to find its task) must not load langgraph
        from langgraph.types import interrupt

        fitness = "no fitness" if candidate.fitness is None else f"max fitness {candidate.fitness:.3g}"
        question = f"{candidate.id} is the best of iteration {candidate.iteration} ({fitness}). Feedback?"
        text = str(interrupt(question)).strip()
    else:
        path = Path(config.feedback)
        text = path.read_text().strip() if path.exists() else ""
    return f"Feedback from the user: {text}" if text else None
