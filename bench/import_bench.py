"""Import: `meydan import FILE --site KEY` on WordPress exports of 10,000, 100,000 and
1,000,000 comments (and of about 10 MB, 100 MB and 1 GB), timed, with the peak memory
of the importing process, side by side with Isso 0.14.0's own WordPress importer.

    .venv/bin/python bench/import_bench.py                 # 10k, 100k, 1M; SQLite (+PostgreSQL)
    .venv/bin/python bench/import_bench.py --quick         # 10k and 100k only
    .venv/bin/python bench/import_bench.py [--sizes 10000,100000] [--megabytes 10,100,1000]
        [--backends sqlite,postgres] [--no-isso] [--isso-size 100000] [--seed N] [--no-save]

What it does:
1. Writes WordPress WXR 1.2 files as WordPress 6.x's Tools -> Export writes them (the
   structure of shared/fixtures/wordpress/export-small.xml: the rss/channel header, an
   <item> per post, its <wp:comment>s inside it with every field, CDATA where
   WordPress puts it, trash metadata on trashed comments), streamed to disk, never
   held in memory. The content comes from a seeded RNG: posts with 1-200 comments
   (most a handful, a few long discussions), ~40% replies to an earlier comment of
   the same post (depth up to 6), ~90% approved / 7% pending / 3% trash, bodies of
   50-600 characters of English, Azerbaijani and Russian with some emoji and line
   breaks, ~8% with simple HTML (<b>, <em>, <a href>, <blockquote>), a few thousand
   recurring authors (names, emails, websites, IPv4/IPv6 addresses), dates in order.
   The files are cached in bench/.cache/ (with a .json of their statistics) and
   reused while GEN_VERSION and the seed are unchanged. --megabytes N generates a
   file of about N MB (10^6 bytes), its comment count estimated from the bytes per
   comment of the generated files.
2. Per file and backend, a fresh database: SQLite in a temporary MEYDAN_VAR_DIR, or
   PostgreSQL (when `pg_isready -h 127.0.0.1` answers) in a database created for the
   run with createdb and dropped afterwards; `meydan migrate`, one site whose origin
   is the export's, then `meydan import FILE --site bench` as an operator runs it,
   in its own process: wall time, comments/s and that process's peak RSS (ru_maxrss
   from os.wait4 of that very child: exact, no other process counted; a process it
   forks and waits for counts as the larger of the two peaks, not their sum).
3. Isso 0.14.0 (bench/.isso-venv, created as bench.py creates it, from
   bench/isso/requirements.lock.txt) imports the 100,000-comment file with
   `isso -c bench/isso/conf/isso-bench.cfg import -t wordpress FILE` into a fresh
   SQLite file (ISSO_DBPATH, which that config reads), measured the same way; its
   comments are counted in its database afterwards. Meydan imports the same file in
   the same run, and the ratio Meydan comments/s / Isso comments/s is printed.
4. Prints a table (file, backend, seconds, comments/s, peak RSS) and writes it as
   JSON to bench/results/import-<date>.json (-2, -3... when that exists).

Only 127.0.0.1 is ever contacted.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from bench import ISSO_CFG, ISSO_VENV, code_version, machine_slug  # noqa: E402

CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"
MEYDAN = str(Path(sys.executable).with_name("meydan"))
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"
SITE = "bench"
ORIGIN = "http://127.0.0.1:8088"  # the export's wp:base_site_url, the site's origin
SEED = 20251203
GEN_VERSION = "1"  # bump when the generated files change
SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [10_000, 100_000]
MEGABYTES = [10, 100, 1000]
MB = 1_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Content ------------------------------------------------------------------------

SENTENCES = {
    "en": [
        "Thanks for the detailed report, this is exactly what was missing from the news.",
        "I was there on Saturday and the atmosphere was very different from what TV showed.",
        "Can you link to the original statement from the ministry?",
        "Prices have doubled in two years, people are simply tired.",
        "I don't think street protests change anything, but I respect the courage.",
        "The article would benefit from a map of the route.",
        "Mobile internet was down near Fountain Square for at least three hours.",
        "Stay safe everyone.",
        "This is the third time this year the same thing happens.",
        "Good journalism, keep it up!",
        "Could you publish the full interview as well?",
        "My cousin was detained for two days and nobody told the family anything.",
        "Interesting, but the numbers in the second paragraph do not add up.",
        "Water levels in the Caspian have been falling for a decade now.",
        "Who is going to pay for the new boulevard, again the taxpayers?",
        "I disagree - dialogue is the only realistic way forward.",
        "Thanks for the correction.",
        "Is there any official comment from the city administration yet?",
        "We need more reporting like this from the regions, not only from Baku.",
        "Sorry, but this headline is misleading.",
        "Finally someone writes about the situation in the villages.",
        "The photos say more than a thousand words.",
        "Which court is handling the case, and when is the next hearing?",
        "Read the whole thing twice; still not sure what the new law actually changes.",
    ],
    "az": [
        "Gözəl yazı, ətraflı və düzgün.",
        "Öz gözlərimlə gördüm: insanlar dinc idi.",
        "Bakıda belə böyük aksiya çoxdan görməmişdim.",
        "Ağıllı şərhlər üçün təşəkkürlər, çox düşündürücüdür.",
        "Qiymətlər hər ay artır, maaşlar isə yerində sayır.",
        "Jurnalistlər niyə hələ də həbsdədir?",
        "Xəzərin suyu ildən-ilə azalır, bu barədə daha çox yazın.",
        "Müəllifə təşəkkür edirəm, çox vacib mövzudur.",
        "Şəhər icra hakimiyyəti bu məsələyə nə vaxt cavab verəcək?",
        "Gənclər artıq susmaq istəmir.",
        "Bu xəbəri heç bir dövlət kanalında görmədim.",
        "Kəndlərdə vəziyyət daha da ağırdır, orada işıq da yoxdur.",
        "Çox sağ olun, doğru sözləri deyirsiniz.",
        "Məncə, dialoq yeganə çıxış yoludur.",
        "Üzr istəyirəm, amma başlıq bir az şişirdilib.",
        "Gəncədə də eyni şey baş verdi, heç kim yazmadı.",
        "Dünən metroda insanlar yalnız bu barədə danışırdı.",
        "Şəkillər hər şeyi deyir.",
    ],
    "ru": [
        "Хорошая журналистика, продолжайте в том же духе!",
        "Цены растут, люди устали – это понятно.",
        "Спасибо за подробный репортаж.",
        "А где можно прочитать официальное заявление министерства?",
        "Я был там в субботу, всё было спокойно.",
        "Интернет не работал почти весь день.",
        "Не согласен с автором, но статья интересная.",
        "Когда будет следующее заседание суда?",
        "Уровень Каспия падает уже десять лет, об этом надо писать чаще.",
        "Очень важная тема, спасибо редакции.",
        "Почему об этом молчат центральные каналы?",
        "Фотографии говорят сами за себя.",
        "В регионах ситуация ещё хуже.",
        "Кто будет за всё это платить?",
        "Ждём продолжения!",
    ],
}
EMOJI = ["🙂", "👍", "🇦🇿", "😢", "🔥", "🙏", "😂", "❤️", "👏", "🤔", "😡", "🌊"]
FIRST = [
    "Aynur", "Rashad", "Leyla", "Kamran", "Nigar", "Elvin", "Günay", "Ömər", "Şahin",
    "Səbinə", "Tural", "Aysel", "Fərid", "Könül", "Orxan", "Nərmin", "İlkin", "Zaur",
    "John", "Sarah", "Michael", "Emma", "David", "Anna", "Tom", "Laura", "Nino", "Giorgi",
    "Ольга", "Дмитрий", "Елена", "Сергей", "Наталья", "Алексей", "Ирина", "Максим",
]  # fmt: skip
LAST = [
    "Qasımova", "Hüseynov", "Məmmədov", "Əliyeva", "Quliyev", "Babayeva", "Çələbi",
    "Güləliyev", "İsmayılov", "Rzayeva", "Carter", "O'Neill", "Smith", "Miller", "Brown",
    "Beridze", "Kapanadze", "Иванова", "Петров", "Смирнова", "Кузнецов", "Соколова",
]  # fmt: skip
TRANSLIT = str.maketrans(
    dict(
        zip(
            "əğıöüçşабвгдеёжзийклмнопрстуфхцчшщыэюя",
            "agioucsabvgdeejziyklmnoprstufhccssyeua",
            strict=True,
        )
    )
    | {"'": None, "ъ": None, "ь": None, "\u0307": None}
)
WORDS = (
    "protest baku caspian election court prices water metro village journalists law "
    "budget boulevard parliament oil gas festival football school hospital river bridge"
).split()
TLDS = ["az", "com", "org", "net", "ru", "ge", "ie"]


def make_authors(rng: random.Random, n: int = 4000) -> list[tuple[str, str, str, str]]:
    """(name, email, website, IP) of the recurring commenters: name and email in the
    form WordPress keeps them (an ampersand as &amp;), the website empty for most."""
    authors = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.04:
            name, email = "Anonymous", "anon@example.org"
        elif roll < 0.10:
            name = rng.choice(FIRST)
            email = f"{name.lower().translate(TRANSLIT)}{rng.randint(1960, 2009)}@example.com"
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f"{first} {last}"
            local = f"{first}.{last}".lower().translate(TRANSLIT).replace("_", "")
            email = f"{local}{i}@example.{rng.choice(TLDS)}"
        if rng.random() < 0.01:
            name = "Tom &amp; Jerry's Blog"
        website = ""
        if rng.random() < 0.3:
            host = email.split("@")[0].replace(".", "-")
            website = rng.choice(
                [
                    f"https://{host}.example.{rng.choice(TLDS)}",
                    f"https://example.net/~{host}",
                    f"http://blog.example.org/{host}/",
                ]
            )
        if rng.random() < 0.1:
            ip = f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
        else:
            net = rng.choice(["192.0.2", "198.51.100", "203.0.113", "10.20." + str(i % 250)])
            ip = f"{net}.{rng.randrange(1, 255)}"
        authors.append((name, email, website, ip))
    return authors


def body(rng: random.Random) -> tuple[str, bool]:
    """A comment text of 50-600 characters (most short), and whether it has HTML."""
    target = int(50 + 550 * rng.random() ** 2)
    lang = rng.choices(["en", "az", "ru"], weights=[45, 33, 22])[0]
    parts: list[str] = []
    length = 0
    while length < target:
        pool = SENTENCES[lang if rng.random() < 0.85 else rng.choice(list(SENTENCES))]
        sentence = rng.choice(pool)
        if rng.random() < 0.1:
            sentence += " " + rng.choice(EMOJI)
        if parts:
            roll = rng.random()
            sep = "\n\n" if roll < 0.08 else "\n" if roll < 0.18 else " "
            parts.append(sep)
            length += len(sep)
        parts.append(sentence)
        length += len(sentence)
    text = "".join(parts)
    if len(text) > 600:
        text = text[: text.rfind(" ", 0, 600)]
    html = rng.random() < 0.08
    if html:
        words = text.split(" ")
        i = rng.randrange(len(words))
        kind = rng.randrange(4)
        if kind == 0:
            words[i] = f"<b>{words[i]}</b>"
        elif kind == 1:
            words[i] = f"<em>{words[i]}</em>"
        elif kind == 2:
            words[i] = (
                f'<a href="https://example.org/{rng.choice(WORDS)}/{rng.randrange(1000)}" '
                f'rel="nofollow ugc">{words[i]}</a>'
            )
        text = " ".join(words)
        if kind == 3:
            quote = rng.choice(SENTENCES[lang])
            text = f"<blockquote>{quote}</blockquote>\n{text}"
    return text, html


def comment_counts(rng: random.Random, total: int):
    """Comments per post, 1-200, skewed: most posts a few, some dozens, a few 100+."""
    left = total
    while left > 0:
        roll = rng.random()
        if roll < 0.70:
            n = rng.randint(1, 10)
        elif roll < 0.92:
            n = rng.randint(11, 50)
        else:
            n = rng.randint(51, 200)
        n = min(n, left)
        left -= n
        yield n


MEAN_PER_POST = 0.70 * 5.5 + 0.22 * 30.5 + 0.08 * 125.5


# --- WXR ----------------------------------------------------------------------------

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<!-- It contains information about your site's posts, pages, comments, categories, and other content. -->
<!-- You may use this file to transfer that content from one site to another. -->
<!-- This file is not intended to serve as a complete backup of your site. -->

<!-- To import this information into a WordPress site follow these steps: -->
<!-- 1. Log in to that site as an administrator. -->
<!-- 2. Go to Tools: Import in the WordPress admin panel. -->
<!-- 3. Install the "WordPress" importer from the list. -->
<!-- 4. Activate & Run Importer. -->
<!-- 5. Upload this file using the form provided on that page. -->
<!-- 6. You will first be asked to map the authors in this export file to users -->
<!--    on the site. For each author, you may choose to map to an -->
<!--    existing user on the site or to create a new user. -->
<!-- 7. WordPress will then import each of the posts, pages, comments, categories, etc. -->
<!--    contained in this file into your site. -->

	<!-- generator="WordPress/6.4.3" created="{created}" -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>

<channel>
	<title>Anchor News (benchmark)</title>
	<link>{origin}</link>
	<description>A synthetic news site for the import benchmark</description>
	<pubDate>{pubdate}</pubDate>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{origin}</wp:base_site_url>
	<wp:base_blog_url>{origin}</wp:base_blog_url>

		<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[admin]]></wp:author_login><wp:author_email><![CDATA[admin@example.org]]></wp:author_email><wp:author_display_name><![CDATA[admin]]></wp:author_display_name><wp:author_first_name><![CDATA[]]></wp:author_first_name><wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>
	<wp:author><wp:author_id>2</wp:author_id><wp:author_login><![CDATA[aynur]]></wp:author_login><wp:author_email><![CDATA[aynur@example.az]]></wp:author_email><wp:author_display_name><![CDATA[Aynur Qasımova]]></wp:author_display_name><wp:author_first_name><![CDATA[Aynur]]></wp:author_first_name><wp:author_last_name><![CDATA[Qasımova]]></wp:author_last_name></wp:author>

		<wp:category>
		<wp:term_id>2</wp:term_id>
		<wp:category_nicename><![CDATA[azerbaijan]]></wp:category_nicename>
		<wp:category_parent><![CDATA[]]></wp:category_parent>
		<wp:cat_name><![CDATA[Azerbaijan]]></wp:cat_name>
	</wp:category>
				
	<generator>https://wordpress.org/?v=6.4.3</generator>

"""  # noqa: E501 - WordPress's own lines

