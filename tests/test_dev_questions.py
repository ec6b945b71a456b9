"""Validate the question files (eval/dev_questions.jsonl, second_questions.jsonl, third_questions.jsonl) against the
bundled corpus (standalone, no project imports)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
QUESTIONS = ROOT / "eval" / "dev_questions.jsonl"
SECOND = ROOT / "eval" / "second_questions.jsonl"
THIRD = ROOT / "eval" / "third_questions.jsonl"

TYPES = {"single_fact", "which_paper", "multi_paper", "acronym", "summary", "follow_up", "unanswerable"}
MIN_COUNTS = {"single_fact": 25, "which_paper": 15, "multi_paper": 12, "acronym": 12,
              "summary": 10, "follow_up": 12, "unanswerable": 20}
KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints"]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def load_corpus():
    """Title -> abstract. Lines 1-2 are header; then title/abstract line pairs."""
    papers = {}
    for path in sorted(DATA_DIR.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")[2:]
        for i in range(0, len(lines) - 1, 2):
            title, abstract = lines[i].strip(), lines[i + 1].strip()
            if title.startswith("Subscribe"):
                title = title[len("Subscribe"):]
            if title:
                papers.setdefault(title, abstract)
    return papers


def load_questions(path=QUESTIONS):
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


each_file = pytest.mark.parametrize("path", [QUESTIONS, SECOND, THIRD], ids=["dev", "second", "third"])


def test_corpus_parses():
    assert len(load_corpus()) == 282


@each_file
def test_schema_ids_and_counts(path):
    qs = load_questions(path)
    assert len(qs) >= (120 if path == QUESTIONS else 60)
    assert len({q["id"] for q in qs}) == len(qs), "duplicate ids"
    counts = {t: 0 for t in TYPES}
    for q in qs:
        assert list(q) == KEYS, q.get("id")
        assert isinstance(q["id"], str) and q["id"]
        assert q["type"] in TYPES, q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert isinstance(q["history"], list), q["id"]
        for turn in q["history"]:
            assert isinstance(turn, list) and len(turn) == 2, q["id"]
            assert all(isinstance(x, str) and x.strip() for x in turn), q["id"]
        assert isinstance(q["gold_titles"], list) and all(isinstance(t, str) for t in q["gold_titles"])
        assert isinstance(q["keypoints"], list), q["id"]
        for kp in q["keypoints"]:
            assert isinstance(kp, list) and kp and all(isinstance(a, str) and a.strip() for a in kp), q["id"]
        counts[q["type"]] += 1
    for t, n in MIN_COUNTS.items():
        assert counts[t] >= (n if path == QUESTIONS else n // 2), f"{t}: {counts[t]} < {n}"


@each_file
def test_per_type_rules(path):
    for q in load_questions(path):
        if q["type"] == "unanswerable":
            assert q["gold_titles"] == [] and q["keypoints"] == [], q["id"]
        else:
            assert len(q["gold_titles"]) >= 1, q["id"]
            assert 2 <= len(q["keypoints"]) <= 4, q["id"]
            assert len(set(q["gold_titles"])) == len(q["gold_titles"]), q["id"]
        if q["type"] == "follow_up":
            assert 1 <= len(q["history"]) <= 2, q["id"]
        else:
            assert q["history"] == [], q["id"]


@each_file
def test_gold_titles_and_keypoints_grounded(path):
    corpus = load_corpus()
    for q in load_questions(path):
        for t in q["gold_titles"]:
            assert t in corpus, f"{q['id']}: unknown title {t!r}"
        abstracts = [norm(corpus[t]) for t in q["gold_titles"]]
        for kp in q["keypoints"]:
            for alt in kp:
                assert any(norm(alt) in a for a in abstracts), f"{q['id']}: {alt!r} not in any gold abstract"


@pytest.mark.parametrize("checker", ["eval/paraphrase_check.py", "eval/fourth_check.py", "eval/fifth_check.py",
                                     "eval/sixth_check.py", "eval/seventh_check.py",
                                     "eval/collections/sciences/validate.py",
                                     "eval/collections/humanities_eng/validate.py",
                                     "eval/collections/field_mix/validate.py",
                                     "eval/collections/life_energy/validate.py",
                                     "eval/collections/applied_mix/validate.py",
                                     "eval/collections/practice_mix/validate.py",
                                     "eval/collections/core_sciences/validate.py",
                                     "eval/collections/cross_sciences/validate.py",
                                     "eval/collections/bio_social_geo/validate.py",
                                     "eval/collections/senses_travel/validate.py",
                                     "eval/collections/space_food_urban/validate.py",
                                     "eval/collections/teeth_fish_music_robots/validate.py",
                                     "eval/collections/textile_sleep_geotech_library/validate.py",
                                     "eval/collections/newborn_metal_wine_policy/validate.py",
                                     "eval/collections/pain_bees_ceramics_heritage/validate.py",
                                     "eval/collections/volcano_sport_ship_skin/validate.py",
                                     "eval/collections/ice_eye_water_language/validate.py",
                                     "eval/collections/heart_soil_wear_choice/validate.py",
                                     "eval/collections/kidney_fungi_rockets_migration/validate.py",
                                     "eval/collections/blood_lakes_printing_news/validate.py",
                                     "eval/collections/bones_reefs_batteries_preschool/validate.py"])
def test_the_held_out_files_pass_their_own_checks(checker):
    """The paraphrase-heavy file and the other-field collection ship with their writers' checkers
    (schema, gold titles, keypoints in the abstracts, no reused 3-word runs, type counts)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / checker)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
