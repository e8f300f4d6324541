"""`meydan meydan_demo`: create the demo site, article and discussion if absent.

Idempotent: running it again changes nothing. Comments go through
comments.services.comment_post, like every other comment.
"""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from meydan.comments import services
from meydan.comments.models import Thread
from meydan.newsroom.models import Article
from meydan.sites.services import site_get_or_create

PUBLISHED = datetime.fromisoformat("2015-06-07T09:30:00+00:00")

TITLE = "Thousands rally in Baku to demand the release of political prisoners"
SLUG = "baku-opposition-rally"
STANDFIRST = (
    "Supporters of the National Council of Democratic Forces gathered a week before "
    "the European Games open in the Azerbaijani capital."
)
BODY = """\
Several thousand people gathered in Baku on Saturday afternoon for a rally called by
the National Council of Democratic Forces, the coalition of Azerbaijan's opposition
parties and civic groups. Speakers demanded the release of the country's political
prisoners, among them the human rights defender **Leyla Yunus** and the lawyer
**Rasul Jafarov**, both held since last summer on charges their supporters call
retaliation for their work.

How many came depends on whom you ask. Independent observers and opposition
organisers put the crowd in the thousands; pro-government outlets spoke of a few
hundred people at most. The authorities had agreed to the rally on a stadium site on
the edge of the city rather than in the centre, as the organisers had asked.

The rally came one week before Baku hosts the first **European Games**, an event on
which the government has spent heavily and which it presents as a showcase of a
modern, open country. Rights groups have urged athletes, sponsors and visiting
officials to raise the cases of jailed journalists and activists while they are in
the country.

Protesters carried portraits of the prisoners and chanted for free elections. The
event ended peacefully in the early evening; organisers said several participants
had been stopped by police on their way to the site. Government officials did not
respond to requests for comment.
"""

# (key, parent key, name, email, website, minutes after publication, text)
DISCUSSION = [
    ("a", None, "Aynur Mammadova", "aynur@example.org", "", 95,
     "I was there with my sister. The police kept the crowd far from the centre, but "
     "people came anyway — far more than *a few hundred*."),
    ("b", "a", "Tural", "tural.h@example.net", "", 130,
     "Thank you for writing this. Were there many young people? State TV showed only "
     "pensioners."),
    ("c", "b", "Aynur Mammadova", "aynur@example.org", "", 162,
     "Many students, yes. Some covered their faces because they were afraid of being "
     "expelled from university."),
    ("d", None, "Mark Ellison", "mark@ellison-notes.example.com",
     "https://ellison-notes.example.com", 210,
     "Good reporting. For readers abroad: the European Games start on **12 June**. "
     "Sponsors should be asked about [the prisoners' cases]"
     "(https://example.org/azerbaijan-political-prisoners)."),
    ("e", "d", "Leyla Q.", "leylaq@example.org", "", 248,
     "> Sponsors should be asked\n\nThey have been asked, many times. Nobody answers."),
    ("f", "e", "Mark Ellison", "mark@ellison-notes.example.com",
     "https://ellison-notes.example.com", 301,
     "Then we keep asking. Publicity is the one thing that has ever helped."),
    ("g", None, "Rəşad Əliyev", "rashad@example.az", "", 420,
     "Azadlıq siyasi məhbuslara! Freedom for the political prisoners."),
    ("h", "g", "Nigar", "nigar@example.org", "", 515,
     "Qoşuluram. I hope the journalists covering the Games write about this too."),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create the demo site, its article about the Baku rally, and a discussion."

    def add_arguments(self, parser):
        parser.add_argument("--domain", default="127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args, domain, **options):
        site = site_get_or_create(
            domain=domain, name="Caspian Ledger", origins=[f"http://{domain}"]
        )
        article, created = Article.objects.get_or_create(
            site=site,
            slug=SLUG,
            defaults={
                "title": TITLE,
                "standfirst": STANDFIRST,
                "byline": "Staff reporter",
                "body": BODY,
                "published": PUBLISHED,
            },
        )
        key = article.get_absolute_url()
        if Thread.objects.filter(site=site, key=key, comments__isnull=False).exists():
            self.stdout.write("Demo content is already there.")
            return
        thread = services.thread_get_or_create(site=site, key=key, url=key, title=article.title)
        ids: dict[str, int] = {}
        for ref, parent_ref, name, email, website, minutes, text in DISCUSSION:
            result = services.comment_post(
                thread=thread,
                author=services.Author(name=name, email=email, url=website),
                body=text,
                parent_id=ids[parent_ref] if parent_ref else None,
                created=PUBLISHED + timedelta(minutes=minutes),
                channel="command",
                moderate=False,
            )
            ids[ref] = result.comment.pk
        self.stdout.write(
            self.style.SUCCESS(f"Created the demo article {key} with {len(ids)} comments.")
        )
