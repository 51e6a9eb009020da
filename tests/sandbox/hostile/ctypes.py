# expect: invalid
import ctypes
def compute_reward(pole_angle):
    ctypes.CDLL(None).system(b'id')
    return pole_angle, {'zero': pole_angle * 0}
