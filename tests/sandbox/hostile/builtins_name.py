# expect: invalid
def compute_reward(pole_angle):
    b = __builtins__
    return pole_angle, {'zero': pole_angle * 0}
