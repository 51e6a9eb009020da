# expect: invalid
def compute_reward(pole_angle):
    os = __import__('os')
    os.system('id')
    return pole_angle, {'zero': pole_angle * 0}
