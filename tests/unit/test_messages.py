"""Building the prompt from a task, and reading reward code out of model replies."""

import pytest

from eureka.agent.messages import extract_python, task_messages
from eureka.envs import get_task

REWARD = "def compute_reward(pole_angle):\n    return pole_angle, {'a': pole_angle}\n"


@pytest.mark.parametrize(
    "reply",
    [
        f"Here it is:\n```python\n{REWARD}```\nThis rewards uprightness.",
        f"```py\n{REWARD}```",
        f"```\n{REWARD}```",
        f"```python\nimport torch\n```\nand the function:\n```python\n{REWARD}```",
        f"Sure.\n```python\n{REWARD}",  # cut off at max_tokens before the closing fence
        REWARD,
    ],
)
def test_extracts_the_reward_block(reply):
    assert extract_python(reply).strip().endswith("return pole_angle, {'a': pole_angle}")


def test_no_code_is_none():
    assert extract_python("I cannot help with that.") is None


def test_task_prompt_has_goal_context_and_state_but_not_the_human_reward():
    task = get_task("pendulum")
    system, user = task_messages(task)
    assert "compute_reward" in system.content and "tuple[torch.Tensor, dict[str, torch.Tensor]]" in system.content
    assert task.goal in user.content and "def physics_step" in user.content
    assert "- pole_angle: shape (num_envs)" in user.content
    assert "human_reward" not in user.content and "energy_gap" not in user.content
