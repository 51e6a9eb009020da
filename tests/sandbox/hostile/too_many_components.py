# expect: invalid
def compute_reward(pole_angle):
    zero = pole_angle * 0
    return zero, {f'c{i}': zero for i in range(1000)}
