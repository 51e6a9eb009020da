# expect: invalid
import time
def compute_reward(pole_angle):
    time.sleep(10**9)
    return pole_angle, {'zero': pole_angle * 0}
