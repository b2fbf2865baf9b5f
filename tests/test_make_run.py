"""`make run` as a newcomer meets it (issue 16, point 10): email links follow the port served,
the README lists every login the seed prints, and sends no one outside the repository."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("args", "site_url"),
    [
        ([], "SITE_URL=http://127.0.0.1:8000"),
        (["PORT=8101"], "SITE_URL=http://127.0.0.1:8101"),
        (["HOST=0.0.0.0", "PORT=9000"], "SITE_URL=http://0.0.0.0:9000"),
        (["PORT=8101", "SITE_URL=https://sp.example.org"], "SITE_URL=https://sp.example.org"),
    ],
)
def test_make_run_points_email_links_at_the_port_it_serves(args, site_url):
    env = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    dry = subprocess.run(
        ["make", "-n", "-W", "install", "-W", "messages", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    served = [line for line in dry.stdout.splitlines() if "runserver" in line]
    assert served and site_url in served[-1]


def test_the_settings_default_follows_host_and_port():
    env = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    env.update(DEBUG="1", PORT="8101", DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "http://127.0.0.1:8101"


def test_the_readme_lists_every_login_the_seed_prints(db, demo_seeded_once):
    printed = re.findall(r"^  (\S+)\s+\S", demo_seeded_once.output, re.M)
    assert "gp" in printed and len(printed) >= 8
    listed = set(re.findall(r"^\| `([a-z0-9]+)` \|", README, re.M))
    assert set(printed) <= listed, set(printed) - listed


def test_the_readme_sends_no_one_outside_the_repository():
    # "../" leads out of the repository; an ellipsis before a slash ("5f0c-.../") does not.
    assert not re.search(r"(?<!\.)\.\./", README)
