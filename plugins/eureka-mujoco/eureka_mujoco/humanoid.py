"""Humanoid (gymnasium's humanoid.xml, v5 settings), the paper's Humanoid: a 3-D biped of 13 bodies (a torso on a
free joint, 17 hinge joints: abdomen, hips, knees, shoulders, elbows) that must run forward (+x). Forward is
measured at the centre of mass. Control step 0.015 s (5 physics steps of 0.003 s); episodes last 1000 steps and
end when it falls: torso height outside (1.0, 2.0) m.
"""

import torch

from eureka.envs.contract import StateVar
from eureka_mujoco.locomotion import LocomotionEnv, load_model, side_view

MODEL = load_model("humanoid.xml")
NQ, NV = MODEL.nq, MODEL.nv  # 24: torso position (3), quaternion (4), 17 joints; 23 velocities
BODIES = MODEL.nbody - 1  # 13
MIN_HEIGHT, MAX_HEIGHT = 1.0, 2.0  # m
MASS = MODEL.body_mass


class HumanoidEnv(LocomotionEnv):
    """Batched Humanoid. Observation: qpos without x, y (22), qvel (23), the actuators' joint forces (17) and the
    contact forces (13 x 6); gymnasium adds the bodies' inertias and velocities, left out here (a smaller
    network input for CPU training; the reward never sees the observation)."""

    model = MODEL
    frame_skip = 5
    qpos_noise = 1e-2
    qvel_noise = 1e-2
    state_dim = NQ + NV + 1
    obs_dim = NQ - 2 + NV + (NV - 6) + BODIES * 6
    action_dim = MODEL.nu
    max_episode_steps = 1000

    def x_position(self) -> torch.Tensor:
        xipos = self.physics.read("xipos")[:, :, 0]
        return (xipos * torch.as_tensor(MASS, dtype=xipos.dtype, device=xipos.device)).sum(dim=1) / MASS.sum()

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "x_velocity": StateVar((), "forward velocity of the centre of mass over the last step, m/s"),
            "torso_position": StateVar((3,), "torso x, y, z, m (z is 1.4 standing)"),
            "torso_orientation": StateVar((4,), "torso orientation quaternion (w, x, y, z); (1, 0, 0, 0) upright"),
            "torso_angular_velocity": StateVar((3,), "torso angular velocity, rad/s"),
            "joint_angles": StateVar((17,), "abdomen (3), hips (3 each), knees, shoulders (2 each), elbows, rad"),
            "joint_velocities": StateVar((17,), "those joints' angular velocities, rad/s"),
            "contact_forces": StateVar((BODIES * 6,), "external contact force and torque on each body, N and N m"),
            "controls": StateVar((17,), "the actuators' controls, each in [-0.4, 0.4]"),
            "healthy": StateVar((), "1.0 while the torso is between 1.0 and 2.0 m high"),
            "success": StateVar((), "forward distance of the centre of mass since the episode began, m (the fitness)"),
        }

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        qpos, qvel = self.qpos(), self.qvel()
        healthy = (qpos[:, 2] > MIN_HEIGHT) & (qpos[:, 2] < MAX_HEIGHT)
        return {
            "x_velocity": self.x_velocity(),
            "torso_position": qpos[:, 0:3],
            "torso_orientation": qpos[:, 3:7],
            "torso_angular_velocity": qvel[:, 3:6],
            "joint_angles": qpos[:, 7:],
            "joint_velocities": qvel[:, 6:],
            "contact_forces": self.contact_forces(),
            "controls": self.controls(),
            "healthy": healthy.float(),
            "success": self.distance(),
        }

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["healthy"] < 0.5

    def observations(self) -> torch.Tensor:
        actuator = self.tensor(self.physics.read("qfrc_actuator")[:, 6:])
        return torch.cat((self.qpos()[:, 2:], self.qvel(), actuator, self.contact_forces()), dim=1)


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    x_velocity: torch.Tensor, healthy: torch.Tensor, controls: torch.Tensor, contact_forces: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """gymnasium's Humanoid-v5 reward: forward velocity of the centre of mass and a healthy bonus, minus control
    and contact costs (the contact cost capped at 10)."""
    components = {
        "forward": 1.25 * x_velocity,
        "healthy": 5.0 * healthy,
        "control": -0.1 * (controls**2).sum(dim=1),
        "contact": -(5e-7 * (contact_forces**2).sum(dim=1)).clamp(max=10.0),
    }
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    side_view(MODEL, ax, s)
