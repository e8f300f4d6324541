from django.urls import path

from meydan.feeds import views

app_name = "feeds"

# /feeds/<site>/thread.rss?url=PAGE, /feeds/<site>/thread.atom?url=PAGE: one page's comments;
# /feeds/<site>/latest.rss, /feeds/<site>/latest.atom: the site's newest comments.
urlpatterns = [
    path("<str:site>/thread.<str:fmt>", views.thread_feed, name="thread"),
    path("<str:site>/latest.<str:fmt>", views.site_feed, name="latest"),
]
