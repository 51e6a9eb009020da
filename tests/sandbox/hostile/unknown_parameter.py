# expect: invalid
def compute_reward(pole_tilt):
    return pole_tilt, {'tilt': pole_tilt}
