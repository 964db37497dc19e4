"""A local-only page to read the mails `make run` writes to var/mail/ (DEBUG only)."""

from __future__ import annotations

import ipaddress
from email import message_from_bytes, policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _allowed(request: HttpRequest) -> bool:
    if not settings.DEBUG or not getattr(settings, "EMAIL_FILE_PATH", None):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def read_mails(folder: Path, limit: int = 50) -> list[dict]:
    mails = []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files:
        for chunk in reversed(path.read_bytes().split(SEPARATOR)):
            if not chunk.strip():
                continue
            message = message_from_bytes(chunk, policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            mails.append(
                {
                    "subject": message["subject"],
                    "to": message["to"],
                    "date": message["date"],
                    "text": body.get_content() if body else "",
                }
            )
            if len(mails) >= limit:
                return mails
    return mails


def mailbox(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404("not available")
    folder = Path(settings.EMAIL_FILE_PATH)
    mails = read_mails(folder) if folder.exists() else []
    return render(request, "core/devmail.html", {"mails": mails})
