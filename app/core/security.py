"""Security headers and safe redirects."""

from urllib.parse import urlsplit

from flask import Flask, current_app, request


def is_safe_path(target: str | None) -> bool:
    """Only paths of this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and all(ord(c) >= 32 for c in target)


def safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_path(target) else default


def _tile_origin() -> str:
    url = current_app.config.get("TILE_URL") or ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme and parts.netloc:
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
        return f" {parts.scheme}://{host}"
    return ""


def add_security_headers(response):
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{_tile_origin()}; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)