ITEM = """		<title><![CDATA[{title}]]></title>
		<link>{link}</link>
		<pubDate>{pubdate}</pubDate>
		<dc:creator><![CDATA[{creator}]]></dc:creator>
		<guid isPermaLink="false">{origin}/?p={post_id}</guid>
		<description></description>
		<content:encoded><![CDATA[{content}]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date><![CDATA[{local}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{gmt}]]></wp:post_date_gmt>
		<wp:post_modified><![CDATA[{local}]]></wp:post_modified>
		<wp:post_modified_gmt><![CDATA[{gmt}]]></wp:post_modified_gmt>
		<wp:comment_status><![CDATA[{comment_status}]]></wp:comment_status>
		<wp:ping_status><![CDATA[open]]></wp:ping_status>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
										<category domain="category" nicename="azerbaijan"><![CDATA[Azerbaijan]]></category>
		<category domain="post_tag" nicename="{tag}"><![CDATA[{tag}]]></category>
"""  # noqa: E501 - WordPress's own lines

COMMENT = """			<wp:comment_id>{id}</wp:comment_id>
			<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
			<wp:comment_author_url>{url}</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[{ip}]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[{local}]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{gmt}]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[comment]]></wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>{user_id}</wp:comment_user_id>
"""

TRASH_META = """						<wp:commentmeta>
	<wp:meta_key><![CDATA[_wp_trash_meta_status]]></wp:meta_key>
			<wp:meta_value><![CDATA[{was}]]></wp:meta_value>
			</wp:commentmeta>
						<wp:commentmeta>
	<wp:meta_key><![CDATA[_wp_trash_meta_time]]></wp:meta_key>
			<wp:meta_value><![CDATA[{when}]]></wp:meta_value>
			</wp:commentmeta>
"""

