from django.urls import path

from meydan.privacy import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.policy, name="policy"),
    # "Manage my comments" (/manage/…) is added here.
]
