# expect: invalid
def compute_reward(pole_angle):
    g = (x for x in [1])
    f = g.gi_frame
    return pole_angle, {'zero': pole_angle * 0}
