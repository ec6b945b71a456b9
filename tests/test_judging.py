"""The answer decision's second stage: where the retrieval features leave it open, a judge model reads
the evidence (judging.py). The decision logic runs on the real index with a judge whose verdict the
test sets; the real judge (the bundled 1.5B model) is tested under the ``llm`` marker."""
import json
from dataclasses import replace

import numpy as np
import pytest

from rag_assistant.answerability import DEFAULT_MODEL as PACKAGED
from rag_assistant.answerability import FEATURES, Answerability, Model, fit, load_model
from rag_assistant.assistant import Assistant
from rag_assistant.calibration import JUDGE_LAYER, JUDGE_SENTENCES, band_choice, judge_stage
from rag_assistant.judging import DEFAULT_JUDGE, make_judge

BIT = "Big Transfer (BiT): General Visual Representation Learning"
QUESTION = "What top-1 accuracy does Big Transfer (BiT) reach on ILSVRC-2012?"


class SetJudge:
    """A judge whose verdict (log-odds of "the evidence states the answer") the test sets."""

    name = "set"

    def __init__(self, verdict: float):
        self.verdict, self.calls, self.layers = verdict, [], []

    def score(self, question: str, passage: str) -> float:
        self.calls.append((question, passage))
        return self.verdict

    def read(self, question: str, passage: str, layer: int | None = None) -> tuple[float, np.ndarray]:
        """The verdict, and a hidden state that holds it in its first dimension (a probe reads it);
        at a ``layer``, that state and no verdict (NaN), as the real judge."""
        self.layers.append(layer)
        verdict = self.score(question, passage)
        return (verdict if layer is None else float("nan")), np.array([self.verdict, 1.0, -1.0])


def staged(band, judge=DEFAULT_JUDGE, sentences: int = 3, probe: tuple[float, ...] = (),
           layer: int | None = None) -> Model:
    """The packaged first stage with a second stage the test sets: the judge's yes/no log-odds, or
    with ``probe`` a probe of its hidden state (the final one, or ``layer``'s)."""
    return replace(load_model(), judge=judge, judge_band=band, judge_weights=(1.0, 2.0, 0.0), judge_threshold=0.5,
                   judge_sentences=sentences, judge_probe=probe, judge_layer=layer)


def decide(assistant, model: Model, judge, question: str = QUESTION, judge_model: str = DEFAULT_JUDGE):
    answerability = Answerability(model, assistant.retriever.keyword, assistant.papers, assistant.sentences,
                                  judge=lambda: judge, judge_model=judge_model)
    a = assistant.assess(question)
    return answerability.decide(question, a.kind, a.hits, a.question_vector)


@pytest.mark.parametrize("verdict, answered, sentences", [(8.0, True, 3), (-8.0, False, 3), (-8.0, False, 4)])
def test_in_the_band_the_judge_reads_the_top_papers_best_sentences_and_decides(assistant, verdict, answered,
                                                                              sentences):
    judge = SetJudge(verdict)
    decision = decide(assistant, staged((0.0, 1.01), sentences=sentences), judge)
    assert decision.answer is answered and decision.judged == verdict
    [(question, passage)] = judge.calls
    assert question == QUESTION
    bit = next(p for p in assistant.papers.values() if p.title == BIT)
    paper_sentences, _ = assistant.sentences.sentences(bit.paper_id)
    # as many of its sentences as the model's judge was fitted on
    assert "ILSVRC-2012" in passage and sum(s in passage for s in paper_sentences) == sentences
    assert decision.probability == pytest.approx(1 / (1 + np.exp(-(staged((0, 1)).logit(decision.features)
                                                                   + 2 * verdict))), abs=1e-4)


