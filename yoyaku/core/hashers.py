"""Password hashing sized for the 8:00 rush.

Django's Argon2 default (100 MiB, 8 lanes) costs about 140 ms of a core per log-in here, so a
few hundred people logging in at once queue for seconds. Argon2id at OWASP's recommended
minimum (19 MiB, 2 passes, 1 lane) costs about 20 ms and still makes each guess of an offline
attacker expensive in memory. The algorithm name stays ``argon2``: a hash made with other
parameters is still checked, and Django re-hashes it with these at the person's next log-in
(``must_update``), so old hashes are upgraded without anyone noticing.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class RushArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
