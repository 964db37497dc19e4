from __future__ import annotations

from django_tasks import task

from yoyaku.security import services


@task()
def security_daily() -> dict[str, int]:
    return {
        "login_attempts_purged": services.login_attempts_purge(),
        "action_attempts_purged": services.action_attempts_purge(),
    }
