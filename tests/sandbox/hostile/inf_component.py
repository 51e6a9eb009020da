# expect: nonfinite_reward
def compute_reward(pole_angle):
    ok = pole_angle * 0
    bad = ok + float('inf')
    return ok, {'ok': ok, 'bad': bad}
