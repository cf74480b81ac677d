"""gunicorn's settings: the Dockerfile runs `gunicorn --config gunicorn.conf.py config.wsgi`.

In docker-compose.yml gunicorn sits behind the nginx proxy and is reachable only on the compose
network; a command-line option still overrides anything here."""

import os

import gunicorn.http.wsgi

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))

# gunicorn bounds a request's head (limit_request_line, _fields, _field_size: defaults kept) but
# has no setting for its body: config.middleware.RequestBodyLimitMiddleware answers 413 on the
# Content-Length before reading, and the proxy (deploy/nginx/proxy.conf, client_max_body_size)
# stops at the same size.

# Django alone decides whether a request came over https (SECURE_PROXY_SSL_HEADER, believed
# only behind TRUSTED_PROXY_COUNT proxies). gunicorn's own reading of X-Forwarded-Proto (trusted
# from 127.0.0.1 by default) would make a spoofed header count again.
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = ""


def _without_server_header(default_headers):
    def headers(self):
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    return headers


# gunicorn has no setting for its `Server: gunicorn` header (gunicorn/http/wsgi.py writes it in
# Response.default_headers); this file runs in the master before the workers fork, so they all
# answer without it. tests/config/test_gunicorn.py runs the real server and checks.
gunicorn.http.wsgi.Response.default_headers = _without_server_header(
    gunicorn.http.wsgi.Response.default_headers
)
