from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from meydan.comments import views as comment_views

handler400 = "meydan.core.views.bad_request"
handler403 = "meydan.core.views.permission_denied"
handler404 = "meydan.core.views.page_not_found"
handler500 = "meydan.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=static("newsroom/favicon.svg"), permanent=True)),
    path("c/<int:comment_id>", comment_views.permalink, name="comment-permalink"),
    path("", include("meydan.accounts.urls")),
    path("", include("meydan.newsroom.urls")),
]
