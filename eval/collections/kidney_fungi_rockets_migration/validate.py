#!/usr/bin/env python3
"""Standard-library checker for papers.jsonl, questions.jsonl and qmeta.json.
Run from this folder: python validate.py   (exit 0 if all checks pass)."""
import json, os, re, sys
os.chdir(os.path.dirname(os.path.abspath(__file__)))
from collections import Counter

PREFIX = "a"
N_PAPERS = 48
TYPE_COUNTS = {"single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 4,
               "follow_up": 4, "comparison": 3, "unanswerable": 20}
SUB_COUNTS = {"paraphrased": 15, "terse": 10, "plain": 5,
              "near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
ANSWERABLE_SUBS = {"paraphrased", "terse", "plain"}
UNANSWERABLE_SUBS = {"near_miss", "general_knowledge", "absent_topic"}
GOLD_COUNTS = {"single_fact": (1, 1), "which_paper": (1, 1), "summary": (1, 1), "follow_up": (1, 1),
               "multi_paper": (2, 3), "comparison": (2, 2), "unanswerable": (0, 0)}
Q_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
P_KEYS = ["title", "abstract", "authors", "year", "venue", "doi"]

STOP = set("""a about above after again against all am an and any are aren't as at be because been before being
below between both but by can cannot could did do does doing don't down during each few for from further had has
have having he her here hers herself him himself his how i if in into is isn't it its itself just let's me more most
my myself no nor not of off on once only or other ought our ours ourselves out over own same she should so some such
than that that's the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself yourselves
s t d ll m re ve y also via per us may might must shall can't won't vs versus etc""".split())

errors = []
def err(msg):
    errors.append(msg)

def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())

def content_seq(text):
    return [w for w in words(text) if w not in STOP]

def ngrams(seq, n=3):
    return {tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)}

