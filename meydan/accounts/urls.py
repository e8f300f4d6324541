from django.urls import path

from meydan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("avatars/<str:key>.svg", views.avatar, name="avatar"),
    path("avatars/p/<str:key>", views.picture, name="picture"),
    path("signin/", views.signin, name="signin"),
    path("signin/<str:provider_id>/", views.signin_start, name="signin-start"),
    path("account/", views.account, name="account"),
    path(
        "account/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="account-sign-out-everywhere",
    ),
    path("account/delete/", views.account_delete, name="account-delete"),
]
