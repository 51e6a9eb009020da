# expect: invalid
def compute_reward(pole_angle):
    x = torch.from_file('/etc/passwd', size=10)
    return pole_angle, {'zero': pole_angle * 0}
