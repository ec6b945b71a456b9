"""Check eval/fourth_questions.jsonl against the bundled corpus (data/*.txt).

Checks: schema (keys, history, keypoints), ids q001..q100, counts per type, no duplicate
questions, gold titles present in the corpus, every keypoint alternative found in its gold
abstracts, per-type rules, and (as warnings) 3-word content runs a single_fact question
reuses from its gold abstract.

Standalone (standard library only), runnable from anywhere:
    python eval/fourth_check.py [QUESTIONS_JSONL]
Prints ALL CHECKS PASSED and exits 0 on success; prints the errors and exits 1 otherwise.
"""

import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = ROOT / "eval" / "fourth_questions.jsonl"
EXPECTED_PAPERS = 282
EXPECTED_ROWS = 100
KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints"}
WANT_COUNTS = {
    "single_fact": 20,
    "which_paper": 12,
    "summary": 8,
    "comparison": 6,
    "list": 6,
    "follow_up": 8,
    "unanswerable": 40,
}
ONE_GOLD_TYPES = ("single_fact", "which_paper", "summary", "follow_up")
STOP = set(
    """
    a an the of in on for to and or with by from at as is are was were be been it its this that these those
    what which who whom how do does did can could would should will i me my we our you your they their them
    he she his her any some there here than then so if not no into over under about per vs versus much many
    more most other same such only just also very via up down out off while when where why all each both few
    """.split()
)
TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def fail(message):
    """Print a failure message and exit non-zero."""
    print(f"FAILED: {message}")
    sys.exit(1)


