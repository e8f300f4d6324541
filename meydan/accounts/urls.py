from django.urls import path

from meydan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("avatars/<str:key>.svg", views.avatar, name="avatar"),
]
