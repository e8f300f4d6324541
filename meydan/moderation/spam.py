"""The learned spam filter, per site: scoring drafts and learning from moderators.

The arithmetic and tokens live in `spamfilter` (pure); this module stores each
site's model (moderation.models: SpamModel, SpamToken, SpamLearned) and keeps it
up to date:

- `spam_score(site, fields)`: P(spam) in [0, 1] for a draft, a comment or a
  mapping of its fields, or None while the site's model has learned fewer than
  MEYDAN_SPAM_MIN_LEARNED decisions of each kind (no opinion on a cold start).
- `spam_learn(comment, is_spam)`: a moderator decided. Learning the same comment
  twice is a no-op; learning it with the other label first unlearns the old one.
- `spam_unlearn(comment, was_spam)`: take a decision back, exactly — the tokens
  added are remembered (SpamLearned), so an edit of the comment in between, or
  its author's later comments, do not change what is subtracted.
- `spam_forget(comment)`: drop that memory (e.g. when a comment's text is erased);
  the counts stay, the decision can no longer be unlearned.

Learn only from people's decisions, never from the filter's own verdicts, or it
teaches itself its mistakes.

Size: at most MEYDAN_SPAM_MAX_TOKENS distinct tokens per site (50,000 by
default); beyond that the rarest (then oldest) are pruned back to 90 % of it.
Scoring reads one SpamModel row (kept in the shared cache until it changes) and the
comment's own tokens (at most spamfilter.MAX_TOKENS_PER_MESSAGE) through the
(model, token) unique index, so it costs the same for a model of 500 tokens or
50,000; token counts already read for the model's current version come from
this process's memory.

Privacy: all of it runs in this server and this database; nothing is sent
anywhere. The model holds words, link domains and e-mail domains with counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from meydan.comments.models import Comment
from meydan.comments.queries import is_first_comment
from meydan.core import sqlrows
from meydan.core.shared_cache import site_fact
from meydan.moderation import spamfilter
from meydan.moderation.models import SpamLearned, SpamModel, SpamToken

_CHUNK = 500  # tokens per IN (...) query


def min_learned() -> int:
    return settings.MEYDAN_SPAM_MIN_LEARNED


def max_tokens() -> int:
    return settings.MEYDAN_SPAM_MAX_TOKENS


def is_ready(model: SpamModel | None) -> bool:
    """Enough decisions of each kind for the filter to have an opinion."""
    needed = min_learned()
    return model is not None and model.spam_docs >= needed and model.ham_docs >= needed


def spam_training(site) -> dict:
    """How much the filter has learned on this site (the moderation queue shows it)."""
    model = SpamModel.objects.filter(site=site).first()
    return {
        "spam": model.spam_docs if model else 0,
        "ham": model.ham_docs if model else 0,
        "tokens": model.vocabulary if model else 0,
        "needed": min_learned(),
        "ready": is_ready(model),
    }


# --- Scoring -----------------------------------------------------------------


def spam_score(site, fields) -> float | None:
    """P(spam) for a draft (pipeline.Draft, Comment, spamfilter.Message or dict with
    body, author_name, author_email, author_url, user, first_comment).

    None while the model is too young to judge (see is_ready)."""
    model = _model_of(site)
    if not is_ready(model):
        return None
    return _score(model, spamfilter.features(message_for(site, fields)))


MODEL_CACHE_SECONDS = 60


@site_fact
def _model_cache_key(site_id: int) -> str:
    return f"meydan:spam-model:{site_id}"


def _model_of(site) -> SpamModel | None:
    """The site's model row (its totals; None: it has none), kept in the cache
    between posts, so scoring a post needs no query for it. Every change to the row
    forgets it (`model_changed`, at once and again after the commit, so a post
    racing the change cannot put the old row back).

    With a cache every worker shares (Redis) that is the whole story. With a cache
    of this process only (the default), another worker keeps its copy for up to
    MODEL_CACHE_SECONDS after a moderator's decision: it scores with the totals
    from before that decision, which moves a score by a fraction of one decision's
    weight. (Bans cannot wait like that, so moderation.bans asks the database
    unless the cache is shared.)
    """
    key = _model_cache_key(site.pk)
    loaded = cache.get(key)
    if loaded is None:
        loaded = (SpamModel.objects.filter(site_id=site.pk).first(),)
        cache.set(key, loaded, MODEL_CACHE_SECONDS)
    return loaded[0]


def model_changed(sender, instance, **kwargs) -> None:
    """post_save / post_delete of SpamModel (connected in moderation.apps, so the
    admin, the shell and fixtures count too): forget the cached row."""
    key = _model_cache_key(instance.site_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# Token counts this process has read, for one version of each site's model: the
# words of comments repeat, so most posts need no token query at all. Any learning
# saves the model row (new `updated`, new totals), which makes a new version and
# starts a new memo, so a score never mixes in counts from before a decision.
_MEMO_TOKENS = 20_000  # per site; about 2 MB
_memo: dict[int, tuple[tuple, dict[str, tuple[int, int] | None]]] = {}


def _version(model: SpamModel) -> tuple:
    return (
        model.updated,
        model.spam_docs,
        model.ham_docs,
        model.spam_total,
        model.ham_total,
        model.vocabulary,
    )


def _token_counts(model: SpamModel, tokens: list[str]) -> list[tuple[int, int]]:
    """(spam, ham) of each of `tokens` that the model knows."""
    version = _version(model)
    entry = _memo.get(model.pk)
    if entry is None or entry[0] != version or len(entry[1]) > _MEMO_TOKENS:
        entry = (version, {})
        _memo[model.pk] = entry
    known = entry[1]
    missing = [token for token in tokens if token not in known]
    if missing:
        found = dict.fromkeys(missing)
        q = sqlrows.quote
        for chunk in _chunks(missing):
            # Hand-written: runs for most comments posted (see core.sqlrows).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {q('token')}, {q('spam')}, {q('ham')} FROM "  # noqa: S608 - names from the models, values as parameters
                    f"{sqlrows.table(SpamToken)} WHERE {q('model_id')} = %s "
                    f"AND {q('token')} IN ({', '.join(['%s'] * len(chunk))})",
                    [model.pk, *chunk],
                )
                for token, spam, ham in cursor.fetchall():
                    found[token] = (spam, ham)
        known.update(found)
    return [counts for token in tokens if (counts := known.get(token)) is not None]


def _score(model: SpamModel, tokens: list[str]) -> float:
    counts = _token_counts(model, tokens)
    return spamfilter.spam_probability(
        spam_docs=model.spam_docs,
        ham_docs=model.ham_docs,
        spam_total=model.spam_total,
        ham_total=model.ham_total,
        vocabulary=model.vocabulary,
        counts=counts,
    )


def message_for(site, fields) -> spamfilter.Message:
    """The filter's view of `fields`, with "first comment by this author" looked up
    unless the caller said (`first_comment` in the fields)."""
    message = spamfilter.message_from(fields)
    if message.first_comment is not None:
        return message
    if isinstance(fields, Comment):  # as it was when posted: approved ones before it
        first = is_first_comment(
            site,
            user_id=fields.user_id,
            email_hash=fields.author_email_hash,
            before=fields.created,
            exclude_pk=fields.pk,
        )
    else:
        user = fields.get("user") if isinstance(fields, Mapping) else getattr(fields, "user", None)
        first = is_first_comment(
            site, user_id=getattr(user, "pk", None), email=message.author_email
        )
    return replace(message, first_comment=first)


# --- Learning ----------------------------------------------------------------


def spam_learn(comment, is_spam: bool) -> bool:
    """Learn a moderator's decision about `comment`. Returns False if the model
    already knew it; a learned decision the other way is unlearned first."""
    site = comment.thread.site
    with transaction.atomic():
        model = _locked_model(site)
        record = SpamLearned.objects.select_for_update().filter(comment=comment).first()
        if record is not None:
            if record.is_spam == is_spam:
                return False
            _apply(model, record.tokens, record.is_spam, -1)
            record.delete()
        tokens = spamfilter.features(message_for(site, comment))
        _apply(model, tokens, is_spam, +1)
        SpamLearned.objects.create(model=model, comment=comment, is_spam=is_spam, tokens=tokens)
        _prune(model)
        model.save()
    return True


def spam_unlearn(comment, was_spam: bool) -> bool:
    """Take back a decision learned with spam_learn, subtracting exactly what it
    added. Returns False if the model had not learned it (with that label)."""
    with transaction.atomic():
        model = SpamModel.objects.select_for_update().filter(site_id=comment.thread.site_id).first()
        if model is None:
            return False
        record = (
            SpamLearned.objects.select_for_update()
            .filter(comment=comment, model=model, is_spam=was_spam)
            .first()
        )
        if record is None:
            return False
        _apply(model, record.tokens, was_spam, -1)
        record.delete()
        model.save()
    return True


def spam_forget(comment) -> None:
    """Forget which tokens `comment` taught (its text is being erased). The counts
    stay in the model; the decision can no longer be unlearned."""
    SpamLearned.objects.filter(comment=comment).delete()


def spam_reset(site) -> None:
    """Start this site's filter over from nothing."""
    for model in SpamModel.objects.filter(site=site):
        model.delete()  # one row; deleted one by one so that post_delete forgets it


