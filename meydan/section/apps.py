from django.apps import AppConfig


class SectionConfig(AppConfig):
    """The server-rendered comment section ("Leave a Reply"), the front door that the
    newsroom's article page and the embed iframe both host. It sits above the comment
    domain and the accounts app: it reads and writes through comments.services and
    comments.queries, and asks accounts who is signed in."""

    name = "meydan.section"
    label = "section"
