# expect: runtime_error
def compute_reward(pole_angle):
    open('/tmp/eureka_canary.txt', 'w').write('pwned')
    return pole_angle, {'zero': pole_angle * 0}
