# expect: ok
# float16 values near its largest (65504): a float16 sum of them overflows at once.
def compute_reward(pole_angle):
    half = (torch.ones_like(pole_angle) * 60000).to(torch.float16)
    return pole_angle, {'half': half}
