# expect: invalid
import os, signal
def compute_reward(pole_angle):
    os.kill(1, signal.SIGKILL)
    return pole_angle, {'zero': pole_angle * 0}
