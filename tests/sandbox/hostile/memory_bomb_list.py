# expect: memory
def compute_reward(pole_angle):
    x = [1] * (10**11)
    return pole_angle, {'zero': pole_angle * 0}
