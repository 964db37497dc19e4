"""Writes of the core domain: audit entries, notices, maintenance windows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import nh3
from django.conf import settings
from django.db import connection, transaction

from yoyaku.core import clock
from yoyaku.core.audit_channel import current_channel
from yoyaku.core.errors import DomainError
from yoyaku.core.models import (
    AuditAction,
    AuditLog,
    AuditVia,
    MaintenanceWindow,
    Municipality,
    Notice,
    User,
)

# What staff may use in a notice: text structure and links, nothing that runs or styles.
NOTICE_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "h3", "h4"}
NOTICE_ATTRIBUTES = {"a": {"href", "title"}}


def sanitize_notice_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=NOTICE_TAGS,
        attributes=NOTICE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def _via(actor: User | None, via: AuditVia | None) -> AuditVia:
    """The channel, when the caller does not name it: no actor is a job, staff act in the
    console, anyone else on the citizen pages. The API and webhooks name themselves, or serve
    their request inside ``audit_channel``."""
    if via is not None:
        return via
    if (channel := current_channel()) is not None:
        return channel
    if actor is None:
        return AuditVia.JOB
    return AuditVia.STAFF if actor.is_staff else AuditVia.CITIZEN


def audit_record(
    *,
    action: AuditAction,
    actor: User | None = None,
    municipality: Municipality | None = None,
    target: Any = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
    via: AuditVia | None = None,
) -> AuditLog:
    """Append one audit row. Call it inside the transaction of the change it records."""
    return AuditLog.objects.create(
        at=clock.now(),
        actor=actor,
        municipality=municipality,
        action=AuditAction(action),
        via=_via(actor, via),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


def audit_record_many(
    *,
    action: AuditAction,
    actor: User | None,
    municipality: Municipality | None,
    target_type: str,
    target_ids: Iterable[Any],
    data: dict[str, Any] | None = None,
) -> int:
    """One audit row per target, written in bulk: the documented bulk paths (the drawing) move
    thousands of rows at once and still leave a row for each.

    The rows differ only in ``target_id``, so on PostgreSQL and SQLite one ``INSERT … SELECT``
    expands a JSON array of the ids in the database: 100,000 rows are one statement and no
    model instance (``bulk_create`` built and quoted each row in Python: seconds per 100,000).
    Other databases get ``bulk_create``."""
    ids = [str(target_id) for target_id in target_ids]
    if not ids:
        return 0
    values = {
        "at": clock.now(),
        "actor": actor.pk if actor is not None else None,
        "municipality": municipality.pk if municipality is not None else None,
        "action": AuditAction(action).value,
        "via": _via(actor, None).value,
        "target_type": target_type,
        "data": data or {},
    }
    expand = _JSON_ARRAY_ROWS.get(connection.vendor)
    if expand is None:
        AuditLog.objects.bulk_create(
            [
                AuditLog(
                    **{
                        f"{name}_id" if name in ("actor", "municipality") else name: value
                        for name, value in values.items()
                    },
                    target_id=target_id,
                )
                for target_id in ids
            ],
            batch_size=1000,
        )
        return len(ids)
    fields = [AuditLog._meta.get_field(name) for name in values]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*fields, AuditLog._meta.get_field("target_id")])
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    sql = (
        f"INSERT INTO {quote(AuditLog._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(['%s'] * len(params))}, ids.value FROM {expand} AS ids"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _AUDIT_ROWS_PER_STATEMENT):
            chunk = json.dumps(ids[start : start + _AUDIT_ROWS_PER_STATEMENT])
            cursor.execute(sql, [*params, chunk])
    return len(ids)


# The set-returning function that turns a JSON array of text into rows with a ``value`` column.
_JSON_ARRAY_ROWS = {
    "postgresql": "jsonb_array_elements_text(%s::jsonb)",
    "sqlite": "json_each(%s)",
}
_AUDIT_ROWS_PER_STATEMENT = 50_000


@transaction.atomic
def notice_publish(
    *,
    municipality: Municipality,
    by: User | None,
    title: str,
    body: str,
    published_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    is_important: bool = False,
) -> Notice:
    """Publish a notice on the municipality's top page; the body is sanitised before storing."""
    title = title.strip()
    if not title:
        raise DomainError("notice_title_required")
    published_at = published_at or clock.now()
    if expires_at is not None and expires_at <= published_at:
        raise DomainError("notice_expiry_before_publish")
    notice = Notice.objects.create(
        municipality=municipality,
        title=title,
        body=sanitize_notice_html(body),
        published_at=published_at,
        expires_at=expires_at,
        is_important=is_important,
        created_by=by,
    )
    audit_record(
        action=AuditAction.NOTICE_PUBLISH, actor=by, municipality=municipality, target=notice
    )
    return notice


@transaction.atomic
def notice_update(
    *,
    notice: Notice,
    by: User | None,
    title: str,
    body: str,
    published_at: dt.datetime,
    expires_at: dt.datetime | None,
    is_important: bool,
) -> Notice:
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    title = title.strip()
    if not title:
        raise DomainError("notice_title_required")
    if expires_at is not None and expires_at <= published_at:
        raise DomainError("notice_expiry_before_publish")
    notice.title = title
    notice.body = sanitize_notice_html(body)
    notice.published_at = published_at
    notice.expires_at = expires_at
    notice.is_important = is_important
    notice.save(
        update_fields=["title", "body", "published_at", "expires_at", "is_important", "updated_at"]
    )
    audit_record(
        action=AuditAction.NOTICE_UPDATE, actor=by, municipality=notice.municipality, target=notice
    )
    return notice


@transaction.atomic
def notice_withdraw(*, notice: Notice, by: User | None) -> None:
    """End a notice's publication now (kept for the record, no longer shown)."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    notice.expires_at = clock.now()
    notice.save(update_fields=["expires_at", "updated_at"])
    audit_record(
        action=AuditAction.NOTICE_WITHDRAW,
        actor=by,
        municipality=notice.municipality,
        target=notice,
    )


@transaction.atomic
def maintenance_schedule(
    *,
    municipality: Municipality | None,
    by: User | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    scope: str = MaintenanceWindow.Scope.WRITES,
    message: str = "",
) -> MaintenanceWindow:
    """Announce a maintenance stop; ``municipality=None`` stops every municipality."""
    if ends_at <= starts_at:
        raise DomainError("maintenance_window_order")
    window = MaintenanceWindow.objects.create(
        municipality=municipality,
        starts_at=starts_at,
        ends_at=ends_at,
        scope=scope,
        message=message.strip(),
        created_by=by,
    )
    audit_record(
        action=AuditAction.MAINTENANCE_SCHEDULE,
        actor=by,
        municipality=municipality,
        target=window,
        data={"scope": scope, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def maintenance_end_now(*, window: MaintenanceWindow, by: User | None) -> MaintenanceWindow:
    """Finish a running (or cancel a future) maintenance window."""
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    now = clock.now()
    if window.ends_at <= now:
        raise DomainError("maintenance_already_over")
    if window.starts_at >= now:
        audit_record(
            action=AuditAction.MAINTENANCE_CANCEL,
            actor=by,
            municipality=window.municipality,
            target=window,
        )
        window.delete()
        return window
    window.ends_at = now
    window.save(update_fields=["ends_at"])
    audit_record(
        action=AuditAction.MAINTENANCE_END,
        actor=by,
        municipality=window.municipality,
        target=window,
    )
    return window


def user_language_set(*, user: User, language: str) -> bool:
    """Record the language ``user`` reads their mails and LINE messages in (one of
    ``settings.LANGUAGES``); an unknown code is ignored. Returns whether it changed."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return False
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
    return True
