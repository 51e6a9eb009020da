# expect: runtime_error
def compute_reward(pole_angle):
    save = getattr(torch, 'save')
    return pole_angle, {'zero': pole_angle * 0}
