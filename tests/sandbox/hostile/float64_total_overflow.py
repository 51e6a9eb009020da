# expect: nonfinite_reward
# A finite float64 total beyond float32's range: PPO would get inf.
def compute_reward(pole_angle):
    total = pole_angle.double() * 0 + 1e300
    return total, {'total': total}
