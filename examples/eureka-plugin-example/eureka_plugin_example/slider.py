"""Slider: a block on a frictional rail must be pushed to a target position and stopped there.

One point mass of 1 kg on a straight rail with viscous friction, pushed by a force of at most 5 N. Targets are drawn
uniformly in [-1, 1] m; the block starts at rest at a random position in [-1, 1] m. Episodes last 150 steps (3 s);
success is ending within 10 cm of the target and slower than 0.2 m/s.
"""

import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import StateVar

MASS = 1.0  # kg
FRICTION = 0.5  # N s/m, viscous
MAX_FORCE = 5.0  # N at action +-1
DT = 0.02  # s per control step
TARGET_TOLERANCE = 0.1  # m
STOP_SPEED = 0.2  # m/s


class SliderEnv(BatchedEnv):
    """Batched slider. Physical state ``s``: (num_envs, 3) = [position, velocity, target]."""

    state_dim = 3
    obs_dim = 3
    action_dim = 1
    max_episode_steps = 150

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "position": StateVar((), "block position on the rail, m"),
            "velocity": StateVar((), "block velocity, m/s"),
            "target": StateVar((), "target position, m, in [-1, 1]"),
            "offset": StateVar((), "target minus position, m"),
            "force": StateVar((), "applied force, N, in [-5, 5]"),
            "success": StateVar((), "1.0 while within 10 cm of the target and slower than 0.2 m/s, else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        n = len(env_ids)
        start, target = self.rand(n, -1.0, 1.0, 1), self.rand(n, -1.0, 1.0, 1)
        self.s[env_ids] = torch.cat((start, torch.zeros(n, 1, device=self.device), target), dim=1)

    def physics_step(self, actions: torch.Tensor) -> None:
        position, velocity, target = self.s.unbind(1)
        force = MAX_FORCE * actions[:, 0]
        velocity = velocity + DT * (force - FRICTION * velocity) / MASS
        self.s = torch.stack((position + DT * velocity, velocity, target), dim=1)

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        position, velocity, target = self.s.unbind(1)
        offset = target - position
        arrived = (offset.abs() < TARGET_TOLERANCE) & (velocity.abs() < STOP_SPEED)
        return {
            "position": position,
            "velocity": velocity,
            "target": target,
            "offset": offset,
            "force": MAX_FORCE * actions[:, 0],
            "success": arrived.float(),
        }

    def observations(self) -> torch.Tensor:
        position, velocity, target = self.s.unbind(1)
        return torch.stack((target - position, velocity, target), dim=1)  # 3: offset, velocity, target


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    offset: torch.Tensor, velocity: torch.Tensor, success: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Close the distance, arrive slowly, and a bonus while parked on the target."""
    scales = {"distance": -1.0, "speed_near_target": -0.2, "parked": 1.0}
    terms = {
        "distance": offset.abs(),
        "speed_near_target": velocity.abs() * torch.exp(-offset.abs() / 0.1),
        "parked": success,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: the rail, the target and the block (``s``: one env's physical state)."""
    position, _, target = s.tolist()
    ax.set(xlim=(-2.0, 2.0), ylim=(-0.5, 0.5), aspect="equal")
    ax.plot([-2.0, 2.0], [0, 0], color="grey")
    ax.plot([target], [0], "x", color="tab:green", markersize=14)
    ax.plot([position], [0], "s", color="tab:blue", markersize=14)
