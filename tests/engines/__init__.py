"""
The engines the cluster tests start for themselves, on loopback, in
temporary folders they remove: PostgreSQL, Redis and HAProxy (Debian's
packages, which C{.ci/engines} installs when missing).
"""
