"""Rendering the portal's pages: Jinja2 templates (autoescaped) and asset URLs."""
import functools
import hashlib
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

ERROR_TITLES = {400: "The request could not be read", 403: "You cannot do that",
                404: "Page not found", 405: "Page not found", 409: "Not yet",
                413: "Too much data", 422: "That was already done", 429: "Too many attempts",
                500: "Sorry, something went wrong",
                503: "Sorry, the service is unavailable"}


@functools.lru_cache(maxsize=None)
def asset_url(name):
    """/static/<name>?v=<hash of its content>: cached for a week, never stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return "/static/{}?v={}".format(name, digest)


def money(cents):
    return "${:,.2f}".format((cents or 0) / 100)


def long_date(value):
    """2027-06-30 -> June 30, 2027."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return "{} {}, {}".format(value.strftime("%B"), value.day, value.year)


def number(value):
    return "{:,}".format(value or 0)


environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                          autoescape=select_autoescape(default=True, default_for_string=True),
                          trim_blocks=True, lstrip_blocks=True)
environment.globals["asset_url"] = asset_url
environment.filters.update(money=money, long_date=long_date, number=number)


def render(template, status=200, headers=None, **context):
    html = environment.get_template(template).render(**context)
    response = Response(html, status=status, headers=headers,
                        content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"  # pages show a person's own data
    return response


def error_page(status, message=None, retry_after=None, **context):
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return render("error.html", status=status, headers=headers,
                  title=ERROR_TITLES.get(status, "Something went wrong"), message=message,
                  status_code=status, **context)
