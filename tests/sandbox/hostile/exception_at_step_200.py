# expect: runtime_error
calls = [0]


def compute_reward(pole_angle):
    calls[0] = calls[0] + 1
    if calls[0] == 200:
        raise ValueError('step 200 reached')
    return pole_angle, {'zero': pole_angle * 0}
