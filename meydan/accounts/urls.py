from django.urls import path

from meydan.accounts import passkey_views, views

app_name = "accounts"
urlpatterns = [
    path("avatars/<str:key>.svg", views.avatar, name="avatar"),
    path("avatars/p/<str:key>", views.picture, name="picture"),
    path("signin/", views.signin, name="signin"),
    path("passkey/", passkey_views.passkey_signin, name="passkey-signin"),
    path("passkey/new/", passkey_views.passkey_signup, name="passkey-signup"),
    path(
        "passkey/new/finish/",
        passkey_views.passkey_signup_finish,
        name="passkey-signup-finish",
    ),
    path("passkey/recover/", passkey_views.passkey_recover, name="passkey-recover"),
    path("signin/<str:provider_id>/", views.signin_start, name="signin-start"),
    path("account/passkeys/add/", passkey_views.passkey_add, name="passkey-add"),
    path("account/passkeys/codes/", passkey_views.passkey_codes, name="passkey-codes"),
    path("account/passkeys/<int:pk>/rename/", passkey_views.passkey_rename, name="passkey-rename"),
    path("account/passkeys/<int:pk>/remove/", passkey_views.passkey_remove, name="passkey-remove"),
    path("account/", views.account, name="account"),
    path(
        "account/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="account-sign-out-everywhere",
    ),
    path("account/delete/", views.account_delete, name="account-delete"),
]
