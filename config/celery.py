import os

from celery import Celery
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
