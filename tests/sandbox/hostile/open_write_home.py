# expect: runtime_error
def compute_reward(pole_angle):
    open('/root/eureka_hostile_marker', 'w').write('x')
    return pole_angle, {'zero': pole_angle * 0}
