# expect: runtime_error
def compute_reward(pole_angle):
    t = type(pole_angle)
    return pole_angle, {'zero': pole_angle * 0}
