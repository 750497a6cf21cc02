"""Browser sessions: the access service's session token in an HttpOnly cookie, and the
CSRF defences every state-changing request from a browser must pass.

The cookie holds the same opaque token an API client sends as a bearer token, so signing
out (which ends the session in the access service) ends it everywhere. Script never sees
it. A request that rides on the cookie and changes something must come from this site
(its `Origin`, or failing that its `Referer`, is our own scheme and host) and carry the
CSRF token: an HMAC of the session token, which only a page we rendered can know.
"""
import hashlib
import hmac
from urllib.parse import urlsplit

from services.common.errors import Forbidden

COOKIE_NAME = "clep_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def session_cookie(request):
    value = request.cookies.get(COOKIE_NAME, "").strip()
    return value or None


def csrf_token(session_token):
    """The form token of a session; derived, so nothing has to be stored."""
    return hmac.new(session_token.encode(), b"clep-portal-csrf", hashlib.sha256).hexdigest()


def cookie_is_secure(config, request):
    """`SESSION_COOKIE_SECURE`: true, false, or auto (Secure when this request is HTTPS)."""
    setting = str(config.get("SESSION_COOKIE_SECURE", "auto")).strip().lower()
    if setting in ("true", "1", "yes"):
        return True
    if setting in ("false", "0", "no"):
        return False
    return request.scheme == "https"


def set_session_cookie(response, config, request, token):
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="Lax", path="/",
                        secure=cookie_is_secure(config, request))


def clear_session_cookie(response, config, request):
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax",
                           secure=cookie_is_secure(config, request))


def origin_of(url):
    parts = urlsplit(url or "")
    return "{}://{}".format(parts.scheme, parts.netloc).lower() if parts.scheme else None


def check_same_origin(request, public_url=None):
    """403 unless the request says it comes from a page of this site: the address it was
    sent to, or PUBLIC_URL (behind a TLS proxy the request itself arrives as http)."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    ours = {origin_of(request.host_url), origin_of(public_url)}
    if origin_of(source) is None or origin_of(source) not in ours:
        raise Forbidden("cross_site_request",
                        "This request did not come from a page of this site.")


def check_csrf(request, session_token, submitted=None, public_url=None):
    """For a state-changing request carried by the session cookie: same origin, and the
    CSRF token (a form field, or the X-CSRF-Token header for script) of this session."""
    check_same_origin(request, public_url)
    submitted = submitted or request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(submitted.encode(), csrf_token(session_token).encode()):
        raise Forbidden("csrf_token_invalid",
                        "This form has expired or did not come from this site; reload the "
                        "page and try again.")
