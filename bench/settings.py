"""The site's settings with the bare endpoints added (`make bench`, "partner API")."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
