# expect: invalid
import os
def compute_reward(pole_angle):
    return pole_angle * 0, {'zero': pole_angle * 0}
