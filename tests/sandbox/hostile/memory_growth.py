# expect: memory
hoard = []


def compute_reward(pole_angle):
    while True:
        hoard.append(torch.ones(10**7))
    return pole_angle, {'zero': pole_angle * 0}
