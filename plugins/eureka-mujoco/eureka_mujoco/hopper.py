"""Hopper (gymnasium's hopper.xml, v5 settings): a planar one-legged robot of 4 bodies (torso, thigh, leg, foot)
and 3 hinge joints that must hop forward (+x) without falling. Control step 0.008 s (4 physics steps of 0.002
s); episodes last 1000 steps and end when it is unhealthy: torso lower than 0.7 m, its pitch beyond 0.2 rad, or
any other state value beyond 100.
"""

import torch

from eureka.envs.contract import StateVar
from eureka_mujoco.locomotion import LocomotionEnv, load_model, side_view

MODEL = load_model("hopper.xml")
NQ, NV = MODEL.nq, MODEL.nv  # 6: rootx, rootz, rooty (pitch), thigh, leg, foot; 6 velocities
MIN_HEIGHT = 0.7  # m
MAX_PITCH = 0.2  # rad
MAX_STATE = 100.0


class HopperEnv(LocomotionEnv):
    """Batched Hopper. Observation: qpos without x (5) and qvel clipped to [-10, 10] (6), as gymnasium's."""

    model = MODEL
    frame_skip = 4
    qpos_noise = 5e-3
    qvel_noise = 5e-3
    state_dim = NQ + NV + 1
    obs_dim = NQ - 1 + NV
    action_dim = MODEL.nu
    max_episode_steps = 1000

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "x_velocity": StateVar((), "forward velocity of the torso over the last step, m/s"),
            "torso_height": StateVar((), "z of the torso, m (1.25 standing)"),
            "torso_pitch": StateVar((), "torso pitch angle, rad (0 upright)"),
            "joint_angles": StateVar((3,), "thigh, leg and foot angles, rad"),
            "joint_velocities": StateVar((3,), "those joints' angular velocities, rad/s"),
            "actions": StateVar((3,), "the policy's joint torque commands, each in [-1, 1]"),
            "healthy": StateVar((), "1.0 while torso height > 0.7 m, |pitch| < 0.2 rad and all else within 100"),
            "success": StateVar((), "forward distance travelled since the episode began, m (the fitness)"),
        }

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        qpos, qvel = self.qpos(), self.qvel()
        rest = torch.cat((qpos[:, 2:], qvel), dim=1)
        healthy = (qpos[:, 1] > MIN_HEIGHT) & (qpos[:, 2].abs() < MAX_PITCH) & (rest.abs() < MAX_STATE).all(dim=1)
        return {
            "x_velocity": self.x_velocity(),
            "torso_height": qpos[:, 1],
            "torso_pitch": qpos[:, 2],
            "joint_angles": qpos[:, 3:],
            "joint_velocities": qvel[:, 3:],
            "actions": actions,
            "healthy": healthy.float(),
            "success": self.distance(),
        }

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["healthy"] < 0.5

    def observations(self) -> torch.Tensor:
        return torch.cat((self.qpos()[:, 1:], self.qvel().clamp(-10.0, 10.0)), dim=1)


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    x_velocity: torch.Tensor, healthy: torch.Tensor, actions: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """gymnasium's Hopper-v5 reward: forward velocity, a bonus for staying healthy, a small control cost."""
    components = {
        "forward": 1.0 * x_velocity,
        "healthy": 1.0 * healthy,
        "control": -1e-3 * (actions**2).sum(dim=1),
    }
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    side_view(MODEL, ax, s)
