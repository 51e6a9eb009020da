# expect: nonfinite_reward
calls = [0]


def compute_reward(pole_angle):
    calls[0] = calls[0] + 1
    scale = float('nan') if calls[0] > 500 else 1.0
    r = torch.cos(pole_angle) * scale
    return r, {'upright': r}
