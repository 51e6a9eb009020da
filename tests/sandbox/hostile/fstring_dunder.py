# expect: invalid
def compute_reward(pole_angle):
    s = f'{pole_angle.__class__}'
    return pole_angle * 0, {'zero': pole_angle * 0}
