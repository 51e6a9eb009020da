# expect: ok max_fitness<200
# Zeroes every state tensor in place and claims success: before rewards got copies this kept the pole "balanced"
# (fitness 500 whatever the reward). Now the writes land in copies and a reward for tilting teaches falling over.
def compute_reward(cart_position, cart_velocity, pole_angle, pole_angular_velocity, success):
    tilt = pole_angle.abs()
    for x in (cart_position, cart_velocity, pole_angle, pole_angular_velocity):
        x.zero_()
    success[:] = 1.0
    return tilt, {'tilt': tilt}
