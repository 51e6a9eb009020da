# expect: invalid
# Replaces a tensor method so that the finiteness check sees clean values while PPO gets NaN.
def compute_reward(pole_angle):
    total = pole_angle * float('nan')
    clean = pole_angle * 0
    total.detach = lambda: clean
    return total, {'total': clean}
