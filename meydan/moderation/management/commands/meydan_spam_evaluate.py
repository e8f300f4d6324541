"""`meydan meydan_spam_evaluate`: how well the spam filter does on a labelled corpus.

k-fold cross-validation (stratified, shuffled with --seed, so a given seed always
gives the same table) and a leave-one-group-out run — with the YouTube corpus,
train on four videos and test on the fifth, which is closer to meeting new spam.
Precision, recall, F1 and accuracy at the spam and the hold threshold ("flagged"
means score ≥ threshold). In memory only: nothing is written to the database.

A corpus is a folder of CSV files with CONTENT and CLASS (1 spam, 0 not) columns
and optionally AUTHOR; each file is one group.
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meydan.moderation import spamfilter

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "spam" / "youtube-spam-collection"
)


@dataclass(frozen=True)
class Example:
    group: str
    message: spamfilter.Message
    is_spam: bool


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0


def load_corpus(directory: Path, limit: int | None = None) -> list[Example]:
    """Every row of every *.csv in `directory` (the first `limit` of each file)."""
    files = sorted(Path(directory).glob("*.csv"))
    if not files:
        raise CommandError(f"No CSV files in {directory}")
    examples = []
    for path in files:
        group = path.stem.split("-", 1)[-1]
        with path.open(encoding="utf-8", newline="") as handle:
            for n, row in enumerate(csv.DictReader(handle)):
                if limit is not None and n >= limit:
                    break
                message = spamfilter.Message(
                    body=row["CONTENT"], author_name=row.get("AUTHOR") or ""
                )
                examples.append(Example(group, message, row["CLASS"].strip() == "1"))
    return examples


def _scores(tokens, labels, train: list[int], test: list[int]) -> dict[int, float]:
    model = spamfilter.NaiveBayes()
    for i in train:
        model.learn(tokens[i], labels[i])
    return {i: model.score(tokens[i]) for i in test}


def cross_validate(examples: list[Example], folds: int = 10, seed: int = 0) -> list[float]:
    """Each example's score from the model trained on the other folds. Folds are
    stratified: spam and not-spam are shuffled apart and dealt out in turn."""
    if folds < 2:
        raise CommandError("--folds must be at least 2")
    tokens = [spamfilter.features(e.message) for e in examples]
    labels = [e.is_spam for e in examples]
    rng = random.Random(seed)  # noqa: S311 — reproducible folds, not security
    fold_of = [0] * len(examples)
    for label in (True, False):
        indices = [i for i, e in enumerate(examples) if e.is_spam == label]
        rng.shuffle(indices)
        for n, i in enumerate(indices):
            fold_of[i] = n % folds
    scores = [0.0] * len(examples)
    for fold in range(folds):
        test = [i for i in range(len(examples)) if fold_of[i] == fold]
        train = [i for i in range(len(examples)) if fold_of[i] != fold]
        for i, score in _scores(tokens, labels, train, test).items():
            scores[i] = score
    return scores


def leave_one_group_out(examples: list[Example]) -> list[float]:
    """Each example's score from the model trained on the other groups only."""
    tokens = [spamfilter.features(e.message) for e in examples]
    labels = [e.is_spam for e in examples]
    scores = [0.0] * len(examples)
    for group in dict.fromkeys(e.group for e in examples):
        test = [i for i, e in enumerate(examples) if e.group == group]
        train = [i for i, e in enumerate(examples) if e.group != group]
        for i, score in _scores(tokens, labels, train, test).items():
            scores[i] = score
    return scores


def confusion(scores, labels, threshold: float) -> Counts:
    counts = Counts()
    for score, is_spam in zip(scores, labels, strict=True):
        flagged = score >= threshold
        if flagged and is_spam:
            counts.tp += 1
        elif flagged:
            counts.fp += 1
        elif is_spam:
            counts.fn += 1
        else:
            counts.tn += 1
    return counts


HEADER = (
    f"{'':<14}{'comments':>9}  {'threshold':<12}{'precision':>10}{'recall':>8}{'F1':>7}"
    f"{'accuracy':>10}{'TP':>6}{'FP':>5}{'FN':>5}{'TN':>6}"
)


class Command(BaseCommand):
    help = (
        "Cross-validate the spam filter on a labelled corpus and print precision, recall, "
        "F1 and accuracy at the spam and hold thresholds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus",
            type=Path,
            default=DEFAULT_CORPUS,
            help="folder of labelled CSV files (default: the YouTube Spam Collection)",
        )
        parser.add_argument("--folds", type=int, default=10)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--limit", type=int, default=None, help="use only the first N rows of each file"
        )
        parser.add_argument("--spam-threshold", type=float, default=None)
        parser.add_argument("--hold-threshold", type=float, default=None)

    def handle(self, *args, corpus, folds, seed, limit, spam_threshold, hold_threshold, **opts):
        if spam_threshold is None:
            spam_threshold = settings.MEYDAN_SPAM_THRESHOLD_SPAM
        if hold_threshold is None:
            hold_threshold = settings.MEYDAN_SPAM_THRESHOLD_HOLD
        thresholds = [("spam", spam_threshold), ("hold", hold_threshold)]
        examples = load_corpus(corpus, limit)
        labels = [e.is_spam for e in examples]
        groups = list(dict.fromkeys(e.group for e in examples))
        spam = sum(labels)
        write = self.stdout.write
        write(f"Corpus {corpus}: {len(examples)} comments ({spam} spam, "
              f"{len(examples) - spam} not spam) in {len(groups)} groups")  # fmt: skip
        write("Model: multinomial naive Bayes on binary tokens, Laplace smoothing")
        write("'flagged' = score ≥ threshold; at the hold threshold that is held or spam.")

        def rows(name, scores, labels):
            for i, (label, threshold) in enumerate(thresholds):
                c = confusion(scores, labels, threshold)
                first = f"{name:<14}{len(labels):>9}" if i == 0 else " " * 23
                write(f"{first}  {label + ' ≥ ' + format(threshold, '.2f'):<12}"
                      f"{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>7.3f}{c.accuracy:>10.3f}"
                      f"{c.tp:>6}{c.fp:>5}{c.fn:>5}{c.tn:>6}")  # fmt: skip

        write("")
        write(f"{folds}-fold cross-validation (stratified, seed {seed})")
        write(HEADER)
        rows("all", cross_validate(examples, folds, seed), labels)

        if len(groups) > 1:
            write("")
            write("Leave one group out (train on the others, test on this one)")
            write(HEADER)
            scores = leave_one_group_out(examples)
            for group in groups:
                picked = [i for i, e in enumerate(examples) if e.group == group]
                rows(group, [scores[i] for i in picked], [labels[i] for i in picked])
            rows("all (pooled)", scores, labels)
