# expect: timeout
def compute_reward(pole_angle):
    while True:
        pass
    return pole_angle, {'zero': pole_angle * 0}
