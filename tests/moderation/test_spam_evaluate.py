"""`meydan meydan_spam_evaluate` and the filter's quality on the labelled corpus."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from meydan.moderation.management.commands import meydan_spam_evaluate as evaluate

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "spam" / "youtube-spam-collection"


def run(*args) -> str:
    out = io.StringIO()
    call_command("meydan_spam_evaluate", *args, stdout=out)
    return out.getvalue()


def test_corpus_is_there_with_its_attribution():
    assert len(list(CORPUS.glob("*.csv"))) == 5
    readme = (CORPUS.parent / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "Alberto" in readme
    assert evaluate.DEFAULT_CORPUS == CORPUS


def test_command_prints_the_table_on_a_subset():
    output = run("--limit", "40", "--folds", "3", "--seed", "7")
    assert "200 comments" in output and "5 groups" in output
    assert "3-fold cross-validation (stratified, seed 7)" in output
    assert "Leave one group out" in output
    for column in ("precision", "recall", "F1", "accuracy"):
        assert column in output
    assert output.count("spam ≥ 0.97") == 7  # cross-validation, five videos, pooled
    assert output.count("hold ≥ 0.80") == 7
    for video in ("Psy", "KatyPerry", "LMFAO", "Eminem", "Shakira", "all (pooled)"):
        assert video in output


def test_command_is_deterministic_for_a_seed():
    first = run("--limit", "30", "--folds", "3", "--seed", "1")
    assert run("--limit", "30", "--folds", "3", "--seed", "1") == first


def test_command_takes_another_corpus_and_thresholds(tmp_path):
    rows = [("buy cheap followers at promo.example.biz now", 1)] * 6 + [
        ("the council postponed the budget vote", 0)
    ] * 6
    with (tmp_path / "mine.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"])
        for n, (text, label) in enumerate(rows):
            writer.writerow([n, "someone", "", f"{text} {n}", label])
    output = run("--corpus", str(tmp_path), "--folds", "2", "--spam-threshold", "0.9")
    assert "12 comments (6 spam, 6 not spam) in 1 groups" in output
    assert "spam ≥ 0.90" in output
    assert "Leave one group out" not in output  # nothing to leave out


def test_command_refuses_an_empty_folder(tmp_path):
    with pytest.raises(CommandError, match="No CSV files"):
        run("--corpus", str(tmp_path))


def test_corpus_text_is_read_as_html():
    examples = evaluate.load_corpus(CORPUS)
    assert len(examples) == 1956 and sum(e.is_spam for e in examples) == 1005
    entity = next(e for e in examples if "&#39;" in e.message.body)
    from meydan.moderation.spamfilter import features

    assert not any("39" == t for t in features(entity.message))


def test_cross_validated_quality_at_the_spam_threshold():
    examples = evaluate.load_corpus(CORPUS)
    labels = [e.is_spam for e in examples]
    scores = evaluate.cross_validate(examples, folds=10, seed=0)
    at_spam = evaluate.confusion(scores, labels, 0.97)
    assert at_spam.precision >= 0.9
    assert at_spam.recall >= 0.8
    at_hold = evaluate.confusion(scores, labels, 0.80)
    assert at_hold.recall >= at_spam.recall
