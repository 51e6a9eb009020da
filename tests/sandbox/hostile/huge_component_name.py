# expect: invalid
# A 20 MB component name, stored per epoch, once became 315 MB on the host's disk.
def compute_reward(pole_angle):
    zero = pole_angle * 0
    return zero, {'x' * 20_000_000: zero}
