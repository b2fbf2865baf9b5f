from csp.decorators import csp_update
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from linkworkers import views as linkworkers_views
from linkworkers.views.diary import diary_feed
from referrals import views as referrals_views

from . import metrics, views

# What no view caught: a 503 when the database is out of reach, problem JSON on the APIs.
handler500 = "config.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    # Open Referral UK API: for machines, the same in every language, so not under /cy/.
    path("api/oruk/", include("directory.api.urls")),
    # The partner API and its OpenAPI schema and docs: for machines too, so not under /cy/.
    path("api/v1/", include("referrals.api.urls")),
    path("fhir/", include("fhir_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # A link worker's diary for their calendar app: a machine's address, so not under /cy/.
    path("diary/feed.ics", diary_feed, name="diary_feed"),
    # The docs pages under the site's CSP (README, "Security"): Swagger UI's start-up script
    # is a file of its own (the split view), and neither page has inline style.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Redoc draws its page with styled-components, which writes <style> elements as it goes,
    # and builds its search index in a worker made from a blob: it needs inline style and
    # blob: workers, on this page only. Its script stays from this site only; its "API docs by
    # Redocly" logo, from a CDN, is refused on purpose (no third-party request from our pages).
    path(
        "api/redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
]

# Pages people read: English unprefixed, Welsh under /cy/.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    # Inside the prefixed patterns so that the switch, posted from a Welsh page,
    # resolves that page's /cy/ address before translating it.
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("directory/", include("directory.urls")),
    path("directory/", include("directory.upkeep_urls")),
    path("admin/", admin.site.urls),
    # The GP letter reads linkworkers' casework, which referrals may not import (README, map).
    path(
        "referrals/<uuid:referral_uuid>/letter/",
        linkworkers_views.gp_letter,
        name="gp_letter",
    ),
    path("referrals/", include("referrals.urls")),
    path("notifications/", include("referrals.notification_urls")),
    path("search/", referrals_views.search, name="search"),
    path("cases/", include("linkworkers.urls")),
    path("diary/", include("linkworkers.diary_urls")),
    path("providers/referrals/", include("linkworkers.provider_urls")),
    path("reporting/", include("reporting.urls")),
    path("", include("privacy.urls")),
    path("self-referral/", referrals_views.self_referral, name="self_referral"),
    path("self-referral/sent/", referrals_views.self_referral_done, name="self_referral_done"),
    prefix_default_language=False,
)
