# expect: invalid
def compute_reward(pole_angle):
    x = torch.load('/etc/passwd')
    return pole_angle, {'zero': pole_angle * 0}
