"""Ant (gymnasium's ant.xml, v5 settings), the paper's Ant: a four-legged robot (a torso on a free joint, 8 hinge
joints, hips and ankles) that must run forward (+x) as fast as it can. Control step 0.05 s (5 physics steps of
0.01 s); episodes last 1000 steps and end when it is unhealthy: torso height outside [0.2, 1.0] m or a state
value not finite.
"""

import torch

from eureka.envs.contract import StateVar
from eureka_mujoco.locomotion import LocomotionEnv, load_model, side_view

MODEL = load_model("ant.xml")
NQ, NV = MODEL.nq, MODEL.nv  # 15: torso position (3), orientation quaternion (4), 8 joints; 14 velocities
BODIES = MODEL.nbody - 1  # 13 bodies besides the world
MIN_HEIGHT, MAX_HEIGHT = 0.2, 1.0  # m


class AntEnv(LocomotionEnv):
    """Batched Ant. Observation: qpos without x, y (13), qvel (14) and the contact forces clipped to [-1, 1]
    (13 x 6), as gymnasium's."""

    model = MODEL
    frame_skip = 5
    qpos_noise = 0.1
    qvel_noise = 0.1
    normal_qvel = True
    state_dim = NQ + NV + 1
    obs_dim = NQ - 2 + NV + BODIES * 6
    action_dim = MODEL.nu
    max_episode_steps = 1000

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "x_velocity": StateVar((), "forward velocity of the torso over the last step, m/s"),
            "y_velocity": StateVar((), "sideways velocity of the torso over the last step, m/s"),
            "torso_position": StateVar((3,), "torso x, y, z, m (z is 0.55 standing)"),
            "torso_orientation": StateVar((4,), "torso orientation quaternion (w, x, y, z); (1, 0, 0, 0) upright"),
            "torso_angular_velocity": StateVar((3,), "torso angular velocity, rad/s"),
            "joint_angles": StateVar((8,), "hip and ankle angles of the four legs, rad"),
            "joint_velocities": StateVar((8,), "those joints' angular velocities, rad/s"),
            "contact_forces": StateVar((BODIES * 6,), "external contact force and torque on each body, N and N m"),
            "actions": StateVar((8,), "the policy's joint torque commands, each in [-1, 1]"),
            "healthy": StateVar((), "1.0 while the torso is between 0.2 and 1.0 m high and the state finite"),
            "success": StateVar((), "forward distance travelled since the episode began, m (the fitness)"),
        }

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        qpos, qvel = self.qpos(), self.qvel()
        velocity = self.tensor((self.physics.read("xpos")[:, 1, :2] - self.xy_before) / self.dt)
        finite = torch.isfinite(torch.cat((qpos, qvel), dim=1)).all(dim=1)
        healthy = finite & (qpos[:, 2] >= MIN_HEIGHT) & (qpos[:, 2] <= MAX_HEIGHT)
        return {
            "x_velocity": velocity[:, 0],
            "y_velocity": velocity[:, 1],
            "torso_position": qpos[:, 0:3],
            "torso_orientation": qpos[:, 3:7],
            "torso_angular_velocity": qvel[:, 3:6],
            "joint_angles": qpos[:, 7:],
            "joint_velocities": qvel[:, 6:],
            "contact_forces": self.contact_forces(),
            "actions": actions,
            "healthy": healthy.float(),
            "success": self.distance(),
        }

    def x_position(self) -> torch.Tensor:
        return self.physics.read("xpos")[:, 1, 0]  # the torso body's position, as gymnasium measures it

    def physics_step(self, actions: torch.Tensor) -> None:
        self.xy_before = self.physics.read("xpos")[:, 1, :2].clone()  # gymnasium's velocity: the torso's xy change
        super().physics_step(actions)

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["healthy"] < 0.5

    def observations(self) -> torch.Tensor:
        forces = self.contact_forces().clamp(-1.0, 1.0)
        return torch.cat((self.qpos()[:, 2:], self.qvel(), forces), dim=1)


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    x_velocity: torch.Tensor, healthy: torch.Tensor, actions: torch.Tensor, contact_forces: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """gymnasium's Ant-v5 reward: forward velocity and a healthy bonus, minus control and contact costs."""
    components = {
        "forward": 1.0 * x_velocity,
        "healthy": 1.0 * healthy,
        "control": -0.5 * (actions**2).sum(dim=1),
        "contact": -5e-4 * (contact_forces.clamp(-1.0, 1.0) ** 2).sum(dim=1),
    }
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    side_view(MODEL, ax, s)
