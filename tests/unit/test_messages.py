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


def test_repair_hints_for_the_errors_small_models_repeat():
    from eureka.agent.messages import repair_hints

    task = get_task("cartpole")
    error = "NameError: name 'pole_angle' is not defined\nNameError: name 'pole_mass_length' is not defined"
    hints = repair_hints(error, task)
    assert hints[0] == "`pole_angle` is a state variable: add it to compute_reward's parameters."
    assert hints[1].startswith("`pole_mass_length` is defined nowhere")
    assert "1-D" in repair_hints("IndexError: Dimension out of range (expected [-1, 0], got 1)", task)[0]
    assert repair_hints("SyntaxError: invalid syntax", task) == []
