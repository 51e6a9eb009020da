# expect: invalid
def compute_reward(pole_angle):
    x = torch.float32.to_complex().is_signed
    y = math.pi.hex
    z = [].copy.__self__
    return pole_angle, {'zero': pole_angle * 0}
