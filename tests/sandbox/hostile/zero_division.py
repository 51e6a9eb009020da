# expect: runtime_error
def compute_reward(pole_angle):
    x = 1 / 0
    return pole_angle, {'zero': pole_angle * 0}
