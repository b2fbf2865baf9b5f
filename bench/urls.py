"""The site's addresses and the bare endpoints beside them (bench.settings serves both)."""

from config.urls import handler500
from config.urls import urlpatterns as site

from .bare import urlpatterns as bare

__all__ = ["handler500", "urlpatterns"]

urlpatterns = [*bare, *site]
