"""JSON log lines with a request id, and nothing that could identify a reader.

Paths are logged without query strings, and the wizard's question keys are masked (which question
someone is on says something about their answers). No IP addresses, no form data, no cookies.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
WIZARD_QUESTION = re.compile(r"/wizard/q/[^/?#\s]+/")
MASKED_QUESTION = "/wizard/q/*/"
# In free text (a Referer in a CSRF message, say) a query string may hold search terms.
QUERY_STRING = re.compile(r"\?[^\s\"'<>]+")

logger = logging.getLogger("portal.requests")

# Browser features the portal never uses, turned off for every response.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def safe_path(path: str) -> str:
    return WIZARD_QUESTION.sub(MASKED_QUESTION, path)[:200]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id_var.get(),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestLogMiddleware:
    """Give each request an id (kept from a proxy's X-Request-ID when sane) and log one line.

    Being outermost, it also adds the Permissions-Policy header (Django has no setting for it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": safe_path(request.path),
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1e3, 1),
                    }
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class MaskPathsFilter(logging.Filter):
    """Mask wizard questions and query strings in every line, whichever logger wrote it.

    Attached to the handler, so it sees the records of all loggers (Django's "Forbidden (CSRF
    token missing.): <path>", "Service Unavailable: <path>", ...), not only one logger's own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # The message as it will be written, arguments filled in, so nothing escapes the mask.
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep its text, not its arguments
            message = str(record.msg)
        record.msg, record.args = masked_text(message), None
        return True


def masked_text(text: str) -> str:
    return QUERY_STRING.sub("?*", WIZARD_QUESTION.sub(MASKED_QUESTION, text))
