# expect: invalid
from typing import Any
def compute_reward(pole_angle):
    return pole_angle, {'zero': pole_angle * 0}
