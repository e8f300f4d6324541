from meydan.comments.rendering import render_markdown
from meydan.notifications.templatetags.mail_html import links_marked


def test_a_links_destination_is_shown_after_its_text():
    html = links_marked(render_markdown("Log in to [your account](https://evil.example/login)!"))
    assert '<a href="https://evil.example/login"' in html
    assert "your account</a> <span" in html and "[evil.example]" in html


def test_a_link_that_shows_its_address_is_left_alone():
    html = links_marked(render_markdown("<https://news.example/story>"))
    assert "[news.example]" not in html


def test_markup_in_the_text_cannot_escape():
    html = links_marked(
        render_markdown('[**bold** <img src=x onerror=alert(1)>](https://a.example/"x)')
    )
    assert "<img" not in html  # the sanitiser's text stays text
    assert "[a.example]" in html
