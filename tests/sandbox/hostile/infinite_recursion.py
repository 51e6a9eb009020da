# expect: runtime_error
def deeper(n):
    return deeper(n + 1)


def compute_reward(pole_angle):
    deeper(0)
    return pole_angle, {'zero': pole_angle * 0}
