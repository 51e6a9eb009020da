# expect: invalid
def compute_reward(pole_angle):
    torch.exp = print
    return pole_angle, {'zero': pole_angle * 0}
