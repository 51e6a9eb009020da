# expect: invalid
def compute_reward(pole_angle):
    torch.utils.cpp_extension.load_inline('x', 'int x;')
    return pole_angle, {'zero': pole_angle * 0}
