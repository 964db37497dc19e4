from __future__ import annotations

from django_tasks import task

from yoyaku.security import services


@task()
def security_daily() -> int:
    return services.login_attempts_purge()
