"""What every operation of the API shares: the API class (problem details, ETags, the OpenAPI
document), pagination and the per-address rate limit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from ninja import NinjaAPI, Schema
from ninja.renderers import JSONRenderer
from ninja.throttling import SimpleRateThrottle
from pydantic import Field

from yoyaku.api.errors import PROBLEM_TYPE
from yoyaku.security.services import client_ip, client_network

SAFE = ("GET", "HEAD")
PAGE_MAX = 100
# Deep offsets are refused rather than run: no list of the API is that long.
OFFSET_MAX = 10_000


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A public read gets a strong ETag of its body; a matching If-None-Match gets 304."""
    if request.method not in SAFE or response.status_code != 200 or response.streaming:
        return response
    etag = etag_of(response.content)
    response["ETag"] = etag
    # Caches keep the body but ask again each time: the ETag makes asking cheap.
    response["Cache-Control"] = "no-cache"
    wanted = request.headers.get("If-None-Match", "")
    if wanted and (wanted.strip() == "*" or etag in parse_etags(wanted)):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = etag
        not_modified["Cache-Control"] = "no-cache"
        return not_modified
    return response


class Renderer(JSONRenderer):
    """JSON as UTF-8 text: Japanese stays readable in the body."""

    json_dumps_params = {"ensure_ascii": False}


class YoyakuAPI(NinjaAPI):
    """NinjaAPI with problem details as the media type of refusals, ETags on reads, and an
    OpenAPI document that says both."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if response.status_code >= 400:
            response["Content-Type"] = PROBLEM_TYPE
            return response
        return conditional(request, response)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                # ninja keys its responses by int, openapi_extra by str: one key per status.
                responses: dict[str, dict] = {}
                for status, response in operation.get("responses", {}).items():
                    responses.setdefault(str(status), {}).update(response)
                operation["responses"] = responses
                for status in ("422", "429"):
                    responses.setdefault(status, {"description": "Problem details"})
                for status, response in responses.items():
                    if int(status) >= 400:
                        response["content"] = problem
                        if status == "429":
                            response["headers"] = {
                                "Retry-After": {
                                    "description": "Seconds to wait",
                                    "schema": {"type": "integer"},
                                }
                            }
                ok = responses.get("200")
                if ok is not None:
                    ok["headers"] = {
                        "ETag": {"description": "Strong entity tag", "schema": {"type": "string"}}
                    }
                    responses.setdefault("304", {"description": "Not Modified (If-None-Match)"})
        return schema


class PageParams(Schema):
    """limit / offset paging of every list."""

    limit: int = Field(50, ge=1, le=PAGE_MAX, description=f"items per page (1–{PAGE_MAX})")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="items skipped")


def page(items, params: PageParams) -> dict:
    """One page of a query set or list: the items, the total count, and the paging asked."""
    count = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    return {
        "items": list(items[params.offset : params.offset + params.limit]),
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
    }


class AddressThrottle(SimpleRateThrottle):
    """Requests per client address (IPv4, or the IPv6 /64), as the log-in throttle counts them,
    behind trusted proxies only. The rate is ``settings.YOYAKU_API_RATE`` (read at each request);
    the counts live in Django's cache (shared through Redis when ``REDIS_URL`` is set, else per
    process in local memory)."""

    scope = "address"

    def __init__(self) -> None:
        super().__init__(rate=settings.YOYAKU_API_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        network = client_network(client_ip(request))
        return self.cache_format % {"scope": self.scope, "ident": network}

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.YOYAKU_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)
