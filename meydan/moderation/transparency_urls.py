from django.urls import path, re_path

from meydan.moderation import transparency_views as views

app_name = "transparency"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.site_page, name="site"),
    re_path(r"^(?P<slug>[-\w]+)/(?P<month>\d{4}-\d{2})\.json$", views.report_json, name="json"),
    re_path(r"^(?P<slug>[-\w]+)/(?P<month>\d{4}-\d{2})\.csv$", views.report_csv, name="csv"),
]
