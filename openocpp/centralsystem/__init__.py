"""
The Central System role: a listening server, one proxy per connected charge
point, and handlers for every request charge points send.
"""
