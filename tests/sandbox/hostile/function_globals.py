# expect: invalid
def compute_reward(pole_angle):
    g = compute_reward.__globals__
    return pole_angle, {'zero': pole_angle * 0}
