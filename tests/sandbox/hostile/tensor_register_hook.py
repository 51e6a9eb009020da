# expect: invalid
def compute_reward(pole_angle):
    pole_angle.register_hook(print)
    return pole_angle, {'zero': pole_angle * 0}
