# expect: invalid
def compute_reward(pole_angle):
    b = __builtins__
    return pole_angle * 0, {'zero': pole_angle * 0}
