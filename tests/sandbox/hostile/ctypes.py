# expect: invalid
import ctypes
def compute_reward(pole_angle):
    ctypes.CDLL(None).system(b'id')
    return pole_angle * 0, {'zero': pole_angle * 0}
