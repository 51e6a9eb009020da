# expect: memory
def compute_reward(pole_angle):
    x = torch.zeros(10**11)
    return pole_angle, {'zero': pole_angle * 0}
