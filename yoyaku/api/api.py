"""The API instance: /api/v1/, its OpenAPI document, its documentation page, its routers.

Authentication: every operation here is public (``auth=None``). Registrant and staff tokens
come as ninja auth classes (``HttpBearer`` subclasses) given to the routers that need them, so
the public routers stay as they are.
"""

from __future__ import annotations

from csp.decorators import csp_update
from ninja import Swagger

from yoyaku.api import (
    errors,
    idempotency,
    lottery,
    opendata,
    public,
    registrant_auth,
    registrant_me,
    staff,
)
from yoyaku.api.errors import Problem
from yoyaku.api.http import AddressThrottle, Renderer, YoyakuAPI

DESCRIPTION = """\
公共施設予約システム yoyaku の API（第1版）。施設・空き状況・お知らせ・抽選は誰でも読めます。

* Errors: RFC 9457 problem details (`application/problem+json`), `detail` in Japanese (the
  pages' text) and `detail_en` in English; `errors` names each invalid field.
* Lists: `limit` (1–100, default 50) and `offset`; the answer carries `count`.
* Reads carry an `ETag`; send it back as `If-None-Match` for a `304 Not Modified`.
* Rate limit per client address: `429` with `Retry-After`.
* Open data: `/api/v1/opendata/<municipality>/availability/<YYYY-MM>.csv` (CC BY 4.0).
"""

api = YoyakuAPI(
    title="yoyaku API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    # The bundled Swagger UI (ninja's static files, no CDN) with the site's policy: its only
    # script is a static file; Swagger UI sets styles from script, which a policy without
    # 'unsafe-inline' for styles blocks, so the documentation page alone allows them.
    docs=Swagger(settings={"validatorUrl": None, "defaultModelsExpandDepth": 0}),
    docs_decorator=csp_update({"style-src": ["'unsafe-inline'"]}),
    renderer=Renderer(),
    throttle=[AddressThrottle()],
    auth=None,
)
errors.install(api)
api.add_router("", public.router)
api.add_router("", lottery.router)
api.add_router("", opendata.router)
registrant_auth.install(api)
idempotency.install(api)
api.add_router("", registrant_me.router)
api.add_router("", staff.router)

# Problem is referenced by every operation's refusals; ninja registers it through the routers.
__all__ = ["Problem", "api"]