def load_papers():
    """Map title -> abstract from data/*.txt (two header lines, then title/abstract line pairs)."""
    papers = {}
    for path in sorted((ROOT / "data").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")[2:]
        while lines and not lines[-1].strip():
            lines.pop()
        if len(lines) % 2 != 0:
            fail(f"{path}: odd number of title/abstract lines")
        for i in range(0, len(lines), 2):
            title = lines[i]
            if title.startswith("Subscribe"):
                title = title[9:]
            papers[title] = lines[i + 1]
    if len(papers) != EXPECTED_PAPERS:
        fail(f"corpus has {len(papers)} papers, expected {EXPECTED_PAPERS}")
    return papers


def load_rows(path):
    """Parse the non-blank lines of a JSONL file."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                fail(f"{path}:{lineno}: invalid JSON ({exc})")
    return rows


def tokens(text):
    """Lowercase word tokens (hyphen/apostrophe-joined words kept whole)."""
    return TOKEN_RE.findall(text.lower())


def content_words(text):
    """Tokens that are not stop words."""
    return [w for w in tokens(text) if w not in STOP]


def check_collection(rows):
    """Row count, ids, counts per type and duplicate questions; returns (errors, type counts)."""
    errs = []
    if len(rows) != EXPECTED_ROWS:
        errs.append(f"rows={len(rows)}")
    ids = [r.get("id") for r in rows]
    if sorted(ids, key=str) != [f"q{i:03d}" for i in range(1, EXPECTED_ROWS + 1)]:
        errs.append("ids not q001..q100 unique")
    counts = collections.Counter(r.get("type") for r in rows)
    if dict(counts) != WANT_COUNTS:
        errs.append(f"counts {dict(counts)}")
    for question, n in collections.Counter(r.get("question") for r in rows).items():
        if n > 1:
            errs.append(f"dup question {question}")
    return errs, counts


def is_valid_history(history):
    """A list of [str, str] turns."""
    if not isinstance(history, list):
        return False
    return all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in history)


def is_valid_keypoints(keypoints):
    """A list of non-empty lists of non-empty strings (alternatives)."""
    if not isinstance(keypoints, list):
        return False
    return all(
        isinstance(k, list) and k and all(isinstance(x, str) and x for x in k) for k in keypoints
    )


def check_schema(row, papers):
    """Keys, question, history, gold titles and keypoint structure of one row."""
    rid = row.get("id")
    errs = []
    if set(row) != KEYS:
        errs.append(f"{rid} keys {set(row)}")
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        errs.append(f"{rid} empty q")
    if not is_valid_history(row.get("history")):
        errs.append(f"{rid} bad history")
    for title in row.get("gold_titles") or []:
        if title not in papers:
            errs.append(f"{rid} unknown title {title!r}")
    if not is_valid_keypoints(row.get("keypoints")):
        errs.append(f"{rid} bad keypoints structure")
    return errs


def check_keypoints_in_gold(row, papers):
    """Every keypoint alternative occurs (case-insensitively) in the joined gold abstracts."""
    rid = row.get("id")
    keypoints = row.get("keypoints")
    if not is_valid_keypoints(keypoints):
        return []  # already reported as a structure error
    text = " ".join(papers.get(t, "") for t in row.get("gold_titles") or []).lower()
    return [
        f"{rid} keypoint {alt!r} not in gold abstract"
        for k in keypoints
        for alt in k
        if alt.lower() not in text
    ]


def check_type_rules(row):
    """History and gold-count rules per question type (answerable rows)."""
    rid = row.get("id")
    qtype = row.get("type")
    gold = row.get("gold_titles") or []
    history = row.get("history")
    errs = []
    if qtype == "follow_up" and not history:
        errs.append(f"{rid} follow_up without history")
    if qtype != "follow_up" and history:
        errs.append(f"{rid} history on non-follow-up")
    if qtype == "comparison" and len(gold) != 2:
        errs.append(f"{rid} comparison needs 2 gold")
    if qtype == "list" and not 2 <= len(gold) <= 5:
        errs.append(f"{rid} list needs 2-5 gold")
    if qtype in ONE_GOLD_TYPES and len(gold) != 1:
        errs.append(f"{rid} needs 1 gold")
    return errs


def warn_trigram_overlap(row, papers):
    """Warn about 3-word content runs a single_fact question shares with its gold abstract."""
    gold = row.get("gold_titles") or []
    if not gold:
        return
    question_words = content_words(row.get("question") or "")
    abstract_words = content_words(papers.get(gold[0], ""))
    abstract_trigrams = {tuple(abstract_words[i : i + 3]) for i in range(len(abstract_words) - 2)}
    for i in range(len(question_words) - 2):
        trigram = tuple(question_words[i : i + 3])
        if trigram not in abstract_trigrams:
            continue
        if all(any(ch.isdigit() for ch in w) or w.isupper() for w in trigram):
            continue
        print(f"WARN {row.get('id')} 3-gram overlap: {trigram}")


def check_row(row, papers):
    """All per-row checks; returns a list of error strings."""
    rid = row.get("id")
    errs = check_schema(row, papers)
    if row.get("type") == "unanswerable":
        if row.get("gold_titles") or row.get("keypoints") or row.get("history"):
            errs.append(f"{rid} unanswerable with gold/kp/history")
        return errs
    if not row.get("gold_titles") or not row.get("keypoints"):
        errs.append(f"{rid} answerable missing gold/kp")
    errs += check_keypoints_in_gold(row, papers)
    errs += check_type_rules(row)
    if row.get("type") == "single_fact":
        warn_trigram_overlap(row, papers)
    return errs


def main(argv):
    """Run every check on the questions file (argv[1], default eval/fourth_questions.jsonl)."""
    questions_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_QUESTIONS
    papers = load_papers()
    rows = load_rows(questions_path)
    if not all(isinstance(r, dict) for r in rows):
        fail(f"{questions_path}: every line must be a JSON object")
    errs, counts = check_collection(rows)
    for row in rows:
        errs += check_row(row, papers)
    print("counts:", dict(counts))
    if errs:
        print(f"ERRORS ({len(errs)}) in {questions_path}:")
        for err in errs:
            print(" ", err)
        return 1
    print("ALL CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
