from django.urls import path

from meydan.newsroom import views

app_name = "newsroom"
urlpatterns = [
    path("", views.front_page, name="front"),
    path("<slug:slug>/", views.article_detail, name="article"),
]
