# expect: invalid
def compute_reward(pole_angle):
    eval('1 + 1')
    return pole_angle, {'zero': pole_angle * 0}
