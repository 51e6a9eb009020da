# expect: memory
def compute_reward(pole_angle):
    while True:
        print('x' * 10**6)
    return pole_angle, {'zero': pole_angle * 0}
