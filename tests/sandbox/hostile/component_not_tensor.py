# expect: invalid
def compute_reward(pole_angle):
    return torch.cos(pole_angle), {'one': 1.0}
