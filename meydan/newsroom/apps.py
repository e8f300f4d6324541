from django.apps import AppConfig
from django.db.models.signals import post_save


class NewsroomConfig(AppConfig):
    name = "meydan.newsroom"
    label = "newsroom"

    def ready(self) -> None:
        from meydan.newsroom.models import Article
        from meydan.newsroom.receivers import article_saved

        post_save.connect(article_saved, sender=Article, dispatch_uid="meydan-article-saved")
