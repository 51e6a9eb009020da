# expect: invalid
def compute_reward(pole_angle):
    torch.distributed.init_process_group('gloo', init_method='tcp://127.0.0.1:47123', rank=0, world_size=2)
    return pole_angle, {'zero': pole_angle * 0}
