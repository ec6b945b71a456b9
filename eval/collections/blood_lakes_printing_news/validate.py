#!/usr/bin/env python3
"""Standard-library checker for the evaluation collection (run from OUTDIR)."""
import json, re, sys, os

PREFIX = "c"
errors = []
def err(msg):
    errors.append(msg)

STOP = set("""a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can cannot could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other ought our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves via per vs versus etc e g
eg ie i e s t did does get got one ones any many much may might must shall upon within without across among around
along toward towards whether either neither yet still even ever""".split())

def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())

def content_seq(text):
    return [w for w in words(text) if w not in STOP]

def ngrams(seq, n=3):
    return {tuple(seq[i:i+n]) for i in range(len(seq)-n+1)}

here = os.path.dirname(os.path.abspath(__file__))
# ---------- papers ----------
papers = []
with open(os.path.join(here, "papers.jsonl"), encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            papers.append(json.loads(line))
        except Exception as e:
            err(f"papers.jsonl line {ln}: bad JSON ({e})")
PKEYS = {"title", "abstract", "authors", "year", "venue", "doi"}
for i, p in enumerate(papers):
    if set(p.keys()) != PKEYS:
        err(f"paper {i}: keys {sorted(p.keys())}")
        continue
    if not isinstance(p["title"], str) or not p["title"].strip():
        err(f"paper {i}: bad title")
    if not isinstance(p["abstract"], str) or len(p["abstract"].split()) < 30:
        err(f"paper {i}: bad/short abstract")
    if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
        err(f"paper {i}: authors must be list of str")
    if not (p["year"] is None or (isinstance(p["year"], int) and not isinstance(p["year"], bool))):
        err(f"paper {i}: year must be int or null")
    if not isinstance(p["venue"], str):
        err(f"paper {i}: venue must be str")
    if not isinstance(p["doi"], str):
        err(f"paper {i}: doi must be str")
if len(papers) != 48:
    err(f"expected 48 papers, got {len(papers)}")
titles = [p.get("title") for p in papers]
if len(set(titles)) != len(titles):
    err("duplicate paper titles")
abstracts = {p["title"]: p["abstract"] for p in papers if "title" in p and "abstract" in p}

# ---------- questions ----------
qs = []
with open(os.path.join(here, "questions.jsonl"), encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            qs.append(json.loads(line))
        except Exception as e:
            err(f"questions.jsonl line {ln}: bad JSON ({e})")
QKEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPE_COUNTS = {"single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 4,
               "follow_up": 4, "comparison": 3, "unanswerable": 20}
expected_ids = [f"{PREFIX}{i:03d}" for i in range(1, 51)]
ids = [q.get("id") for q in qs]
if len(qs) != 50:
    err(f"expected 50 questions, got {len(qs)}")
if len(set(ids)) != len(ids):
    err("duplicate question ids")
if sorted(ids) != expected_ids:
    err("ids are not exactly c001..c050")

from collections import Counter
tc = Counter(q.get("type") for q in qs)
for t, n in TYPE_COUNTS.items():
    if tc.get(t, 0) != n:
        err(f"type {t}: expected {n}, got {tc.get(t, 0)}")
for t in tc:
    if t not in TYPE_COUNTS:
        err(f"unknown type {t}")

# ---------- qmeta ----------
with open(os.path.join(here, "qmeta.json"), encoding="utf-8") as f:
    qmeta = json.load(f)
if sorted(qmeta.keys()) != expected_ids:
    err("qmeta keys do not match question ids")
SUB_COUNTS = {"paraphrased": 15, "terse": 10, "plain": 5, "near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
mc = Counter(qmeta.values())
for s, n in SUB_COUNTS.items():
    if mc.get(s, 0) != n:
        err(f"qmeta sub-type {s}: expected {n}, got {mc.get(s, 0)}")
for s in mc:
    if s not in SUB_COUNTS:
        err(f"qmeta unknown sub-type {s}")

GOLD_N = {"single_fact": (1, 1), "which_paper": (1, 1), "summary": (1, 1), "follow_up": (1, 1),
          "multi_paper": (2, 3), "comparison": (2, 2), "unanswerable": (0, 0)}
for q in qs:
    qid = q.get("id")
    if set(q.keys()) != QKEYS:
        err(f"{qid}: keys {sorted(q.keys())}")
        continue
    t = q["type"]
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: empty notes")
    sub = qmeta.get(qid)
    if t == "unanswerable":
        if sub not in ("near_miss", "general_knowledge", "absent_topic"):
            err(f"{qid}: unanswerable with sub-type {sub}")
    else:
        if sub not in ("paraphrased", "terse", "plain"):
            err(f"{qid}: answerable with sub-type {sub}")
    # history
    h = q["history"]
    if not isinstance(h, list):
        err(f"{qid}: history must be a list")
    elif t == "follow_up":
        if len(h) != 1 or not isinstance(h[0], list) or len(h[0]) != 2 or not all(isinstance(x, str) and x.strip() for x in h[0]):
            err(f"{qid}: follow_up history must be [[user question, assistant answer]]")
    elif h:
        err(f"{qid}: history only allowed on follow_up")
    # gold
    g = q["gold_titles"]
    lo, hi = GOLD_N.get(t, (0, 0))
    if not isinstance(g, list) or not (lo <= len(g) <= hi):
        err(f"{qid}: gold_titles count {len(g) if isinstance(g, list) else g} not in [{lo},{hi}] for {t}")
        continue
    if len(set(g)) != len(g):
        err(f"{qid}: duplicate gold titles")
    for title in g:
        if title not in abstracts:
            err(f"{qid}: gold title not in papers: {title!r}")
    kp = q["keypoints"]
    if t == "unanswerable":
        if g or kp:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    if not isinstance(kp, list) or not (1 <= len(kp) <= 3):
        err(f"{qid}: need 1-3 keypoints")
        continue
    gold_abs = [abstracts[t_].lower() for t_ in g if t_ in abstracts]
    for k in kp:
        if not isinstance(k, list) or not (1 <= len(k) <= 3) or not all(isinstance(a, str) and a.strip() for a in k):
            err(f"{qid}: keypoint must be list of 1-3 non-empty strings: {k!r}")
            continue
        for alt in k:
            if not any(alt.lower() in a for a in gold_abs):
                err(f"{qid}: keypoint alternative not found verbatim in gold abstract(s): {alt!r}")
    if sub == "paraphrased":
        qgrams = ngrams(content_seq(q["question"]))
        for t_ in g:
            shared = qgrams & ngrams(content_seq(abstracts.get(t_, "")))
            if shared:
                err(f"{qid}: paraphrased question shares content-word 3-gram(s) with gold abstract: {sorted(shared)}")

if errors:
    print("FAIL")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print(f"OK: {len(papers)} papers, {len(qs)} questions; all checks passed.")
