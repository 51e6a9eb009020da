# expect: invalid
def reward(pole_angle):
    return pole_angle, {'a': pole_angle}
