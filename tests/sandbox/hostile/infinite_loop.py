# expect: timeout
def compute_reward(pole_angle):
    while True:
        pass
    return pole_angle * 0, {'zero': pole_angle * 0}
