"""Where case documents are kept: local disk by default, an S3-compatible bucket when asked."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json; from config import settings; "
    "print(json.dumps({'default': settings.STORAGES['default'], "
    "'limit': settings.DOCUMENT_MAX_BYTES, 'root': str(settings.MEDIA_ROOT), "
    "'url': getattr(settings, 'MEDIA_URL', '')}))"
)


def settings_with(**env):
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("S3_", "DOCUMENT_"))
    }
    environment.update({"DEBUG": "1", **env})
    environment.pop("MEDIA_ROOT", None)
    run = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_local_disk_by_default_and_never_served():
    found = settings_with()
    assert found["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert found["limit"] == 10 * 1024 * 1024
    assert found["root"] == str(ROOT / "media")
    assert found["url"] in ("", "/")  # no MEDIA_URL is routed: downloads go through the view


def test_an_s3_compatible_bucket_from_the_environment():
    found = settings_with(
        DOCUMENT_STORAGE="s3", S3_BUCKET="sp-documents", S3_ENDPOINT_URL="https://s3.example.org",
        S3_REGION="eu-west-2", DOCUMENT_MAX_BYTES="5000000",
    )  # fmt: skip
    assert found["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "sp-documents",
            "endpoint_url": "https://s3.example.org",
            "region_name": "eu-west-2",
            "location": "",
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
    assert found["limit"] == 5_000_000
