# expect: invalid
def compute_reward(pole_angle):
    s = pole_angle.storage()
    return pole_angle, {'zero': pole_angle * 0}
