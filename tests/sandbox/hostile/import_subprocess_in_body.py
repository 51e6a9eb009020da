# expect: invalid
def compute_reward(pole_angle):
    import subprocess
    subprocess.run(['id'])
    return pole_angle, {'zero': pole_angle * 0}
