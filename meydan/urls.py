from django.contrib import admin
from django.urls import include, path

from meydan.comments import views as comment_views

handler400 = "meydan.core.views.bad_request"
handler403 = "meydan.core.views.permission_denied"
handler404 = "meydan.core.views.page_not_found"
handler500 = "meydan.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("c/<int:comment_id>", comment_views.permalink, name="comment-permalink"),
    path("", include("meydan.accounts.urls")),
    path("", include("meydan.newsroom.urls")),
]
