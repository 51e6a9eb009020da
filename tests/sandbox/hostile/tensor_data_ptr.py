# expect: invalid
def compute_reward(pole_angle):
    p = pole_angle.data_ptr()
    return pole_angle, {'zero': pole_angle * 0}