@pytest.mark.parametrize("verdict, answered", [(8.0, True), (-8.0, False)])
def test_with_a_probe_the_judgement_is_the_probes_reading_of_the_judges_hidden_state(assistant, verdict, answered):
    judge = SetJudge(verdict)
    # state (verdict, 1, -1): the probe reads 0.5 x verdict + 0 x 1 + 1 x -1 + bias 0.25
    decision = decide(assistant, staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25)), judge)
    assert decision.judged == pytest.approx(0.5 * verdict - 0.75) and decision.answer is answered
    assert len(judge.calls) == 1
    # the same verdict with the probe turned the other way round decides the other way
    flipped = decide(assistant, staged((0.0, 1.01), probe=(-0.5, 0.0, 1.0, 0.25)), SetJudge(verdict))
    assert flipped.answer is not answered


def test_a_probe_of_a_layer_reads_that_layers_state_and_a_layer_without_a_probe_is_not_used(assistant):
    judge = SetJudge(8.0)
    decision = decide(assistant, staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25), layer=16), judge)
    assert judge.layers == [16] and decision.judged == pytest.approx(0.5 * 8.0 - 0.75) and decision.answer
    final = SetJudge(8.0)
    decide(assistant, staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25)), final)
    assert final.layers == [None]
    # a layer's reading has no yes/no log-odds: without a probe to read it, the second stage is off
    unread = SetJudge(8.0)
    model = staged((0.0, 1.01), layer=16)
    assert not model.uses(DEFAULT_JUDGE)
    assert decide(assistant, model, unread).judged is None and unread.calls == []


