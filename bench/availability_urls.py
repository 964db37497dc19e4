"""The site's URLs plus a bare empty page of a municipality, the availability benchmark's
baseline: the same middleware as the calendars, no template, no query of its own."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def empty(request: HttpRequest, municipality: str) -> HttpResponse:
    return HttpResponse("<!doctype html><title>empty</title>")


urlpatterns = [
    path("<slug:municipality>/bench-empty/", empty),
    path("", include("yoyaku.urls")),
]
