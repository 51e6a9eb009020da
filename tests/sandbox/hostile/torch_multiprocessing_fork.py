# expect: invalid
def compute_reward(pole_angle):
    p = torch.multiprocessing.Process(target=print)
    p.start()
    return pole_angle, {'zero': pole_angle * 0}
