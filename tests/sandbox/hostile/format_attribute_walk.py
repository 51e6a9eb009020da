# expect: invalid
def compute_reward(pole_angle):
    s = '{0.__class__.__init__.__globals__}'.format(pole_angle)
    return pole_angle, {'zero': pole_angle * 0}
