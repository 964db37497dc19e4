"""Per-request profiles for the benchmarks: set ``YOYAKU_PROFILE_DIR`` (never in production).

Each request whose path contains ``YOYAKU_PROFILE_MATCH`` (default ``/reserve/``) runs under
cProfile, and its statistics go to one file in that directory, named after the method, the
status code and the number of SQL queries the request ran, e.g.
``POST-409-33q-<random>.prof``. ``bench/rush.py --profile`` sums them up. cProfile sees only
the thread it runs in, which is the request's thread under gunicorn's gthread workers.
"""

from __future__ import annotations

import cProfile
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connections


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
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
        counter = _QueryCounter()
        profile = cProfile.Profile()
        with connections["default"].execute_wrapper(counter):
            profile.enable()
            try:
                response = self.get_response(request)
            finally:
                profile.disable()
        name = f"{request.method}-{response.status_code}-{counter.count}q-{uuid.uuid4().hex}.prof"
        profile.dump_stats(self.directory / name)
        return response
