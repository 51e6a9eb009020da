# expect: runtime_error
# SystemExit(0) is not an Exception: it once ended the worker without a result ("killed").
def compute_reward(pole_angle):
    raise SystemExit(0)