BAKU = datetime.timedelta(hours=4)  # the blog's timezone: wp:*_date is local time
EPOCH = datetime.datetime(2014, 1, 1, 8, 0, tzinfo=datetime.UTC)
SPAN = datetime.timedelta(days=365 * 10)  # posts spread over ten years
MAX_DEPTH = 6
REPLY_SHARE = 0.43  # of comments after a post's first: ~40% of all comments are replies
ADMIN = ("admin", "admin@example.org", ORIGIN, "192.0.2.1")


def wp_date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def post_content(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(2, 5)):
        text = " ".join(rng.choice(SENTENCES[rng.choice(["en", "az", "ru"])]) for _ in range(4))
        paragraphs.append(f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->")
    return "\n\n".join(paragraphs)


def generate(path: Path, total: int, seed: int) -> dict:
    """Write a WXR file of exactly `total` comments to `path` (through a temporary
    file, renamed when complete); return its statistics."""
    rng = random.Random(f"{seed}:{total}")
    authors = make_authors(rng)
    expected_posts = max(1, round(total / MEAN_PER_POST))
    gap = SPAN / expected_posts
    stats = {"comments": 0, "posts": 0, "replies": 0, "max_depth": 0, "html": 0,
             "status": {"1": 0, "0": 0, "trash": 0}, "max_per_post": 0}  # fmt: skip
    tmp = path.with_suffix(".tmp")
    now = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)
    slugs: set[str] = set()
    comment_id = 0
    post_when = EPOCH
    with open(tmp, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(
            HEADER.replace("{created}", now.strftime("%Y-%m-%d %H:%M"))
            .replace("{origin}", ORIGIN)
            .replace("{pubdate}", now.strftime("%a, %d %b %Y %H:%M:%S +0000"))
        )
        for post_n, count in enumerate(comment_counts(rng, total)):
            post_id = 10 + post_n * 3  # revisions and attachments take ids in between
            post_when += gap * rng.uniform(0.2, 1.8)
            words = rng.sample(WORDS, rng.randint(3, 6))
            title = " ".join(words).capitalize() + rng.choice(["", ": what we know", " – live"])
            slug = "-".join(words)
            if slug in slugs:
                slug = f"{slug}-{post_id}"
            slugs.add(slug)
            local = post_when + BAKU
            link = f"{ORIGIN}/{local:%Y/%m/%d}/{slug}/"
            out.write("\t\t<item>\n" if post_n == 0 else "\t\t\t\t\t<item>\n")
            out.write(
                ITEM.format(
                    title=title,
                    link=link,
                    pubdate=post_when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                    creator=rng.choice(["admin", "aynur"]),
                    origin=ORIGIN,
                    post_id=post_id,
                    content=post_content(rng),
                    local=wp_date(local),
                    gmt=wp_date(post_when),
                    comment_status="open" if rng.random() < 0.9 else "closed",
                    slug=slug,
                    tag=words[0],
                )
            )
            depths: list[int] = []
            ids: list[int] = []
            parents: list[int] = []
            when = post_when
            for k in range(count):
                comment_id += 1
                when += datetime.timedelta(seconds=rng.expovariate(1 / 5400) + 20)
                depth, parent, j = 1, 0, -1
                if k and rng.random() < REPLY_SHARE:
                    # An earlier comment, most often a recent one, not at the deepest level.
                    j = max(0, k - 1 - int(rng.expovariate(1 / 4)))
                    while depths[j] >= MAX_DEPTH:
                        j = parents[j]
                    parent, depth = ids[j], depths[j] + 1
                ids.append(comment_id)
                depths.append(depth)
                parents.append(j if parent else -1)
                admin = bool(parent) and rng.random() < 0.05
                name, email, url, ip = ADMIN if admin else rng.choice(authors)
                text, html = body(rng)
                roll = rng.random()
                approved = "1" if roll < 0.90 else "0" if roll < 0.97 else "trash"
                out.write("\t\t\t\t\t\t<wp:comment>\n" if k == 0 else "\t\t\t\t\t<wp:comment>\n")
                out.write(
                    COMMENT.format(
                        id=comment_id,
                        author=name,
                        email=email,
                        url=url,
                        ip=ip,
                        local=wp_date(when + BAKU),
                        gmt=wp_date(when),
                        content=text,
                        approved=approved,
                        parent=parent,
                        user_id=1 if admin else 0,
                    )
                )
                if approved == "trash":
                    out.write(
                        TRASH_META.format(
                            was=rng.choice("10"),
                            when=int((when + datetime.timedelta(days=1)).timestamp()),
                        )
                    )
                out.write("\t\t\t\t\t\t\t</wp:comment>\n")
                stats["replies"] += bool(parent)
                stats["max_depth"] = max(stats["max_depth"], depth)
                stats["html"] += html
                stats["status"][approved] += 1
            out.write("\t\t\t\t\t</item>\n")
            stats["comments"] += count
            stats["posts"] += 1
            stats["max_per_post"] = max(stats["max_per_post"], count)
        out.write("\t\t\t\t</channel>\n</rss>\n")
    tmp.rename(path)
    stats["bytes"] = path.stat().st_size
    return stats


def wxr_file(total: int, seed: int) -> tuple[Path, dict]:
    """The cached file of `total` comments, generated when missing."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"wxr-{total}-s{seed}-v{GEN_VERSION}.xml"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        stats = json.loads(meta.read_text())
        if stats.get("bytes") == path.stat().st_size:
            return path, stats
    log(f"generating {path.relative_to(ROOT)} ({total:,} comments)")
    started = time.monotonic()
    stats = generate(path, total, seed)
    stats["generate_seconds"] = round(time.monotonic() - started, 1)
    meta.write_text(json.dumps(stats, indent=1) + "\n")
    log(f"  {stats['bytes'] / MB:,.1f} MB in {stats['generate_seconds']} s")
    return path, stats


def bytes_per_comment(seed: int) -> float:
    """From the largest cached file (generating the 10,000-comment one if none is)."""
    metas = [json.loads(p.read_text()) for p in CACHE.glob(f"wxr-*-s{seed}-v{GEN_VERSION}.json")]
    if not metas:
        metas = [wxr_file(10_000, seed)[1]]
    largest = max(metas, key=lambda m: m["comments"])
    return largest["bytes"] / largest["comments"]


# --- Runs -------------------------------------------------------------------------------


def timed(command: list[str], env: dict, logfile: Path) -> dict:
    """Run `command` to completion: wall seconds, exit code and the peak RSS of that
    process (ru_maxrss of os.wait4 on it: this child only, in KiB on Linux)."""
    with open(logfile, "w") as out:
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "rc": process.returncode,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def setup(env: dict) -> None:
    for args in (
        ["migrate", "-v0"],
        [
            "shell",
            "-c",
            "from meydan.sites.models import Site; "
            f"Site.objects.create(slug={SITE!r}, name='Bench', domain='127.0.0.1', "
            f"origins={ORIGIN!r})",
        ],
    ):
        subprocess.run(  # noqa: S603 - our own command
            [MEYDAN, *args], env=env, cwd=ROOT, check=True, capture_output=True
        )


def pg_available() -> bool:
    if not shutil.which("pg_isready"):
        return False
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0  # noqa: S607


def meydan_import(path: Path, backend: str, scratch: Path) -> dict:
    """`meydan import` of `path` into a fresh database of `backend`."""
    var = Path(tempfile.mkdtemp(prefix=f"meydan-{backend}-", dir=scratch))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEYDAN_", "DATABASE_"))}
    env["MEYDAN_VAR_DIR"] = str(var)
    db = None
    if backend == "postgres":
        db = f"meydan_import_bench_{os.getpid()}_{int(time.time())}"
        pg = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["createdb", *pg, db], check=True)  # noqa: S603,S607
        env["DATABASE_URL"] = PG_URL.format(db=db)
    try:
        setup(env)
        logfile = scratch / f"meydan-{backend}-{path.stem}.log"
        result = timed([MEYDAN, "import", str(path), "--site", SITE], env, logfile)
        output = logfile.read_text(errors="replace")
        result["log"] = str(logfile)
        if result["rc"]:
            result["error"] = output[-3000:]
            return result
        added = re.search(r"Comments were added: ([\d,]+)", output)
        own = re.search(r"comments read .* in ([\d.]+) s\.", output)
        result["imported"] = int(added.group(1).replace(",", "")) if added else None
        result["own_seconds"] = float(own.group(1)) if own else None
        result["summary"] = [line for line in output.splitlines() if not line.startswith("imp")]
        if backend == "sqlite":
            result["db_mb"] = sum(f.stat().st_size for f in var.glob("meydan.sqlite3*")) / MB
        return result
    finally:
        if db:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", db])  # noqa: S603,S607
        shutil.rmtree(var, ignore_errors=True)


def ensure_isso() -> None:
    """bench/.isso-venv as bench.py's ensure_tools() creates it (pinned isso 0.14.0)."""
    if (ISSO_VENV / "bin" / "isso").exists():
        return
    log("isso: creating bench/.isso-venv (isso 0.14.0 and gunicorn, pinned)")
    shutil.rmtree(ISSO_VENV, ignore_errors=True)
    subprocess.run(["python3", "-m", "venv", str(ISSO_VENV)], check=True)  # noqa: S603,S607
    subprocess.run(  # noqa: S603
        [
            str(ISSO_VENV / "bin" / "pip"),
            "install",
            "-q",
            "-r",
            str(BENCH / "isso" / "requirements.lock.txt"),
        ],  # fmt: skip
        check=True,
    )


def isso_import(path: Path, scratch: Path) -> dict:
    """`isso import -t wordpress` of `path` into a fresh SQLite file."""
    ensure_isso()
    db = scratch / f"isso-{path.stem}.db"
    db.unlink(missing_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ISSO_")},
        "ISSO_DBPATH": str(db),  # read by isso-bench.cfg's [general] dbpath
        "ISSO_PORT": "8081",
        "ISSO_GUARD": "false",  # `isso import` turns the guard off anyway
    }
    logfile = scratch / f"isso-{path.stem}.log"
    command = [str(ISSO_VENV / "bin" / "isso"), "-c", str(ISSO_CFG), "import", "-t", "wordpress",
               str(path)]  # fmt: skip
    result = timed(command, env, logfile)
    result["log"] = str(logfile)
    output = logfile.read_text(errors="replace")
    if result["rc"]:
        result["error"] = output[-3000:]
        return result
    with sqlite3.connect(db) as con:
        result["imported"] = con.execute("SELECT count(*) FROM comments").fetchone()[0]
        result["threads"] = con.execute("SELECT count(*) FROM threads").fetchone()[0]
    con.close()
    result["db_mb"] = db.stat().st_size / MB
    result["summary"] = output.strip().splitlines()[-3:]
    db.unlink(missing_ok=True)
    return result


# --- Report -----------------------------------------------------------------------------


def versions() -> list[str]:
    def meta(python, packages):
        code = (
            "import importlib.metadata as m, sys; "
            "print(' '.join(p + ' ' + m.version(p) for p in sys.argv[1:]))"
        )
        run = subprocess.run([python, "-c", code, *packages], capture_output=True, text=True)  # noqa: S603
        return run.stdout.strip() or "?"

    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lines = [
        f"machine: nproc {os.cpu_count()}; CPU {cpu}; {platform.system()} {platform.release()}",
        f"meydan:  {code_version()}; Python {platform.python_version()}; "
        + meta(sys.executable, ["Django", "lxml", "psycopg"]),
    ]
    if (ISSO_VENV / "bin" / "python").exists():
        lines.append("isso:    " + meta(str(ISSO_VENV / "bin" / "python"), ["isso"]))
    return lines


def table(rows: list[dict]) -> str:
    head = (
        f"{'file':<45} {'backend':<9} {'seconds':>8} {'comments/s':>11} {'peak RSS MB':>12} "
        f"{'(own s)':>8}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        label = f"{row['comments']:>9,} comments, {row['mb']:>7,.1f} MB"
        if row.get("label"):
            label = f"{label} ({row['label']})"
        if row.get("rc"):
            lines.append(f"{label:<45} {row['backend']:<9} FAILED (exit {row['rc']}): {row['log']}")
            continue
        rate = row["comments"] / row["seconds"]
        own = f"{row['own_seconds']:>8.1f}" if row.get("own_seconds") is not None else ""
        lines.append(
            f"{label:<45} {row['backend']:<9} {row['seconds']:>8.1f} {rate:>11,.0f} "
            f"{row['peak_rss_mb']:>12,.0f} {own}"
        )
        if row.get("imported") is not None and row["imported"] != row["comments"]:
            lines.append(f"{'':<45} ! {row['imported']:,} of {row['comments']:,} imported")
    return "\n".join(lines)


def save(payload: dict, date: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path, n = RESULTS / f"import-{date}.json", 1
    while path.exists():
        n += 1
        path = RESULTS / f"import-{date}-{n}.json"
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path


def numbers(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k comments only")
    parser.add_argument("--sizes", type=numbers, help="comment counts, e.g. 10000,100000")
    parser.add_argument("--megabytes", type=numbers, default=[], help="file sizes, e.g. 10,100")
    parser.add_argument("--backends", default=None, help="sqlite,postgres (default: both if up)")
    parser.add_argument("--no-isso", action="store_true")
    parser.add_argument("--isso-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    sizes = args.sizes if args.sizes is not None else QUICK_SIZES if args.quick else SIZES
    if args.backends:
        backends = args.backends.split(",")
        if "postgres" in backends and not pg_available():
            raise SystemExit("PostgreSQL is not answering on 127.0.0.1 (pg_isready)")
    else:
        backends = ["sqlite"] + (["postgres"] if pg_available() else [])
    # (comments, label): the comment counts, then the file sizes mapped to counts.
    files: list[tuple[int, str]] = [(n, "") for n in sizes]
    if args.megabytes:
        per = bytes_per_comment(args.seed)
        log(f"{per:,.0f} bytes per comment in the generated files")
        files += [(max(1, round(mb * MB / per)), f"~{mb:,} MB") for mb in args.megabytes]
    isso_file = None if args.no_isso else args.isso_size
    if isso_file is not None and isso_file not in [n for n, _ in files]:
        files.append((isso_file, "Isso's"))

    header = versions()  # before the runs: the code that is measured
    rows: list[dict] = []
    scratch = Path(tempfile.mkdtemp(prefix="import-bench-"))
    started = datetime.datetime.now(datetime.UTC)
    try:
        for count, label in files:
            path, stats = wxr_file(count, args.seed)
            base = {"comments": stats["comments"], "mb": stats["bytes"] / MB, "label": label,
                    "file": str(path.relative_to(ROOT))}  # fmt: skip
            runs = list(backends)
            if count == isso_file:
                runs = list(dict.fromkeys(["sqlite", *runs])) + ["isso"]
            for backend in runs:
                log(f"{backend}: importing {path.name} ({count:,} comments)")
                if backend == "isso":
                    result = isso_import(path, scratch)
                else:
                    result = meydan_import(path, backend, scratch)
                row = {**base, "backend": backend, **result}
                rows.append(row)
                if row["rc"]:
                    log(f"  FAILED (exit {row['rc']}):\n{row['error']}")
                else:
                    log(f"  {row['seconds']:.1f} s, {row['comments'] / row['seconds']:,.0f}/s, "
                        f"peak RSS {row['peak_rss_mb']:,.0f} MB")  # fmt: skip
    finally:
        failed = any(row.get("rc") for row in rows)
        if not failed:
            shutil.rmtree(scratch, ignore_errors=True)

    lines = [*header, "", table(rows)]
    lines.append(
        "seconds: wall time of the import process (Python and Django start-up included); "
        "(own s): the time `meydan import` reports for its two passes"
    )
    ratios = {}
    for isso in [row for row in rows if row["backend"] == "isso" and not row["rc"]]:
        isso_rate = isso["comments"] / isso["seconds"]
        for row in rows:
            if row["comments"] == isso["comments"] and row["backend"] != "isso" and not row["rc"]:
                rate = row["comments"] / row["seconds"]
                ratios[row["backend"]] = round(rate / isso_rate, 3)
                lines.append(
                    f"ratio on {row['comments']:,} comments: Meydan ({row['backend']}) "
                    f"{rate:,.0f}/s / Isso {isso_rate:,.0f}/s = {rate / isso_rate:.2f}x"
                )
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if not args.no_save:
        payload = {
            "started": started.isoformat(timespec="seconds"),
            "machine": machine_slug(),
            "versions": header,
            "seed": args.seed,
            "gen_version": GEN_VERSION,
            "results": rows,
            "ratios_meydan_over_isso": ratios,
            "table": text,
        }
        path = save(payload, started.date().isoformat())
        print(f"saved: {path.relative_to(ROOT)}")
    if failed:
        print(f"logs kept in {scratch}")
        sys.exit(1)


if __name__ == "__main__":
    main()