def _locked_model(site) -> SpamModel:
    model, _ = SpamModel.objects.get_or_create(site=site)
    return SpamModel.objects.select_for_update().get(pk=model.pk)


def _chunks(tokens: Iterable[str]) -> Iterator[list[str]]:
    tokens = list(tokens)
    for start in range(0, len(tokens), _CHUNK):
        yield tokens[start : start + _CHUNK]


def _apply(model: SpamModel, tokens: Iterable[str], is_spam: bool, sign: int) -> None:
    """Add (sign=+1) or subtract (-1) one decision. Counts never go below zero; a
    token whose counts both reach zero is deleted. `model` is saved by the caller."""
    field = "spam" if is_spam else "ham"
    tokens = list(dict.fromkeys(tokens))
    rows: dict[str, SpamToken] = {}
    for chunk in _chunks(tokens):
        rows.update(
            (row.token, row) for row in SpamToken.objects.filter(model=model, token__in=chunk)
        )
    created, changed, emptied = [], [], []
    delta = 0
    for token in tokens:
        row = rows.get(token)
        if sign > 0:
            if row is None:
                row = SpamToken(model=model, token=token)
                created.append(row)
            else:
                changed.append(row)
            setattr(row, field, getattr(row, field) + 1)
            delta += 1
        elif row is not None and getattr(row, field) > 0:
            setattr(row, field, getattr(row, field) - 1)
            delta -= 1
            (emptied if row.spam == row.ham == 0 else changed).append(row)
    SpamToken.objects.bulk_create(created)
    SpamToken.objects.bulk_update(changed, ["spam", "ham"])
    for chunk in _chunks([row.pk for row in emptied]):
        SpamToken.objects.filter(pk__in=chunk).delete()
    docs = f"{field}_docs"
    setattr(model, docs, max(0, getattr(model, docs) + sign))
    total = f"{field}_total"
    setattr(model, total, getattr(model, total) + delta)
    model.vocabulary += len(created) - len(emptied)


def _prune(model: SpamModel) -> None:
    """Keep at most max_tokens() tokens: drop the rarest, oldest first, to 90 %."""
    limit = max_tokens()
    if model.vocabulary <= limit:
        return
    excess = model.vocabulary - int(limit * 0.9)
    doomed = list(
        SpamToken.objects.filter(model=model)
        .annotate(seen=F("spam") + F("ham"))
        .order_by("seen", "pk")
        .values_list("pk", "spam", "ham")[:excess]
    )
    for chunk in _chunks([pk for pk, _, _ in doomed]):
        SpamToken.objects.filter(pk__in=chunk).delete()
    model.spam_total -= sum(spam for _, spam, _ in doomed)
    model.ham_total -= sum(ham for _, _, ham in doomed)
    model.vocabulary -= len(doomed)
