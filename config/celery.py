import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry the request id of the request that queued it (config/logs.py).
app.steps["worker"].add(DjangoStructLogInitStep)


# The one task whose result is read (the settings keep no others': CELERY_TASK_IGNORE_RESULT).
@app.task(name="config.ping", ignore_result=False)
def ping():
    """Answer 'pong': lets `manage.py check_worker` prove a worker is taking tasks."""
    return "pong"


@after_setup_logger.connect
@after_setup_task_logger.connect
def structured_worker_logs(logger, **kwargs):
    """The handlers Celery made (stderr, or the --logfile) write the project's format."""
    from django.conf import settings

    from config.logs import structured_formatter

    formatter = structured_formatter(json=settings.LOG_FORMAT == "json")
    for handler in logger.handlers:
        handler.setFormatter(formatter)
