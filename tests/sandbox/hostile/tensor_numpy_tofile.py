# expect: invalid
def compute_reward(pole_angle):
    pole_angle.numpy().tofile('/tmp/eureka_hostile_marker')
    return pole_angle, {'zero': pole_angle * 0}
