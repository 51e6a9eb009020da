# expect: invalid
def compute_reward(pole_angle):
    r = (pole_angle > 0).long()
    return r, {'sign': r}
