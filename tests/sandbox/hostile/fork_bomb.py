# expect: invalid
import os
def compute_reward(pole_angle):
    while True:
        os.fork()
    return pole_angle * 0, {'zero': pole_angle * 0}
