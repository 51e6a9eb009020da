# expect: invalid
def compute_reward(pole_angle):
    import subprocess
    subprocess.run(['id'])
    return pole_angle * 0, {'zero': pole_angle * 0}
