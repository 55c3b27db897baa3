"""Tests of the packaging: the version, the wheels, the example plugins."""
