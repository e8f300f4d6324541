"""Why an import failed, worded for moderators in their language when it is shown.

A failed ImportBatch keeps `error_code` and `error_params` beside its English
`error`: the readers raise ImportFileError with a code from the closed list below
and the parameters its wording needs (a field's name, a value as the file has it,
a line and column). A parser's own message (lxml's, ijson's, SQLite's) is the
`detail` parameter, shown in the parser's words: it names a byte or a token, not
something a translation could say better. A batch without a code (failed before
codes were kept), or with a code missing here, is shown by its English `error`.
"""

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

ERRORS = {
    "unreadable": _("The file cannot be read: %(detail)s"),
    # Translators: %(name)s is a format name given to the import; %(formats)s lists
    # the names it knows (wordpress, disqus, …).
    "unknown_format": _("Unknown format “%(name)s”: choose one of %(formats)s."),
    "unrecognised": _(
        "The file's format is not one Meydan imports (WordPress WXR, Disqus XML, an Isso "
        "database, a Commento or Remark42 export, Meydan JSON). If it is one of them, "
        "choose its format."
    ),
    "empty": _("The file is empty."),
    "bad_xml": _("The file is not well-formed XML: %(detail)s"),
    "xml_doctype": _(
        "The file declares a document type (<!DOCTYPE …>), which exports never do. It is "
        "refused because entity declarations there can expand without limit or read other "
        "files."
    ),
    "xml_xinclude": _(
        "The file uses XInclude, which an export never does. It is refused because an "
        "include can read other files."
    ),
    "bad_json": _("The file is not valid JSON: %(detail)s"),
    "truncated": _("The file ends too soon (was it cut short in downloading?)."),
    "bad_gzip": _("The gzip compression is damaged or cut short: %(detail)s"),
    "bad_sqlite": _("The SQLite database cannot be opened or is damaged: %(detail)s"),
    # Translators: %(format)s is the name of a comment system: Isso, Commento, Remark42.
    "wrong_format": _("This file is not a %(format)s export."),
    # Translators: %(format)s is the name of a comment system, %(version)s the version
    # of its export format that the file declares.
    "version": _(
        "The file is in version %(version)s of the %(format)s export format, which Meydan "
        "does not read."
    ),
    "too_deep": _("The file nests deeper than an export does."),
    # Translators: MiB: mebibytes.
    "line_too_long": _(
        "A line is longer than %(mib)s MiB; a Remark42 backup has one comment a line."
    ),
    "not_utf8": _("A line is not UTF-8 text."),
    "no_comments": _("This WordPress export has no posts with comments."),
    "bad_date": _("A date cannot be read: %(value)s"),
    # Translators: %(field)s is the name of a field of the export file, as the file
    # spells it (dsq:id, commentHex, created).
    "missing": _("An entry has no “%(field)s”."),
    # Translators: %(field)s is the name of a field of the export file, %(value)s the
    # value the file gives it (cut short).
    "bad_value": _("“%(field)s” has a value this format does not allow: %(value)s"),
    "bad_value_of": _("“%(field)s” does not have the shape this format requires."),
    # Translators: %(field)s is the name of a field of the export file.
    "misplaced": _("“%(field)s” is in the wrong place in the file."),
    "bad_address": _("A thread's address cannot be read: %(value)s"),
    # Translators: a URL map rule given with the import (old address = new address).
    "bad_map": _("An address rule cannot be used: %(detail)s"),
    # Translators: an address rule given with an import lacks a part; %(kind)s is
    # host or prefix, OLD and NEW stand for the old and new address (keep them).
    "map_incomplete": _("“%(rule)s”: write %(kind)s:OLD=NEW."),
    # Translators: the rules listed are typed as they are (keep them in English).
    "map_unknown": _(
        "“%(rule)s” is not a rule: use host:OLD=NEW, prefix:OLD=NEW, https, slash:add or "
        "slash:strip."
    ),
    "crashed": _("The import stopped: %(detail)s"),
}


def _where(params: dict) -> str:
    line, column = params.get("line"), params.get("column")
    if line is None:
        return ""
    if column is None:
        return gettext("line %(line)s") % {"line": line}
    return gettext("line %(line)s, column %(column)s") % {"line": line, "column": column}


def import_error_display(code: str, params: dict, fallback: str) -> str:
    """A failed import's reason in the active language; `fallback` (the stored
    English) when the code has no wording."""
    params = dict(params or {})
    if code == "stopped":
        done = int(params.get("done") or 0)
        return ngettext(
            "The import stopped after %(n)d comment (%(detail)s). What was written is "
            "whole; import the same file again to go on.",
            "The import stopped after %(n)d comments (%(detail)s). What was written is "
            "whole; import the same file again to go on.",
            done,
        ) % {"n": done, "detail": params.get("detail", "")}
    if code == "bad_value" and "value" not in params:
        code = "bad_value_of"
    wording = ERRORS.get(code)
    if wording is None:
        return fallback
    try:
        words = str(wording) % params if "%(" in str(wording) else str(wording)
    except (KeyError, TypeError, ValueError):  # parameters from an older release
        return fallback
    where = _where(params)
    # Translators: an import's error and where in the file it is, e.g. "… (line 3)".
    return gettext("%(error)s (%(where)s)") % {"error": words, "where": where} if where else words
