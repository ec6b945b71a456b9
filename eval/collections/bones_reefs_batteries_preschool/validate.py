#!/usr/bin/env python3
"""Standard-library checker for the evaluation collection. Run from this folder: python validate.py"""
import json, re, sys, os
from collections import Counter

PREFIX = "i"
HERE = os.path.dirname(os.path.abspath(__file__))
errors = []
def err(m): errors.append(m)

STOP = set("""a about above after again against all am an and any are aren't as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just let me more most my myself no nor not now of off on
once only or other ought our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves s t don also per via vs versus""".split())

def words(t): return re.findall(r"[a-z0-9]+", t.lower())
def content(t): return [w for w in words(t) if w not in STOP]
def trigrams(ws): return {tuple(ws[i:i+3]) for i in range(len(ws)-2)}

# ---------- papers
papers = []
try:
    with open(os.path.join(HERE, "papers.jsonl"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip(): papers.append(json.loads(line))
except Exception as e:
    err(f"papers.jsonl unreadable: {e}")
PK = {"title", "abstract", "authors", "year", "venue", "doi"}
for i, p in enumerate(papers, 1):
    if set(p) != PK: err(f"paper {i}: keys {sorted(p)}")
    if not isinstance(p.get("title"), str) or not p.get("title").strip(): err(f"paper {i}: bad title")
    if not isinstance(p.get("abstract"), str) or len(p.get("abstract", "")) < 200: err(f"paper {i}: bad/short abstract")
    if not isinstance(p.get("authors"), list) or not all(isinstance(a, str) for a in p.get("authors", [])): err(f"paper {i}: authors not list of str")
    if not (p.get("year") is None or (isinstance(p.get("year"), int) and not isinstance(p.get("year"), bool))): err(f"paper {i}: year not int/null")
    if not isinstance(p.get("venue"), str): err(f"paper {i}: venue not str")
    if not isinstance(p.get("doi"), str): err(f"paper {i}: doi not str")
if len(papers) != 48: err(f"expected 48 papers, got {len(papers)}")
titles = [p.get("title") for p in papers]
if len(set(titles)) != len(titles): err("duplicate titles: " + str([t for t, c in Counter(titles).items() if c > 1]))
ABS = {p.get("title"): p.get("abstract", "") for p in papers}

# ---------- questions
qs = []
try:
    with open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip(): qs.append(json.loads(line))
except Exception as e:
    err(f"questions.jsonl unreadable: {e}")
QK = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
want_ids = [f"{PREFIX}{i:03d}" for i in range(1, 51)]
ids = [q.get("id") for q in qs]
if sorted(ids) != want_ids: err(f"ids not exactly {PREFIX}001..{PREFIX}050 unique: {sorted(Counter(ids).items())[:5]}...")
if len(set(ids)) != len(ids): err("duplicate ids")
TYPE_COUNTS = {"single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 4, "follow_up": 4, "comparison": 3, "unanswerable": 20}
tc = Counter(q.get("type") for q in qs)
if dict(tc) != TYPE_COUNTS: err(f"type counts {dict(tc)} != {TYPE_COUNTS}")

# ---------- qmeta
try:
    meta = json.load(open(os.path.join(HERE, "qmeta.json"), encoding="utf-8"))
except Exception as e:
    meta = {}; err(f"qmeta.json unreadable: {e}")
if sorted(meta) != want_ids: err("qmeta ids mismatch")
META_COUNTS = {"paraphrased": 15, "terse": 10, "plain": 5, "near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
mc = Counter(meta.values())
if dict(mc) != META_COUNTS: err(f"qmeta counts {dict(mc)} != {META_COUNTS}")

GOLD_N = {"single_fact": (1, 1), "which_paper": (1, 1), "summary": (1, 1), "follow_up": (1, 1), "multi_paper": (2, 3), "comparison": (2, 2), "unanswerable": (0, 0)}
for q in qs:
    qid = q.get("id"); t = q.get("type")
    if set(q) != QK: err(f"{qid}: keys {sorted(q)}"); continue
    if not isinstance(q["question"], str) or not q["question"].strip(): err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip(): err(f"{qid}: empty notes")
    sub = meta.get(qid)
    if t == "unanswerable":
        if sub not in ("near_miss", "general_knowledge", "absent_topic"): err(f"{qid}: unanswerable with meta {sub}")
        if q["gold_titles"] or q["keypoints"]: err(f"{qid}: unanswerable has gold/keypoints")
    else:
        if sub not in ("paraphrased", "terse", "plain"): err(f"{qid}: answerable with meta {sub}")
    lo, hi = GOLD_N.get(t, (0, 0))
    g = q["gold_titles"]
    if not isinstance(g, list) or not (lo <= len(g) <= hi): err(f"{qid}: {t} has {len(g) if isinstance(g, list) else g} gold titles")
    if len(set(g)) != len(g): err(f"{qid}: duplicate gold titles")
    for title in g:
        if title not in ABS: err(f"{qid}: gold title not in papers: {title[:60]}")
    # history
    h = q["history"]
    if t == "follow_up":
        ok = isinstance(h, list) and len(h) >= 1 and all(isinstance(x, list) and len(x) == 2 and all(isinstance(s, str) and s.strip() for s in x) for x in h)
        if not ok: err(f"{qid}: follow_up needs non-empty history of [user, assistant] pairs")
    elif h != []: err(f"{qid}: history must be empty for {t}")
    # keypoints
    kp = q["keypoints"]
    if t != "unanswerable":
        if not isinstance(kp, list) or not (1 <= len(kp) <= 3): err(f"{qid}: needs 1-3 keypoints")
        golds = [ABS.get(x, "").lower() for x in g]
        for k in kp:
            if not isinstance(k, list) or not (1 <= len(k) <= 3): err(f"{qid}: keypoint must be list of 1-3 alternatives"); continue
            for alt in k:
                if not isinstance(alt, str) or not alt.strip(): err(f"{qid}: empty keypoint alt"); continue
                if not any(alt.lower() in a for a in golds): err(f"{qid}: keypoint not in gold abstract: {alt!r}")
    # paraphrase check
    if sub == "paraphrased":
        qt = trigrams(content(q["question"]))
        for x in g:
            shared = qt & trigrams(content(ABS.get(x, "")))
            if shared: err(f"{qid}: paraphrased question shares run(s) {sorted(shared)} with '{x[:50]}'")

if errors:
    print("FAIL (%d problems)" % len(errors))
    for e in errors: print(" -", e)
    sys.exit(1)
print("OK: 48 papers, 50 questions; all checks passed")
sys.exit(0)
