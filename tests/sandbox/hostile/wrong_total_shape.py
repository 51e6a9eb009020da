# expect: invalid
def compute_reward(pole_angle):
    r = pole_angle.sum()
    return r, {'sum': pole_angle}
