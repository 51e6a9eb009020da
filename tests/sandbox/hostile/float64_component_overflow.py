# expect: nonfinite_reward
# Finite float64 values whose sum over an epoch's steps overflows float64: a status naming the component.
def compute_reward(pole_angle):
    huge = pole_angle.double() * 0 + 1.5e308
    return pole_angle, {'huge': huge}
