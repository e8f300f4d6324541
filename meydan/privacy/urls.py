from django.urls import path

from meydan.privacy import manage, views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.policy, name="policy"),
    # "Manage my comments": readers' self-service (privacy/manage.py).
    path("manage/", manage.manage_request, name="manage"),
    path("manage/open/<str:token>/", manage.manage_open, name="manage-open"),
    path("manage/comments/", manage.manage_comments, name="manage-comments"),
    path("manage/comments/download.json", manage.manage_download, name="manage-download"),
    path("account/comments/download.json", manage.account_download, name="account-download"),
    path("account/comments/erase/", manage.account_erase, name="account-erase"),
]
