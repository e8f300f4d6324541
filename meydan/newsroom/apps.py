from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "meydan.newsroom"
    label = "newsroom"
