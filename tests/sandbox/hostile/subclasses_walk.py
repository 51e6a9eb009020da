# expect: invalid
def compute_reward(pole_angle):
    classes = ().__class__.__bases__[0].__subclasses__()
    return pole_angle, {'zero': pole_angle * 0}
