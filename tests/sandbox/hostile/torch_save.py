# expect: invalid
def compute_reward(pole_angle):
    torch.save(pole_angle, '/tmp/eureka_hostile_marker')
    return pole_angle, {'zero': pole_angle * 0}
