# expect: timeout
for _ in range(10**12):
    pass


def compute_reward(pole_angle):
    return pole_angle, {'zero': pole_angle * 0}
