"""Mountain car (continuous): an under-powered car in a valley must rock back and forth to reach the hilltop.

Dynamics of gymnasium's MountainCarContinuous-v0 (unit-less: position in [-1.2, 0.6], speed limit 0.07, engine
power 0.0015 per step at full throttle, gravity term 0.0025 cos(3 x)). The engine cannot climb the hill directly.
The episode ends with success when the car reaches x >= 0.45, or after 999 steps.
"""

import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import StateVar

MIN_POSITION = -1.2
MAX_POSITION = 0.6
MAX_SPEED = 0.07
GOAL_POSITION = 0.45
POWER = 0.0015  # speed gained per step at full throttle
GRAVITY = 0.0025  # hill steepness factor: speed lost per step is GRAVITY * cos(3 x)


class MountainCarEnv(BatchedEnv):
    """Batched mountain car. Physical state ``s``: (num_envs, 2) = [position, velocity]."""

    state_dim = 2
    obs_dim = 2
    action_dim = 1
    max_episode_steps = 999

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "position": StateVar((), "car position, in [-1.2, 0.6]; valley floor near -0.52, goal at >= 0.45"),
            "velocity": StateVar((), "car velocity per step, in [-0.07, 0.07]"),
            "height": StateVar((), "height of the car on the hill, sin(3 * position), in [-1, 1]"),
            "throttle": StateVar((), "engine throttle, in [-1, 1]"),
            "success": StateVar((), "1.0 when the car has reached the goal (this ends the episode), else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        n = len(env_ids)
        self.s[env_ids] = torch.cat((self.rand(n, -0.6, -0.4, 1), torch.zeros(n, 1, device=self.device)), dim=1)

    def physics_step(self, actions: torch.Tensor) -> None:
        position, velocity = self.s.unbind(1)
        velocity = (velocity + actions[:, 0] * POWER - GRAVITY * torch.cos(3 * position)).clamp(-MAX_SPEED, MAX_SPEED)
        position = (position + velocity).clamp(MIN_POSITION, MAX_POSITION)
        # The left wall is inelastic: hitting it stops the car.
        velocity = torch.where((position == MIN_POSITION) & (velocity < 0), 0.0, velocity)
        self.s = torch.stack((position, velocity), dim=1)

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        position, velocity = self.s.unbind(1)
        return {
            "position": position,
            "velocity": velocity,
            "height": torch.sin(3 * position),
            "throttle": actions[:, 0],
            "success": ((position >= GOAL_POSITION) & (velocity >= 0)).float(),
        }

    def observations(self) -> torch.Tensor:
        return self.s.clone()  # 2: position, velocity

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["success"] > 0.5


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    velocity: torch.Tensor, throttle: torch.Tensor, success: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Every step costs (finishing pays), speed earns some of it back (escaping needs momentum), goal bonus."""
    scales = {"step": -1.0, "speed": 1.0, "goal": 10.0, "effort": -0.0005}
    terms = {
        "step": torch.ones_like(velocity),
        "speed": velocity.abs() / 0.07,  # in [0, 1]: the step cost is never fully repaid, so lingering never pays
        "goal": success,
        "effort": throttle**2,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: the hill, the flag and the car (``s``: one env's physical state)."""
    xs = torch.linspace(MIN_POSITION, MAX_POSITION, 100)
    ax.set(xlim=(MIN_POSITION, MAX_POSITION), ylim=(-1.2, 1.2))
    ax.plot(xs.tolist(), torch.sin(3 * xs).tolist(), color="grey")
    ax.plot([GOAL_POSITION, GOAL_POSITION], [torch.sin(torch.tensor(3 * GOAL_POSITION)).item(), 1.1], color="tab:green")
    ax.plot([s[0].item()], [torch.sin(3 * s[0]).item()], "s", color="tab:blue", markersize=12)
