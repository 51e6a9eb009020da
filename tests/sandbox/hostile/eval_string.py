# expect: invalid
def compute_reward(pole_angle):
    eval('1 + 1')
    return pole_angle * 0, {'zero': pole_angle * 0}
