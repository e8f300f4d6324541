from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from meydan.comments import queries
from meydan.core.csrf import csrf_protect_signed_in
from meydan.core.languages import activate_for_request, request_language
from meydan.moderation.access import moderates_site
from meydan.newsroom.models import Article
from meydan.section import views as section_views
from meydan.sites.resolve import site_for_request


@require_safe
def front_page(request):
    site = site_for_request(request)
    articles = Article.objects.filter(site=site, is_published=True)[:30]
    counts = dict(
        site.threads.filter(key__in=[a.get_absolute_url() for a in articles]).values_list(
            "key", "comment_count"
        )
    )
    for article in articles:
        article.comment_count = counts.get(article.get_absolute_url(), 0)
    return render(request, "newsroom/front.html", {"site": site, "articles": articles})


@csrf_protect_signed_in  # the guest form carries no CSRF token: meydan/core/csrf.py
@require_http_methods(["GET", "HEAD", "POST"])
def article_detail(request, slug: str):
    """GET/POST /<slug>/ — the article and its comment section (POST posts a comment)."""
    site = site_for_request(request)
    article = get_object_or_404(Article, site=site, slug=slug, is_published=True)
    key = article.get_absolute_url()
    # The article's own language outranks the browser's, not the reader's choice.
    language = request_language(request, page=article.language, site_default=site.language)
    activate_for_request(request, language)

    def render_page(form=None, status=200):
        thread = queries.thread_for_key(site, key)
        context = {
            "site": site,
            "article": article,
            **section_views.section_context(
                request,
                site=site,
                thread=thread,
                form=form,
                moderator=moderates_site(request.user, site),
            ),
        }
        return render(request, "newsroom/article.html", context, status=status)

    if request.method == "POST":
        return section_views.handle_post(
            request,
            site=site,
            key=key,
            url=key,
            title=article.title,
            render_page=render_page,
        )
    return render_page()
