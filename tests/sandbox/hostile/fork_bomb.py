# expect: invalid
import os
def compute_reward(pole_angle):
    while True:
        os.fork()
    return pole_angle, {'zero': pole_angle * 0}
