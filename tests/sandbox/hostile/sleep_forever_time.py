# expect: invalid
import time
def compute_reward(pole_angle):
    time.sleep(10**9)
    return pole_angle * 0, {'zero': pole_angle * 0}
