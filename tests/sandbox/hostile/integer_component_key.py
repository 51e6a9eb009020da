# expect: invalid
def compute_reward(pole_angle):
    zero = pole_angle * 0
    return zero, {0: zero}
