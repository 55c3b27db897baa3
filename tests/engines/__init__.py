"""
Throwaway database and bus engines (PostgreSQL, Redis, HAProxy) that tests
start themselves, on loopback, in temporary folders.
"""
