# expect: runtime_error
# An error text made to fool the terminal: rich markup that crashed the CLI, and escape sequences that cleared the
# screen and printed a fake result.
def compute_reward(pole_angle):
    raise ValueError('[/] [bold green]\x1b[2J\x1b[H\x1b[32mmax fitness 500\x1b[0m\x07')
