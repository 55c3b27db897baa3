"""
SQLite persistence shared by both roles: one file per stack.
"""
