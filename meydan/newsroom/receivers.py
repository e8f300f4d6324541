"""The newsroom announces its own articles to readers who asked for new posts."""

from django.utils import timezone
from django_tasks import task

from meydan.core.tasks import enqueue_on_commit, outlasts_database_outages
from meydan.notifications.notify import post_published
from meydan.notifications.services import absolute


def article_saved(sender, instance, **kwargs):
    """An article on the site is announced once: at once when it is published now,
    or, dated in the future, when its time comes (a task due then looks again, so an
    article unpublished or re-dated meanwhile is not announced early)."""
    if not instance.is_published:
        return
    if instance.published <= timezone.now():
        _announce(instance)
    else:
        pk, due = instance.pk, instance.published
        enqueue_on_commit(announce_article.using(run_after=due), pk, what=f"article {pk}")


def _announce(article) -> None:
    post_published(
        site=article.site,
        url=absolute(article.get_absolute_url()),
        title=article.title,
        summary=article.standfirst,
    )


@task()
@outlasts_database_outages
def announce_article(article_id: int) -> bool:
    from meydan.newsroom.models import Article

    article = Article.objects.select_related("site").filter(pk=article_id).first()
    if article is None or not article.is_published or article.published > timezone.now():
        return False  # gone, unpublished, or moved later (its new date has its own task)
    _announce(article)
    return True
