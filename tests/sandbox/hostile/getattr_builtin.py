# expect: runtime_error
def compute_reward(pole_angle):
    save = getattr(torch, 'save')
    return pole_angle * 0, {'zero': pole_angle * 0}
