# expect: invalid
# Legacy storage classes reach uninitialised memory and from_file.
def compute_reward(pole_angle):
    storage_class = pole_angle.storage_type()
    return pole_angle, {'zero': pole_angle * 0}