# ---------------- papers ----------------
papers = []
with open("papers.jsonl", encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            p = json.loads(line)
        except Exception as e:
            err(f"papers.jsonl line {ln}: invalid JSON ({e})"); continue
        if list(p.keys()) != P_KEYS and set(p.keys()) != set(P_KEYS):
            err(f"papers.jsonl line {ln}: keys {sorted(p.keys())} != {P_KEYS}")
        if set(p.keys()) != set(P_KEYS):
            continue
        if not isinstance(p["title"], str) or not p["title"].strip():
            err(f"papers line {ln}: title must be non-empty str")
        if not isinstance(p["abstract"], str) or len(p["abstract"].strip()) < 100:
            err(f"papers line {ln}: abstract must be a str of reasonable length")
        if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
            err(f"papers line {ln}: authors must be list of str")
        if p["year"] is not None and (not isinstance(p["year"], int) or isinstance(p["year"], bool)):
            err(f"papers line {ln}: year must be int or null")
        if not isinstance(p["venue"], str):
            err(f"papers line {ln}: venue must be str")
        if not isinstance(p["doi"], str):
            err(f"papers line {ln}: doi must be str")
        papers.append(p)

if len(papers) != N_PAPERS:
    err(f"expected {N_PAPERS} papers, found {len(papers)}")
tc = Counter(p["title"] for p in papers)
for t, c in tc.items():
    if c > 1:
        err(f"duplicate paper title: {t!r}")
abstract_of = {p["title"]: p["abstract"] for p in papers}

# ---------------- questions ----------------
qs = []
with open("questions.jsonl", encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except Exception as e:
            err(f"questions.jsonl line {ln}: invalid JSON ({e})"); continue
        if list(q.keys()) != Q_KEYS:
            err(f"questions.jsonl line {ln}: keys {list(q.keys())} != {Q_KEYS}")
            continue
        qs.append(q)

expected_ids = [f"{PREFIX}{i:03d}" for i in range(1, 51)]
ids = [q["id"] for q in qs]
if len(ids) != len(set(ids)):
    err("duplicate question ids")
if sorted(ids) != expected_ids:
    err(f"ids must be exactly {expected_ids[0]}..{expected_ids[-1]}; got {sorted(ids)[:3]}... ({len(ids)})")

type_counter = Counter(q["type"] for q in qs)
for t, n in TYPE_COUNTS.items():
    if type_counter.get(t, 0) != n:
        err(f"type {t}: expected {n}, found {type_counter.get(t, 0)}")
for t in type_counter:
    if t not in TYPE_COUNTS:
        err(f"unknown type {t}")

# ---------------- qmeta ----------------
try:
    with open("qmeta.json", encoding="utf-8") as f:
        qmeta = json.load(f)
except Exception as e:
    err(f"qmeta.json unreadable: {e}")
    qmeta = {}
if set(qmeta.keys()) != set(expected_ids):
    err("qmeta.json keys must be exactly the question ids")
sub_counter = Counter(qmeta.values())
for s, n in SUB_COUNTS.items():
    if sub_counter.get(s, 0) != n:
        err(f"qmeta sub-type {s}: expected {n}, found {sub_counter.get(s, 0)}")
for s in sub_counter:
    if s not in SUB_COUNTS:
        err(f"qmeta: unknown sub-type {s}")

# ---------------- per-question checks ----------------
for q in qs:
    qid, typ = q["id"], q["type"]
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: notes must be a non-empty string")
    if not isinstance(q["history"], list) or not isinstance(q["gold_titles"], list) or not isinstance(q["keypoints"], list):
        err(f"{qid}: history/gold_titles/keypoints must be lists"); continue
    sub = qmeta.get(qid)
    if typ == "unanswerable":
        if sub not in UNANSWERABLE_SUBS:
            err(f"{qid}: unanswerable question has sub-type {sub}")
        if q["gold_titles"] or q["keypoints"]:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
    else:
        if sub not in ANSWERABLE_SUBS:
            err(f"{qid}: answerable question has sub-type {sub}")
    lo, hi = GOLD_COUNTS.get(typ, (0, 0))
    if not (lo <= len(q["gold_titles"]) <= hi):
        err(f"{qid}: {typ} needs {lo}-{hi} gold titles, has {len(q['gold_titles'])}")
    if len(set(q["gold_titles"])) != len(q["gold_titles"]):
        err(f"{qid}: duplicate gold titles")
    for g in q["gold_titles"]:
        if g not in abstract_of:
            err(f"{qid}: gold title not in papers.jsonl: {g!r}")
    # history
    if typ == "follow_up":
        h = q["history"]
        if not h:
            err(f"{qid}: follow_up needs non-empty history")
        for turn in h:
            if not (isinstance(turn, list) and len(turn) == 2 and all(isinstance(x, str) and x.strip() for x in turn)):
                err(f"{qid}: history turns must be [user question, assistant answer]")
    elif q["history"]:
        err(f"{qid}: history only allowed on follow_up")
    # keypoints
    if typ != "unanswerable":
        if not (1 <= len(q["keypoints"]) <= 3):
            err(f"{qid}: needs 1-3 keypoints, has {len(q['keypoints'])}")
        gold_abs = [abstract_of[g].lower() for g in q["gold_titles"] if g in abstract_of]
        for kp in q["keypoints"]:
            if not isinstance(kp, list) or not (1 <= len(kp) <= 3) or not all(isinstance(a, str) and a.strip() for a in kp):
                err(f"{qid}: each keypoint must be a list of 1-3 non-empty strings: {kp!r}"); continue
            for alt in kp:
                if not any(alt.lower() in a for a in gold_abs):
                    err(f"{qid}: keypoint alternative not found verbatim in gold abstract(s): {alt!r}")
    # paraphrase check
    if sub == "paraphrased":
        qgrams = ngrams(content_seq(q["question"]))
        for g in q["gold_titles"]:
            if g in abstract_of:
                shared = qgrams & ngrams(content_seq(abstract_of[g]))
                if shared:
                    err(f"{qid}: paraphrased question shares 3-word content run(s) with gold abstract: {sorted(shared)}")

if errors:
    print(f"FAILED: {len(errors)} problem(s)")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print(f"OK: {len(papers)} papers, {len(qs)} questions; types {dict(type_counter)}; sub-types {dict(sub_counter)}")
sys.exit(0)
