"""Docker cannot run on our machines: keep docker-compose.yml honest by reading it."""

import re
from pathlib import Path

import yaml

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()


def command_of(service):
    command = COMPOSE["services"][service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_it_describes_the_five_services():
    assert set(COMPOSE["services"]) == {"db", "redis", "web", "worker", "beat"}


def test_the_stores_keep_their_data_in_volumes():
    for service in ("db", "redis"):
        volume = COMPOSE["services"][service]["volumes"][0].split(":")[0]
        assert volume in COMPOSE["volumes"]


def test_services_have_health_checks():
    for service in ("db", "redis", "web", "worker"):
        assert COMPOSE["services"][service]["healthcheck"]["test"], service


def test_the_web_service_runs_gunicorn_on_the_wsgi_app_and_probes_healthz():
    assert "gunicorn -c config/gunicorn.py config.wsgi:application" in command_of("web")
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/metrics" in command_of("web")
    assert (ROOT / "config" / "wsgi.py").is_file()
    assert "/healthz" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])


def test_worker_and_beat_run_the_celery_app_the_project_defines():
    assert command_of("worker").startswith("celery -A config worker")
    assert command_of("beat").startswith("celery -A config beat")
    assert celery_app.main == "config"


def test_every_variable_given_to_the_app_is_read_by_the_settings():
    app_services = ("web", "worker", "beat")
    names = set()
    for service in app_services:
        names.update(COMPOSE["services"][service]["environment"])
    for name in names:
        assert re.search(rf"\b{name}\b", SETTINGS_SOURCE), f"{name} is not read by settings.py"


def test_the_example_env_file_only_names_variables_that_are_used():
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            used = re.search(rf"\b{name}\b", SETTINGS_SOURCE) or name == "POSTGRES_PASSWORD"
            assert used, name


def test_the_image_builds_from_files_that_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for name in source.split():
            assert name == "." or (ROOT / name).exists(), name
