# expect: ok
# Finite but near float32's largest value: the per-epoch statistics must not overflow to inf.
def compute_reward(pole_angle):
    big = torch.ones_like(pole_angle) * 3e38
    return pole_angle, {'big': big, 'also_big': -big}
