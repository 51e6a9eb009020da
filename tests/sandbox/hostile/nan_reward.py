# expect: nonfinite_reward
def compute_reward(pole_angle):
    r = pole_angle * float('nan')
    return r, {'nan': r}