def test_the_probe_is_fitted_on_hidden_states_and_scores_held_out_files_without_their_collection():
    from rag_assistant.calibration import _probe_scores, fit_probe

    rng = np.random.default_rng(1)

    def file(n=40, direction=0):
        labels = [1] * (n // 2) + [0] * (n // 2)
        states = [rng.normal(0, 1, 6) + np.eye(6)[direction] * (2.0 if y else -2.0) + 5.0 for y in labels]
        return states, labels

    files = [file(), file(), file(direction=3)]
    probe = np.asarray(fit_probe([s for f in files[:2] for s in f[0]], [y for f in files[:2] for y in f[1]]))
    assert len(probe) == 7 and probe[0] > 0  # six weights, the bias last; the label's direction weighs most
    scores = [float(np.dot(s, probe[:-1]) + probe[-1]) for s in files[0][0]]
    assert np.mean(scores[:20]) > 0 > np.mean(scores[20:])  # standardisation folded into the weights
    groups = [([{}] * len(f[1]), f[1]) for f in files]
    held = _probe_scores(groups, [f[0] for f in files], ["", "", "other"])
    # the two question files share a collection: each is scored by a probe of the other collection alone,
    # which learnt another direction and cannot tell their labels apart as well as their own would
    alone = np.asarray(fit_probe(files[2][0], files[2][1]))
    assert held[0] == pytest.approx([float(np.dot(s, alone[:-1]) + alone[-1]) for s in files[0][0]])
    both = np.asarray(fit_probe([s for f in files[:2] for s in f[0]], [y for f in files[:2] for y in f[1]]))
    assert held[2] == pytest.approx([float(np.dot(s, both[:-1]) + both[-1]) for s in files[2][0]])
    with pytest.raises(ValueError, match="both answerable and unanswerable"):
        fit_probe(files[0][0][:20], files[0][1][:20])


def test_a_question_read_twice_over_the_same_evidence_is_judged_once(assistant):
    """The continued reading asks the judge whether the conversation's paper answers, then decides
    over the same evidence: one judge call, the same verdict both times."""
    judge = SetJudge(8.0)
    answerability = Answerability(staged((0.0, 1.01)), assistant.retriever.keyword, assistant.papers,
                                  assistant.sentences, judge=lambda: judge, judge_model=DEFAULT_JUDGE)
    a = assistant.assess(QUESTION)
    assert answerability.judge_affirms(QUESTION, a.hits, a.question_vector)
    decision = answerability.decide(QUESTION, a.kind, a.hits, a.question_vector)
    assert decision.judged == 8.0 and len(judge.calls) == 1
    answerability.decide("Which optimizer does BiT fine-tune with?", a.kind, a.hits, a.question_vector)
    assert len(judge.calls) == 2  # another question is judged anew


def test_outside_the_band_the_judge_is_not_asked(assistant):
    above, below = SetJudge(-8.0), SetJudge(8.0)
    assert decide(assistant, staged((0.0, 0.0)), above).answer is True  # the band's top is 0: answered
    assert decide(assistant, staged((0.9999, 1.0)), below).answer is False  # below the band: refused
    assert above.calls == [] and below.calls == []


def test_a_model_fitted_with_another_judge_or_no_judge_decides_from_retrieval_alone(assistant):
    model = staged((0.0, 1.01))
    alone = assistant.assess(QUESTION).decision  # the extractive fixture: the first stage alone
    for judge, name in ((SetJudge(-8.0), "another-model"), (None, DEFAULT_JUDGE)):
        decision = decide(assistant, model, judge, judge_model=name)
        assert decision.answer == alone.answer and decision.judged is None
        assert decision.probability == alone.probability
        assert judge is None or judge.calls == []


def test_without_a_language_model_there_is_no_judge(assistant, config):
    assert assistant.judge is None  # the extractive fixture
    assert make_judge(config.replace(generator="llama_cpp", judge_model="none")) is None


def test_the_band_that_asks_the_judge_least_wins_unless_a_wider_one_refuses_clearly_more():
    narrow = ((0.05, 0.8), 0.3, (0.040, 0.84), 500)
    wide = ((0.0, 1.01), 0.3, (0.040, 0.90), 900)
    # 0.06 more of 300 unanswerable refused is beyond one standard error (0.017): the calls pay
    assert band_choice([narrow, wide], 0.041, 300)[0] == (0.0, 1.01)
    # on 20 unanswerable questions the error is 0.067: the same difference is noise, the calls are not
    assert band_choice([narrow, wide], 0.041, 20)[0] == (0.05, 0.8)
    # over the false abstention limit a band is out, however much it refuses
    assert band_choice([narrow, replace_point(wide, 0.06)], 0.041, 300)[0] == (0.05, 0.8)
    # none under the limit: the least false abstention
    assert band_choice([replace_point(narrow, 0.07), replace_point(wide, 0.06)], 0.041, 300)[0] == (0.0, 1.01)


def replace_point(candidate, false_abstention):
    band, threshold, (_, refused), calls = candidate
    return band, threshold, (false_abstention, refused), calls


def test_the_second_stage_is_fitted_where_the_first_is_unsure_and_the_judge_separates(tmp_path):
    rng = np.random.default_rng(0)
    groups, judged = [], []
    for _ in range(4):  # four "files"
        rows, labels, scores = [], [], []
        for label in [1] * 30 + [0] * 15:
            clear = rng.random() < 0.5  # half of the questions the features decide; the rest they cannot
            dense = (0.8 if label else 0.1) if clear else 0.45 + rng.normal(0, 0.02)
            rows.append(dict.fromkeys(FEATURES, 0.0) | {"top_dense": dense, "coverage": dense})
            labels.append(label)
            scores.append((3.0 if label else -3.0) + rng.normal(0, 1.0))
        groups.append((rows, labels))
        judged.append(scores)
    first = fit([r for g in groups for r in g[0]], [y for g in groups for y in g[1]], "test rows")
    model = judge_stage(first, groups, judged, [], 0.0, DEFAULT_JUDGE)
    assert model.judge_probe == () and "yes/no log-odds" in model.origin
    probed = judge_stage(first, groups, judged, [], 0.0, DEFAULT_JUDGE, probe=(0.5, -0.25))
    assert probed.judge_probe == (0.5, -0.25) and "linear probe" in probed.origin
    assert probed.judge_layer is None and "final hidden state" in probed.origin
    at_layer = judge_stage(first, groups, judged, [], 0.0, DEFAULT_JUDGE, probe=(0.5, -0.25), layer=16)
    assert at_layer.judge_layer == 16 and "layer 16's output" in at_layer.origin
    assert judge_stage(first, groups, judged, [], 0.0, DEFAULT_JUDGE, layer=16).judge_layer is None  # no probe
    probed.save(tmp_path / "p.json")
    assert Model.load(tmp_path / "p.json") == probed
    assert model.judge == DEFAULT_JUDGE and len(model.judge_band) == 2 and model.judge_weights[1] > 0
    assert model.judge_band[0] < model.judge_threshold < model.judge_band[1]
    assert "Second stage" in model.origin and "held out" in model.origin
    assert model.judge_sentences == JUDGE_SENTENCES and f"{JUDGE_SENTENCES} sentences" in model.origin
    unsure = dict.fromkeys(FEATURES, 0.0) | {"top_dense": 0.45, "coverage": 0.45}
    assert model.judge_band[0] <= model.probability(unsure) < model.judge_band[1]
    assert model.judged_probability(model.logit(unsure), 4.0) > model.judge_threshold
    assert model.judged_probability(model.logit(unsure), -4.0) < model.judge_threshold
    model.save(tmp_path / "m.json")
    assert Model.load(tmp_path / "m.json") == model


def test_the_packaged_model_has_a_second_stage_with_the_default_judge():
    model = load_model()
    assert model.uses(DEFAULT_JUDGE) and "Second stage" in model.origin
    assert model.judge_band[0] < model.judge_threshold < model.judge_band[1]
    assert model.judge_sentences == JUDGE_SENTENCES
    # its probe reads the 1.5B judge's hidden state (1536 dimensions) and a bias, at the chosen layer
    assert len(model.judge_probe) == 1537 and "linear probe" in model.origin
    assert model.judge_layer == JUDGE_LAYER and f"layer {JUDGE_LAYER}'s output" in model.origin


def test_a_model_saved_before_the_judges_input_was_recorded_gives_it_three_sentences(tmp_path):
    data = json.loads(PACKAGED.read_text(encoding="utf-8"))
    data.pop("judge_sentences", None)
    data.pop("judge_probe", None)
    data.pop("judge_layer", None)
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    old = Model.load(tmp_path / "old.json")
    assert old.judge_sentences == 3  # what its judge weights were fitted on
    assert old.judge_probe == () and old.judgement(1.5, np.ones(4)) == 1.5  # and the yes/no log-odds
    assert old.judge_layer is None and old.uses(DEFAULT_JUDGE)


def test_a_model_saved_before_the_layer_was_recorded_reads_the_final_state(tmp_path):
    data = json.loads(PACKAGED.read_text(encoding="utf-8"))
    data.pop("judge_layer", None)
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    old = Model.load(tmp_path / "old.json")
    assert old.judge_layer is None and old.judge_probe == load_model().judge_probe


@pytest.mark.llm
def test_the_real_judge_tells_a_stated_answer_from_a_near_miss(assistant, config):
    judge = make_judge(config.replace(generator="llama_cpp"))
    a = assistant.assess(QUESTION)
    passage = assistant.answerability.judge_input(a.hits, a.question_vector)
    stated = judge.score(QUESTION, passage)
    near_miss = "What learning rate does Big Transfer (BiT) use when fine-tuning on ILSVRC-2012?"
    missing = judge.score(near_miss, passage)
    assert a.hits[0].title == BIT and stated > 0 > missing
    # its reading: the same log-odds and the final hidden state
    (z_stated, final), (z_missing, _) = judge.read(QUESTION, passage), judge.read(near_miss, passage)
    assert (z_stated, z_missing) == (stated, missing) and final.shape == (judge.llm.n_embd(),)
    # at the packaged probe's layer: that layer's state (not the final one) and no log-odds, and the
    # probe says the same
    model = load_model()
    layer = model.judge_layer
    (z_layer, state_stated), (_, state_missing) = (judge.read(q, passage, layer) for q in (QUESTION, near_miss))
    assert np.isnan(z_layer) and state_stated.shape == (len(model.judge_probe) - 1,)
    assert not np.allclose(state_stated, final)
    assert model.judgement(z_layer, state_stated) > 0 > model.judgement(z_layer, state_missing)
    # a pass stopped at a layer leaves the next whole one as it was
    z_again, final_again = judge.read(QUESTION, passage)
    assert z_again == stated and np.array_equal(final_again, final)
    assert np.array_equal(judge.read(QUESTION, passage, model.judge_layer)[1], state_stated)
    with pytest.raises(ValueError, match="layers 0 to 27"):
        judge.read(QUESTION, passage, 28)


@pytest.mark.llm
def test_the_judge_evaluates_its_fixed_opening_once_and_judges_alike_whatever_came_before(assistant, config):
    judge = make_judge(config.replace(generator="llama_cpp"))
    a = assistant.assess(QUESTION)
    passage = assistant.answerability.judge_input(a.hits, a.question_vector)
    evaluated, evaluate = [], judge.llm.eval
    judge.llm.eval = lambda tokens: (evaluated.append(len(tokens)), evaluate(tokens))[1]
    first = judge.score(QUESTION, passage)
    other = judge.score("Which optimizer does BiT fine-tune with?", passage[:80])
    assert judge.score(QUESTION, passage) == first != other
    opening = len(judge._opening_tokens)
    assert opening >= 20 and evaluated[0] == opening and evaluated.count(opening) == 1
    # a prompt that does not start with the opening is evaluated whole, and the opening is
    # evaluated again before the next one
    judge._opening_tokens = judge._opening_tokens[:-1] + [judge._opening_tokens[-1] + 1]
    assert abs(judge.score(QUESTION, passage) - first) < 0.5
    judge._opening_tokens, evaluated[:] = judge._opening(), []
    assert judge.score(QUESTION, passage) == first and evaluated[0] == opening


@pytest.mark.llm
def test_an_assistant_with_a_language_model_asks_its_judge_in_the_band(config):
    assistant = Assistant.from_config(config.replace(generator="llama_cpp"))
    assistant.use_model(staged((0.0, 1.01)))
    decision = assistant.assess(QUESTION).decision
    assert decision.judged is not None and decision.judged > 0 and decision.answer
    assert assistant.judge.name.endswith(DEFAULT_JUDGE)


def test_a_judge_that_cannot_load_leaves_the_decision_to_retrieval_with_one_note(assistant, tmp_path, capsys):
    bad = tmp_path / "judge.gguf"
    bad.write_text("not a model")
    other = Assistant(assistant.config.replace(generator="llama_cpp", judge_model=str(bad)), assistant.embedder,
                      assistant.store)
    other.use_model(staged((0.0, 1.01), judge=str(bad)))
    first, second = (other.assess(QUESTION).decision for _ in range(2))
    alone = assistant.assess(QUESTION).decision
    assert first.judged is None and first.answer == alone.answer and first.probability == alone.probability
    assert second == first and other.judge is None
    err = capsys.readouterr().err
    assert err.count("answering without the answerability judge") == 1 and "is not a GGUF file" in err


def test_the_bands_edges_low_is_judged_high_is_not(assistant):
    p = load_model().probability(assistant.assess(QUESTION).decision.features)  # the first stage, unrounded
    at_low, at_high = SetJudge(-8.0), SetJudge(-8.0)
    low = decide(assistant, staged((p, min(1.0, p + 0.01))), at_low)
    high = decide(assistant, staged((max(0.0, p - 0.01), p)), at_high)
    assert len(at_low.calls) == 1 and low.answer is False
    assert at_high.calls == [] and high.answer is True


class FailingJudge(SetJudge):
    def score(self, question: str, passage: str) -> float:
        raise RuntimeError("llama_decode returned -3")


def test_a_judge_that_fails_on_a_question_leaves_it_to_retrieval(assistant):
    alone = assistant.assess(QUESTION).decision
    decision = decide(assistant, staged((0.0, 1.01)), FailingJudge(0.0))
    assert decision.judged is None and decision.answer == alone.answer and decision.probability == alone.probability


def test_calibrations_derived_questions_never_ask_the_judge(assistant):
    from rag_assistant.calibration import synthetic_examples

    other = Assistant(assistant.config.replace(generator="llama_cpp"), assistant.embedder, assistant.store)
    judge = other._judge = SetJudge(8.0)  # as if loaded
    other.use_model(staged((0.0, 1.01)))
    rows, labels, counts = synthetic_examples(other, papers=6, general=6)
    assert rows and counts["general"] == 6 and judge.calls == []
    assert other.assess(QUESTION).decision.judged == 8.0 and len(judge.calls) == 1  # answering does ask it


def test_a_collection_calibrated_before_the_judge_takes_the_packaged_second_stage(assistant):
    from rag_assistant.calibration import calibration_path

    path = calibration_path(assistant.config)
    old = replace(load_model(), judge="", judge_band=(), judge_weights=(), bias=0.123, origin="an older calibration")
    old.save(path)
    try:
        model = Assistant(assistant.config, assistant.embedder, assistant.store).answerability.model
    finally:
        path.unlink()
    packaged = load_model()
    assert model.bias == 0.123 and model.origin == "an older calibration"  # its own first stage
    assert (model.judge, model.judge_band, model.judge_weights, model.judge_threshold, model.judge_probe) == (
        packaged.judge, packaged.judge_band, packaged.judge_weights, packaged.judge_threshold, packaged.judge_probe)


def test_calibrations_labelled_questions_reuse_the_reading_that_deciding_took(assistant):
    """A labelled question the decision judged is not read again for the probe's fit; a question
    outside the band, or another judge than the decision's, is read."""
    from rag_assistant.calibration import labelled_examples
    from rag_assistant.evaluation import Question

    other = Assistant(assistant.config.replace(generator="llama_cpp"), assistant.embedder, assistant.store)
    judge = other._judge = SetJudge(8.0)  # as if loaded
    other.use_model(staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25)))
    questions = [Question("a", "single_fact", QUESTION, gold_titles=(BIT,)),
                 Question("b", "unanswerable", "What is the boiling point of water at sea level?")]
    rows, labels, readings = labelled_examples(other, questions, judge)
    assert labels == [1, 0] and len(judge.calls) == 2  # each read once, while deciding
    assert [z for z, _ in readings] == [8.0, 8.0] and list(readings[0][1]) == [8.0, 1.0, -1.0]
    other.use_model(staged((0.0, 0.0), probe=(0.5, 0.0, 1.0, 0.25)))  # nothing in the band: nothing judged
    assert len(labelled_examples(other, questions, judge)[2]) == 2 and len(judge.calls) == 4
    another = SetJudge(-8.0)
    other.use_model(staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25)))
    assert [z for z, _ in labelled_examples(other, questions, another)[2]] == [-8.0, -8.0]
    assert len(another.calls) == 2 and len(judge.calls) == 6
    # read at another layer than the decision's: read again, at that layer; at the decision's own: not
    rows, labels, readings = labelled_examples(other, questions, judge, 16)
    assert len(judge.calls) == 10 and judge.layers[-4:] == [None, 16, None, 16]  # deciding, then the label
    assert all(np.isnan(z) for z, _ in readings)
    other.use_model(staged((0.0, 1.01), probe=(0.5, 0.0, 1.0, 0.25), layer=16))
    labelled_examples(other, questions, judge, 16)
    assert len(judge.calls) == 12 and judge.layers[-2:] == [16, 16]
