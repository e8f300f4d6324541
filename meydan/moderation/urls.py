from django.urls import path

from meydan.moderation import dashboard_views, views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("act/", views.act, name="act"),
    path("comments/<int:comment_id>/edit/", views.edit, name="edit"),
    path("comments/<int:comment_id>/reply/", views.reply, name="reply"),
    path("comments/<int:comment_id>/pick/", views.pick, name="pick"),
    path("comments/<int:comment_id>/pin/", views.pin, name="pin"),
    path("bans/", views.bans, name="bans"),
    path("log/", views.log, name="log"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("mail/", views.mail_choice, name="mail"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:batch_id>/", views.import_detail, name="import"),
]
