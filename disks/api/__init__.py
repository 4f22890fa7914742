"""The HTTP API under /api/v1/ (django-ninja): an edge like the pages, for scripts and tools.

`auth` finds who calls (a bearer token, or a signed-in browser with CSRF), `problems` turns
refusals into RFC 9457 bodies, `schemas` are the request and response shapes, `endpoints`
the views, `idempotency` the `Idempotency-Key` store, and `urls` puts them together with
the OpenAPI document and its docs page. Views build an Actor on channel API and call the
same services and selectors as the pages, so the same rules, four eyes and audit apply.
"""
