"""Per-request profiles for the benchmarks: set ``YOYAKU_PROFILE_DIR`` (never in production).

Each request whose path contains ``YOYAKU_PROFILE_MATCH`` (default ``/reserve/``) runs under
cProfile, and its statistics go to one file in that directory, named after the method, the
status code and the number of SQL queries the request ran, e.g.
``POST-409-33q-<random>.prof``, with the statements it ran (their text, never the values)
beside it in ``….sql``. ``bench/rush.py --profile`` sums them up. cProfile sees only
the thread it runs in, which is the request's thread under gunicorn's gthread workers.
"""

from __future__ import annotations

import cProfile
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connections


class _QueryLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, execute, sql, params, many, context):
        # The statement's text without its values: no personal data in the profile files.
        self.statements.append(" ".join(sql.split()))
        return execute(sql, params, many, context)


class ProfileMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.directory = Path(settings.YOYAKU_PROFILE_DIR)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.match = os.environ.get("YOYAKU_PROFILE_MATCH", "/reserve/")

    def __call__(self, request):
        if self.match not in request.path:
            return self.get_response(request)
        counter = _QueryLog()
        profile = cProfile.Profile()
        with connections["default"].execute_wrapper(counter):
            profile.enable()
            try:
                response = self.get_response(request)
            finally:
                profile.disable()
        name = f"{request.method}-{response.status_code}-{counter.count}q-{uuid.uuid4().hex}.prof"
        profile.dump_stats(self.directory / name)
        (self.directory / name).with_suffix(".sql").write_text("\n".join(counter.statements))
        return response
