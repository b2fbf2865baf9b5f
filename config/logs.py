"""Structured logs: one JSON object a line, with the request id, from web and worker.

`logging_config()` builds the LOGGING setting. Every record, Django's, Celery's
and ours alike, goes through structlog's ProcessorFormatter, so a log shipper
reads one format. The request id comes from config.middleware.RequestIdMiddleware
(bound by django-structlog, which also carries it into the Celery tasks a request
queues). No query strings are logged: a search's words can be a person's name.
"""

import logging
from typing import Any

import structlog

# Processors run on every record, structlog's and the standard library's.
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


def _renderer(json: bool) -> Any:
    return (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )


def structured_formatter(*, json: bool) -> logging.Formatter:
    """The formatter LOGGING gives its handlers, for handlers made elsewhere (Celery's)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(json),
        ],
    )


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    """The LOGGING setting: JSON lines (`json`), or readable lines on a developer's machine."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog writes one line a request; Django's own request logger would
            # write a second for every 4xx and 5xx.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            # django-axes announces itself at every start; its lockouts are warnings.
            "axes.apps": {"level": "WARNING"},
        },
    }


def structlog_configure() -> None:
    """Send structlog's records through the standard library's handlers (settings.LOGGING)."""
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def request_without_query(sender: Any, request: Any, log_kwargs: dict, **kwargs: Any) -> None:
    """django-structlog logs "GET /path?query": keep the path only (see the module's note)."""
    log_kwargs["request"] = f"{request.method} {request.path}"


def request_log_signals_connect() -> None:
    from django_structlog import signals

    for signal in (
        signals.bind_extra_request_metadata,
        signals.bind_extra_request_finished_metadata,
        signals.bind_extra_request_failed_metadata,
    ):
        signal.connect(request_without_query, dispatch_uid=f"config.logs.{id(signal)}")
