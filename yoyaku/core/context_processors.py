from __future__ import annotations

FONT_SIZES = ("small", "medium", "large")
FONT_SIZE_COOKIE = "yoyaku_font_size"


def font_size_of(request) -> str:
    value = request.COOKIES.get(FONT_SIZE_COOKIE, "medium")
    return value if value in FONT_SIZES else "medium"


def site(request) -> dict:
    return {
        "font_size": font_size_of(request),
        "municipality": getattr(request, "municipality", None),
        "service_status": getattr(request, "service_status", None),
    }
