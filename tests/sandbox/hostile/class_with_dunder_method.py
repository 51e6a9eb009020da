# expect: invalid
class Evil:
    def __init__(self):
        pass
def compute_reward(pole_angle):
    return pole_angle, {'zero': pole_angle * 0}
