"""
An example openocpp plugin: authorize id tags listed in a text file.
"""
