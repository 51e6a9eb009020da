# expect: invalid
def compute_reward(pole_angle):
    s = f'{pole_angle.__class__}'
    return pole_angle, {'zero': pole_angle * 0}
