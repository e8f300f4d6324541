"""Start-up checks of the privacy page's settings (Django's system checks: they run
before `meydan serve`, `meydan worker`, `migrate` and the tests)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def operator_text_problem(path: str) -> str | None:
    """Why the file at `path` cannot be the operator's text, or None when it can."""
    try:
        Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return "there is no such file"
    except IsADirectoryError:
        return "it is a directory"
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    except OSError as error:
        return error.strerror or str(error)
    return None


@register("meydan")
def privacy_text_file_readable(app_configs=None, **kwargs):
    """MEYDAN_PRIVACY_TEXT_FILE, when set, is a UTF-8 text file this process can read."""
    path = settings.MEYDAN_PRIVACY_TEXT_FILE
    if not path:
        return []
    problem = operator_text_problem(path)
    if problem is None:
        return []
    return [
        Error(
            f"MEYDAN_PRIVACY_TEXT_FILE is {path!r}, but {problem}.",
            hint="Point it at a Markdown file with your own text for /privacy/, or leave it empty.",
            id="meydan.E301",
        )
    ]
