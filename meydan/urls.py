from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language

from meydan.api.v1.urls import api as api_v1
from meydan.core.metrics import metrics_view
from meydan.embed import views as embed_views
from meydan.moderation import views as moderation_views
from meydan.privacy.api import router as privacy_router
from meydan.section import views as section_views

handler400 = "meydan.core.views.bad_request"
handler403 = "meydan.core.views.permission_denied"
handler404 = "meydan.core.views.page_not_found"
handler500 = "meydan.core.views.server_error"

# Staff sign in through allauth, so two-factor authentication applies to the admin too.
admin.site.login = secure_admin_login(admin.site.login)
# GET /api/v1/privacy: the privacy app sits beside the API (pyproject's layers), so it
# is put on the v1 API here, where every app is mounted.
api_v1.add_router("", privacy_router)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),  # token only: docs/metrics.md
    path("favicon.ico", RedirectView.as_view(url=static("newsroom/favicon.svg"), permanent=True)),
    path("accounts/", include("allauth.urls")),
    # The reader's language switcher (the form at the foot of every page). Without a
    # CSRF token: the worst a forged request does is change a reader's language, and
    # a token in every page's footer would set a cookie for every reader.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("api/v1/", api_v1.urls),
    path("embed.js", embed_views.embed_js, name="embed-js"),
    path("embed.css", embed_views.embed_css, name="embed-css"),
    path("embed/", include("meydan.embed.urls")),
    path("c/<int:comment_id>", section_views.permalink, name="comment-permalink"),
    path("c/<int:comment_id>/report", moderation_views.comment_report, name="comment-report"),
    path("c/<int:comment_id>/vote", section_views.comment_vote, name="comment-vote"),
    path("moderation/", include("meydan.moderation.urls")),
    path("transparency/", include("meydan.moderation.transparency_urls")),
    path("email/", include("meydan.notifications.urls")),
    path("feeds/", include("meydan.feeds.urls")),
    path("", include("meydan.privacy.urls")),
    path("", include("meydan.accounts.urls")),
    path("", include("meydan.newsroom.urls")),
]
