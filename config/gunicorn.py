"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi:application`.

README, "Monitoring".

With several workers, /metrics adds up every worker's counts when
PROMETHEUS_MULTIPROC_DIR names an empty directory writable by the app; this
tells the Prometheus library when a worker has gone, so its gauges stop counting.
The other settings come from gunicorn's usual command-line flags and GUNICORN_CMD_ARGS.
"""

import os


def child_exit(server, worker):  # noqa: ANN001 (gunicorn's hook signature)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
