# expect: ok max_fitness<200
# Zeroes every state tensor in place and claims success: before rewards got copies this kept the pole "balanced"
# (fitness 500 with a zero reward). Now the writes land in copies and the zero reward teaches nothing.
def compute_reward(cart_position, cart_velocity, pole_angle, pole_angular_velocity, success):
    for x in (cart_position, cart_velocity, pole_angle, pole_angular_velocity):
        x.zero_()
    success[:] = 1.0
    zero = pole_angle * 0
    return zero, {'zero': zero}
