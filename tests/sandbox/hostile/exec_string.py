# expect: invalid
def compute_reward(pole_angle):
    exec('import os')
    return pole_angle, {'zero': pole_angle * 0}
