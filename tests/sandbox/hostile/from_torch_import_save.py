# expect: invalid
from torch import save
def compute_reward(pole_angle):
    return pole_angle, {'zero': pole_angle * 0}
