"""HalfCheetah (gymnasium's half_cheetah.xml, v5 settings): a planar two-legged runner of 7 bodies and 6 hinge
joints, torque-driven, that must run forward (+x) as fast as it can. Control step 0.05 s (5 physics steps of
0.01 s); episodes last 1000 steps (50 s) and never end early.
"""

import torch

from eureka.envs.contract import StateVar
from eureka_mujoco.locomotion import LocomotionEnv, load_model, side_view

MODEL = load_model("half_cheetah.xml")
NQ, NV = MODEL.nq, MODEL.nv  # 9: rootx, rootz, rooty (pitch) and 6 joints; 9 velocities


class HalfCheetahEnv(LocomotionEnv):
    """Batched HalfCheetah. Observation: qpos without x (8) and qvel (9), as gymnasium's."""

    model = MODEL
    frame_skip = 5
    qpos_noise = 0.1
    qvel_noise = 0.1
    normal_qvel = True
    state_dim = NQ + NV + 1
    obs_dim = NQ - 1 + NV
    action_dim = MODEL.nu
    max_episode_steps = 1000

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "x_velocity": StateVar((), "forward velocity of the torso over the last step, m/s"),
            "torso_height": StateVar((), "z of the torso, m (about 0 standing; the model's origin is at the hips)"),
            "torso_pitch": StateVar((), "torso pitch angle, rad"),
            "joint_angles": StateVar((6,), "back thigh, shin, foot, front thigh, shin, foot angles, rad"),
            "joint_velocities": StateVar((6,), "those joints' angular velocities, rad/s"),
            "actions": StateVar((6,), "the policy's joint torque commands, each in [-1, 1]"),
            "success": StateVar((), "forward distance travelled since the episode began, m (the fitness)"),
        }

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        qpos, qvel = self.qpos(), self.qvel()
        return {
            "x_velocity": self.x_velocity(),
            "torso_height": qpos[:, 1],
            "torso_pitch": qpos[:, 2],
            "joint_angles": qpos[:, 3:],
            "joint_velocities": qvel[:, 3:],
            "actions": actions,
            "success": self.distance(),
        }

    def observations(self) -> torch.Tensor:
        return torch.cat((self.qpos()[:, 1:], self.qvel()), dim=1)


# ----- human reward: below this line is never shown to the LLM


def human_reward(x_velocity: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """gymnasium's HalfCheetah-v5 reward: forward velocity minus a control cost."""
    components = {"forward": 1.0 * x_velocity, "control": -0.1 * (actions**2).sum(dim=1)}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    side_view(MODEL, ax, s, ground=-0.6)
