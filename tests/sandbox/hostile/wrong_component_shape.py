# expect: invalid
def compute_reward(pole_angle):
    return pole_angle, {'col': pole_angle[:, None]}
