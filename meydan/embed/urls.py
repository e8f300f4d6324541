from django.urls import path

from meydan.embed import views

app_name = "embed"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/choose/", views.choose, name="signin-choose"),
    path("done/", views.done, name="done"),
    path("thread/", views.thread_page, name="thread"),
    path("pow.js", views.pow_js, name="pow-js"),
    path("i18n/<str:lang>.json", views.widget_catalog, name="i18n"),
]
