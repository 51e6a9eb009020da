# expect: invalid
import socket
def compute_reward(pole_angle):
    s = socket.create_connection(('127.0.0.1', 47123))
    return pole_angle, {'zero': pole_angle * 0}
