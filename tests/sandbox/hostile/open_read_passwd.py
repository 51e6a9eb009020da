# expect: runtime_error
def compute_reward(pole_angle):
    data = open('/etc/passwd').read()
    return pole_angle, {'zero': pole_angle * 0}
