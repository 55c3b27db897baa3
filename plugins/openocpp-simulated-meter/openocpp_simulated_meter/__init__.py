"""
An openocpp charge point plugin: a simulated three-phase meter.
"""
