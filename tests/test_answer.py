"""Answer construction: streaming order, abstention, verified citations, follow-ups.

Most tests use a scripted generator (a real subclass of the interface) so that the
model's text is controlled; the `llm` tests run the real default model, greedy.
"""
import pytest

from rag_assistant import Answer, Assistant, Sources, composing
from rag_assistant.composing import NOT_COVERED
from rag_assistant.errors import InvalidQuestionError
from rag_assistant.evidence import list_candidates

R2 = "$R^2$-Tuning: Efficient Image-to-Video Transfer Learning for Video Temporal Grounding"
CROWD = "Efficient Crowd Counting via Structured Knowledge Transfer"


class ScriptedGenerator:
    """Replies with a fixed text, streamed in small pieces, and records the prompt it got."""

    name = "scripted"

    def __init__(self, reply: str):
        self.reply = reply
        self.messages = None

    def stream(self, messages, max_tokens):
        self.messages = messages
        self.consumed = 0
        for i in range(0, len(self.reply), 7):
            self.consumed += 1
            yield self.reply[i:i + 7]

    def count_tokens(self, text):
        return len(text.split())


@pytest.fixture
def scripted(config, assistant):
    def make(reply):
        a = Assistant.from_config(config.replace(generator="llama_cpp", judge_model="none"),
                                  generator=ScriptedGenerator(reply))
        return a
    return make


def test_stream_yields_sources_then_text_then_answer(assistant):
    events = list(assistant.stream("How much faster are the distilled crowd counting models?"))
    assert isinstance(events[0], Sources) and events[0].hits[0].title == CROWD
    assert all(isinstance(e, str) for e in events[1:-1]) and len(events) > 2
    assert isinstance(events[-1], Answer)
    assert events[-1].citations[0].title == CROWD


def test_fabricated_marker_never_reaches_citations(scripted):
    a = scripted("The distilled VGG-based models obtain at least 6.5 times speed-up [1]. "
                 "The boiling point of tungsten is 3400 degrees Celsius [9].")
    events = list(a.stream("How much faster are the distilled VGG-based crowd counting models?"))
    streamed = "".join(e for e in events if isinstance(e, str))
    answer = events[-1]
    assert "[9]" not in streamed and "[9]" not in answer.text
    assert "tungsten" not in answer.text
    assert [c.title for c in answer.citations] == [CROWD]
    assert answer.mode == "generated"
    prompt = a.generator.messages[-1]["content"]
    assert f'(from "{CROWD}")' in prompt and len(prompt) < 1500  # one sentence per source, not whole abstracts


def test_unverifiable_model_output_falls_back_to_extractive(scripted):
    a = scripted("[1] [2] [3]")
    answer = a.ask("How much faster are the distilled VGG-based crowd counting models?")
    assert answer.mode == "fallback"
    assert answer.citations and answer.citations[0].title == CROWD
    assert "6.5times" in answer.text
    # as long as an answer the model's sentence leads: answer_sentences verbatim sentences in all
    assert len(answer.citations[0].evidence) == a.config.answer_sentences
    assert all(s in answer.text for s in answer.citations[0].evidence)


def test_off_topic_question_abstains_without_calling_the_model(scripted):
    a = scripted("Tungsten boils at 5555 degrees [1].")
    answer = a.ask("What is the boiling point of tungsten?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith(NOT_COVERED) and "not evidence" in answer.text
    assert a.generator.messages is None


def test_list_questions_list_every_relevant_paper(assistant):
    answer = assistant.ask("Which papers propose self-supervised pre-training for speech representations?")
    titles = {c.title for c in answer.citations}
    assert answer.mode == "list" and len(titles) >= 2
    assert "TERA: Self-Supervised Learning of Transformer Encoder Representation for Speech" in titles
    assert all(f"[{c.number}]" in answer.text for c in answer.citations)
    assert all(answer.sources[c.number - 1].title == c.title for c in answer.citations)


def test_a_list_says_what_each_paper_contributes(assistant):
    """Each listed paper: its sentence closest to the question and, when that one is only
    background, the sentence stating what the paper proposes (quoted, in abstract order)."""
    from rag_assistant.evidence import CONTRIBUTION

    answer = assistant.ask("Which papers build foundation models that can reason over knowledge graphs they have "
                           "never seen?")
    semma = next(c for c in answer.citations if c.title.startswith("SEMMA"))
    assert len(semma.evidence) == 2 and not CONTRIBUTION.search(semma.evidence[0])
    assert semma.evidence[1].startswith("We introduce SEMMA") and semma.evidence[1] in answer.text
    assert all(1 <= len(c.evidence) <= 2 for c in answer.citations)


@pytest.mark.parametrize("question", [
    "Which paper speeds up crowd counting by distilling a heavy VGG teacher into a lightweight student?",
    "Is there work on compressing crowd counting models by transferring structured knowledge to a small student?",
])
def test_which_paper_questions_name_the_paper_without_the_model(scripted, question):
    a = scripted("Crowd counting is a task [1].")
    events = list(a.stream(question))
    answer = events[-1]
    assert answer.mode == "paper" and a.generator.messages is None
    assert [c.title for c in answer.citations] == [CROWD] and answer.citations[0].evidence
    assert answer.text.startswith(f'The best match is "{CROWD}" [1]')
    assert all(sentence in answer.text for sentence in answer.citations[0].evidence)
    assert "".join(e for e in events if isinstance(e, str)) == answer.text


def test_which_paper_answer_says_what_the_paper_does_and_found(scripted):
    a = scripted("unused")
    answer = a.ask("Which paper lets robots jump over gaps continuously by mixing reinforcement learning with "
                   "optimal control?")
    assert answer.mode == "paper" and answer.citations[0].title.startswith("CAJun")
    evidence = answer.citations[0].evidence
    assert len(evidence) == 4 and all(sentence in answer.text for sentence in evidence)
    assert any(sentence.startswith("We present CAJun") for sentence in evidence)  # its contribution
    assert any(any(ch.isdigit() for ch in sentence) for sentence in evidence)  # and a finding


def test_warm_up_caches_the_shared_prompt_prefix(scripted):
    a = scripted("ok")
    a.warm_up()
    primer = a.generator.messages
    answer_prompt = composing.build_messages(a.config.prompts_dir, "What is CUBER?", [])
    assert primer[0] == answer_prompt[0]  # the same system prompt
    first_line = primer[1]["content"].splitlines()[0]
    assert first_line and answer_prompt[1]["content"].startswith(first_line + "\n")


def test_follow_up_prompt_has_the_question_and_its_evidence_not_the_earlier_turn(scripted):
    scalearn = "ScaLearn: Simple and Highly Parameter-Efficient Task Transfer by Learning to Scale"
    a = scripted("It needs roughly 0.35% of the transfer parameters of AdapterFusion [1].")
    earlier = ("What's a cheap alternative to AdapterFusion for two-stage multi-task transfer?",
               f"'{scalearn}' learns a small set of scaling parameters on the outputs of source adapters.")
    answer = a.ask("How many parameters does it need compared with AdapterFusion?", history=[earlier])
    prompt = a.generator.messages[-1]["content"]
    assert scalearn in answer.query  # the conversation chose the paper...
    assert "0.35%" in prompt  # ...and the question chose its sentences (not the title-like one)
    assert earlier[1] not in prompt and earlier[0] not in prompt
    assert answer.mode == "generated" and [c.title for c in answer.citations] == [scalearn]


def test_the_model_writes_one_sentence_and_the_abstract_gives_the_details(scripted):
    a = scripted("The distilled VGG-based models are at least 6.5 times faster [1]. "
                 "They also run on phones and tablets everywhere [1]. " + "More text. " * 40)
    events = list(a.stream("How much faster are the distilled VGG-based crowd counting models, and how much "
                           "compute do they use?"))
    answer = events[-1]
    streamed = "".join(e for e in events if isinstance(e, str))
    assert streamed == "The distilled VGG-based models are at least 6.5 times faster [1]."  # stopped after one
    prompt = a.generator.messages[-1]["content"]
    assert prompt.count("[1]") == 1 and prompt.count("(from ") == 1  # the model read one sentence
    lead, quotes = answer.text.split("\n")
    assert lead.startswith("The distilled VGG-based models are at least 6.5 times faster") and lead.endswith("[1]")
    assert quotes.startswith("From the abstract [1]: ")
    assert "6%" in quotes  # the second half of the question, verbatim from the abstract
    assert "phones" not in answer.text and answer.mode == "generated"
    assert all(s in answer.text or s in lead for s in answer.citations[0].evidence[1:])


def test_a_summary_gets_more_of_the_abstract_than_a_specific_question(scripted):
    title = "Towards a Unified View of Parameter-Efficient Transfer Learning"
    a = scripted("The paper presents a unified framework that establishes connections between "
                 "parameter-efficient transfer learning methods [1].")
    answer = a.ask("Give me the gist of the paper that breaks down the design of adapter-style tuning methods and "
                   "identifies their important design choices.")
    assert answer.mode == "generated" and [c.title for c in answer.citations] == [title]
    assert answer.text.startswith("The paper presents a unified framework")
    quoted = [s for s in answer.citations[0].evidence if f'"{s}"' in answer.text]
    assert len(quoted) == 5  # the lead + five of the top paper's evidence sentences (six sentences in all)
    plain = a.ask("What does the unified view of parameter-efficient transfer learning modify in the model?")
    assert len([s for s in plain.citations[0].evidence if f'"{s}"' in plain.text]) == 2  # lead + two


def test_comparison_cites_both_papers(scripted):
    tera = "TERA: Self-Supervised Learning of Transformer Encoder Representation for Speech"
    apc = "Generative Pre-Training for Speech with Autoregressive Predictive Coding"
    a = scripted("TERA reconstructs acoustic frames from their altered counterpart [1]. "
                 "APC is a self-supervised objective used as generative pre-training for speech [2].")
    answer = a.ask("How does TERA differ from autoregressive predictive coding?")
    assert answer.mode == "generated" and {c.title for c in answer.citations} == {tera, apc}
    prompt = a.generator.messages[-1]["content"]
    assert tera in prompt and apc in prompt
    assert f'From "{tera}" [1]: ' in answer.text and f'From "{apc}" [2]: ' in answer.text  # each paper quoted


def test_what_is_an_acronym_says_what_it_stands_for(scripted):
    a = scripted("CLAP learns binary code representations with natural language supervision [1].")
    answer = a.ask("What is CLAP for binary code?")
    assert answer.mode == "generated"
    assert answer.text.startswith("CLAP stands for Contrastive Language-Assembly Pre-training [1]. CLAP learns")
    assert any("CLAP (Contrastive Language-Assembly Pre-training)" in e for e in answer.citations[0].evidence)


def test_a_list_question_that_asks_more_gets_each_papers_answer_to_it(assistant):
    question = "Which papers do domain adaptation with a gradient reversal layer?"
    plain = assistant.ask(question)
    asked = assistant.ask(question + " What were they evaluated on?")
    dann = "Domain-Adversarial Training of Neural Networks"
    assert plain.mode == asked.mode == "list"
    assert "sentiment analysis" not in plain.text
    [line] = [c for c in asked.citations if c.title == dann]
    assert any("sentiment analysis" in sentence for sentence in line.evidence) and len(line.evidence) >= 3
    assert all(len(c.evidence) >= 2 for c in asked.citations)


@pytest.mark.xfail(strict=True, reason="without a judge (the extractive mode) a known wrong answer: graph papers are "
                   "listed for 'weather forecasting with graph neural networks' (rated 0.47, threshold 0.15): at the "
                   "operating point that refuses at most 4.1% of answerable held-out questions, half of a topic is "
                   "enough for a list; the judge refuses it (test_real_judge_settles_what_retrieval_left_open)")
def test_list_question_on_a_missing_topic_abstains(assistant):
    answer = assistant.ask("Which papers study weather forecasting with graph neural networks?")
    assert answer.abstained and answer.mode == "abstained" and answer.citations == ()


def test_count_the_abstracts_never_give_abstains(assistant):
    answer = assistant.ask("How many GPU hours did Big Transfer pre-training take?")
    assert answer.abstained and answer.text.startswith("The collection does not cover this question.")
    assert answer.sources[0].title == "Big Transfer (BiT): General Visual Representation Learning"


def test_a_digit_inside_a_name_is_not_a_count(assistant):
    # ST-MoE's abstract says "Mixture-of-Experts" in a sentence with "32B", but never how many experts
    answer = assistant.ask("How many experts does each layer of ST-MoE-32B have?")
    assert answer.abstained and answer.citations == ()
    assert answer.sources[0].title == "ST-MoE: Designing Stable and Transferable Sparse Expert Models"


def test_a_detail_the_abstract_never_names_is_less_likely_answered(assistant):
    """A near miss (a training detail the BiT abstract never gives) is rated less answerable than a
    figure the abstract does give, about the same paper."""
    detail = assistant.assess("What learning rate and batch size did Big Transfer (BiT) use for fine-tuning?")
    stated = assistant.assess("What top-1 accuracy does Big Transfer (BiT) reach on ILSVRC-2012?")
    assert detail.hits[0].title == stated.hits[0].title == "Big Transfer (BiT): General Visual Representation Learning"
    assert detail.decision.probability < stated.decision.probability and stated.decision.answer


def test_training_detail_the_abstract_names_is_answered(assistant):
    answer = assistant.ask("Which optimizer do the layerwise weight decay scaling rules target?")
    assert not answer.abstained
    assert answer.citations[0].title == "Robust Layerwise Scaling Rules by Proper Weight Decay Tuning"


def test_how_much_to_a_paper_without_figures_abstains_without_switching_paper(assistant):
    answer = assistant.ask("How much higher ImageNet top-1 accuracy does Elementwise Layer Normalization give "
                           "than Dynamic Tanh?")
    assert answer.abstained and "give no figures" in answer.text
    assert answer.sources[0].title == "Elementwise Layer Normalization"


def test_count_question_prefers_the_close_paper_that_states_it(assistant):
    answer = assistant.ask("How many image-text pairs was CLIP pre-trained on?")
    clip = "Learning Transferable Visual Models From Natural Language Supervision"
    assert not answer.abstained and answer.sources[0].title == clip and answer.sources[0].rank == 1
    assert answer.citations[0].title == clip and "400 million" in answer.text


def test_compound_names_match_their_spaced_spelling(assistant):
    a = assistant.assess("How many parameters does the TinyTimeMixer have?")
    assert a.hits[0].title.startswith("Tiny Time Mixers (TTMs)")
    assert a.decision.missing_names == () and a.decision.features["coverage"] == 1.0  # "Tiny Time Mixers" has it


@pytest.mark.parametrize("bad, message", [("", "empty"), ("   ", "empty"), ("🙂🙂🙂", "no words"),
                                           ("x" * 20_000, "limit is")])
def test_bad_questions_get_clear_errors(assistant, bad, message):
    with pytest.raises(InvalidQuestionError, match=message):
        assistant.ask(bad)


@pytest.mark.parametrize("call, message", [
    (lambda a: a.ask(123), "must be text"),
    (lambda a: a.ask(b"What is BiT?"), "must be text"),
    (lambda a: a.ask("What is BiT?", k=0), "at least 1"),
    (lambda a: a.ask("What is BiT?", k="5"), "whole number"),
    (lambda a: a.retrieve("What is BiT?", k=-3), "at least 1"),
    (lambda a: a.retrieve("What is BiT?", k=1.5), "whole number"),
    (lambda a: a.ask("What did they find?", history="earlier text"), "pairs"),
    (lambda a: a.ask("What did they find?", history=[("only a question",)]), "pairs"),
    (lambda a: a.ask("What did they find?", history=[None]), "pairs"),
])
def test_api_misuse_gets_clear_errors(assistant, call, message):
    with pytest.raises(InvalidQuestionError, match=message):
        call(assistant)


def test_undecodable_bytes_in_a_question_are_dropped(assistant):
    """A terminal's invalid UTF-8 arrives as lone surrogates (sys.argv): the rest is still asked."""
    hits = assistant.retrieve("big transfer \udcff\udcfe BiT visual representation", k=3)
    assert hits[0].title.startswith("Big Transfer (BiT)")
    with pytest.raises(InvalidQuestionError, match="not readable text .* terminal's encoding"):
        assistant.ask("\udcff\udcfe\udcfd")


# ---- the real default model (greedy) ---------------------------------------------

@pytest.fixture(scope="module")
def llm_assistant(config, assistant):
    a = Assistant.from_config(config.replace(generator="llama_cpp"))
    _ = a.generator  # load once
    return a


@pytest.mark.llm
@pytest.mark.parametrize("question, title", [
    ("How much faster are the distilled VGG-based crowd counting models, and how much compute do they use?", CROWD),
    ("What is CUBER and what problem does it address in continual learning?",
     "Beyond Not-Forgetting: Continual Learning with Backward Knowledge Transfer"),
    # retrieval alone rates it 0.11 (its abstract names the benchmarks without the word); the judge reads them
    ("Which benchmarks was R2-Tuning evaluated on?", R2),
])
def test_real_model_answers_cite_the_right_paper(llm_assistant, question, title):
    answer = llm_assistant.ask(question)
    assert not answer.abstained
    assert answer.citations and answer.citations[0].title == title
    assert {c.title for c in answer.citations} <= {h.title for h in answer.sources}
    assert answer.timings.total_s >= answer.timings.first_token_s > 0


@pytest.mark.llm
@pytest.mark.parametrize("question", [
    "Which papers study weather forecasting with graph neural networks?",  # half a topic: graphs, no weather
    "Which paper introduced LoRA, low-rank adaptation of large language models?",  # mentioned, not introduced
])
def test_real_judge_settles_what_retrieval_left_open(llm_assistant, question):
    answer = llm_assistant.ask(question)
    decision = llm_assistant.assess(question).decision
    assert decision.judged is not None and decision.judged < 0
    assert answer.abstained and not answer.citations


@pytest.mark.llm
def test_real_model_abstains_off_topic(llm_assistant):
    answer = llm_assistant.ask("Who painted the ceiling of the Sistine Chapel?")
    assert answer.abstained and not answer.citations


@pytest.mark.llm
def test_real_model_follow_up_retrieves_the_earlier_paper(llm_assistant):
    first = llm_assistant.ask("What is R2-Tuning?")
    assert first.citations[0].title == R2
    follow = llm_assistant.ask("Which datasets did they evaluate it on?", history=[("What is R2-Tuning?", first.text)])
    assert follow.sources[0].title == R2  # the conversation's paper is found again
    # it cites that paper or nothing: the answer decision may refuse (a known false abstention for
    # questions about datasets the abstract names without the word; docs/quality.md)
    assert follow.citations[0].title == R2 if follow.citations else follow.abstained


@pytest.mark.llm
def test_real_judge_reads_a_nameless_question_that_finds_nothing_alone_as_continuing(llm_assistant):
    # "How big was the speed-up?" names no subject, points back at nothing, and alone finds nothing;
    # in a conversation about the crowd-counting paper, the judge reads that paper as answering it
    history = [("Is there work on making crowd counting models lighter?",
                f"Yes, '{CROWD}' distills a well-trained teacher into a lightweight student network.")]
    alone = llm_assistant.ask("How big was the speed-up?")
    assert alone.abstained
    continued = llm_assistant.ask("How big was the speed-up?", history=history)
    assert not continued.abstained and [c.title for c in continued.citations] == [CROWD]
    # a question the conversation's paper does not answer is not read as continuing it
    unrelated = llm_assistant.ask("What is the capital of Mongolia?", history=history)
    assert unrelated.abstained and not unrelated.citations


def test_a_bare_answer_span_from_the_evidence_is_kept_and_cited(scripted):
    a = scripted("0.5%")
    answer = a.ask("What fraction of a pretrained model's parameters does diff pruning change per task?")
    assert answer.mode == "generated" and answer.text.startswith("0.5% [1].")
    assert answer.citations[0].title == "Parameter-Efficient Transfer Learning with Diff Pruning"
    assert any("0.5%" in s for s in answer.citations[0].evidence) and 'From the abstract [1]: "' in answer.text
    invented = scripted("42%").ask(
        "What fraction of a pretrained model's parameters does diff pruning change per task?")
    assert invented.mode == "fallback" and "42%" not in invented.text  # a span the evidence lacks is not an answer


def test_a_model_looping_on_markers_is_stopped(scripted):
    a = scripted("[1] " * 200)
    events = list(a.stream("How much faster are the distilled VGG-based crowd counting models?"))
    assert events[-1].mode == "fallback" and events[-1].citations[0].title == CROWD
    assert a.generator.consumed < 40  # stopped after a few markers, not at the token limit


def test_a_summary_of_one_paper_quotes_up_to_the_overview_budget(scripted):
    """With one paper in focus, a summary is the model's sentence plus up to five verbatim ones
    (overview_answer_sentences = 6); a specific question stops at three in all."""
    title = "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer"
    a = scripted("The study converts all text-based language problems into a text-to-text format [1].")
    answer = a.ask(
        "Summarize the large study that casts every NLP problem as text-to-text to explore transfer learning.")
    assert answer.mode == "generated" and [c.title for c in answer.citations] == [title]
    quoted = [s for s in answer.citations[0].evidence if f'"{s}"' in answer.text]
    assert 4 <= len(quoted) <= a.config.overview_answer_sentences - 1
    assert "Colossal Clean Crawled Corpus" in answer.text  # its result, past the first three sentences


def test_a_two_part_question_gets_evidence_for_both_parts(assistant):
    """'What rate ... and how quickly ...?': each ask's best sentence ranks in the top two, so the
    answer quotes both."""
    from rag_assistant.evidence import select_sources

    question = ("What attack success rate does the generative model of jailbreak suffixes reach on GPT-3.5, "
                "and how quickly can it produce suffixes for one query?")
    hits = assistant.retrieve(question)
    source = select_sources(hits[:1], assistant.sentences, question, assistant.embedder.embed_query(question),
                            max_papers=1, max_sentences=3)[0]
    best_two = " ".join(e.sentence for e in sorted(source.evidence, key=lambda e: -e.score)[:2])
    assert "4 seconds" in best_two  # the second ask; the first alone ranks the method's description
    answer = assistant.ask(question)
    assert answer.citations[0].title.startswith("AmpleGCG")
    assert "4 seconds" in answer.text


def test_a_metric_the_abstract_gives_no_figure_for_is_abstained_on(assistant):
    answer = assistant.ask("What top-1 ImageNet accuracy does ResNeSt report?")
    assert answer.abstained and "give no figures" in answer.text
    assert answer.sources[0].title == "ResNeSt: Split-Attention Networks"  # the nearest paper is shown


@pytest.mark.llm
def test_a_quoted_title_must_be_in_the_collection(assistant, config):
    """The decision with its judge, as answering with a language model decides (without one, the
    first stage alone rates this question 0.19, above its threshold: docs/quality.md, Known
    weaknesses)."""
    with_judge = Assistant(config.replace(generator="llama_cpp"), assistant.embedder, assistant.store)
    missing = with_judge.ask("Which paper introduced the Vision Transformer, 'An Image is Worth 16x16 Words'?")
    assert missing.abstained and '"An Image is Worth 16x16 Words"' in missing.text
    present = assistant.ask('Is there a paper called "Three things everyone should know about Vision Transformers"?')
    assert not present.abstained
    assert present.citations[0].title == "Three things everyone should know about Vision Transformers"


def test_a_summary_is_about_the_top_paper_alone(scripted):
    """'Summarize the paper on X' is about one paper: a close runner-up is not offered to the model."""
    a = scripted("The paper prunes the source dataset [1].")
    answer = a.ask("Summarize the paper on pruning the source dataset to make pretraining for transfer "
                   "learning cheaper.")
    prompt = a.generator.messages[-1]["content"]
    assert "[2]" not in prompt
    assert [c.title for c in answer.citations] == [answer.sources[0].title]
    assert answer.sources[0].title.startswith("Selectivity Drives Productivity")


def test_a_list_keeps_papers_both_rankings_rate_near_the_top():
    from rag_assistant.types import Hit

    def hit(rank, score, similarity):
        return Hit(f"p{rank}", f"T{rank}", score, "", similarity, rank)

    hits = [hit(1, 0.18, 0.60), hit(2, 0.17, 0.55), hit(3, 0.10, 0.58),  # close in cosine, far in fused score
            hit(4, 0.15, 0.41), hit(5, 0.14, 0.30)]  # too far in cosine from the best
    chosen = list_candidates(hits, 0.40, 0.20, 5, 0.75)
    assert [h.rank for h in chosen] == [1, 2, 4]
    assert [h.rank for h in list_candidates(hits, 0.40, 0.20, 5)] == [1, 2, 3, 4]  # no gate
    assert list_candidates(hits[:1], 0.9, 0.0, 5, 0.75) == hits[:1]  # the best is always listed


def test_a_summary_says_what_the_paper_did_not_the_fields_background(scripted):
    """The sentences before an abstract first speaks of its own work ("we", "this paper") are the
    field's background: a summary reads and quotes the paper's own sentences first."""
    a = scripted("The paper casts every language problem as text-to-text [1].")
    answer = a.ask("Summarize the study that casts every NLP problem as text-to-text to explore transfer learning.")
    prompt = a.generator.messages[-1]["content"]
    t5 = "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer"
    assert answer.citations[0].title == t5
    assert "has emerged as a powerful technique" not in prompt  # the abstract's opening background
    assert "text-to-text format" in prompt
    assert "pre-training objectives" in answer.text and "Colossal Clean Crawled Corpus" in answer.text
    plain = a.ask("What does the text-to-text transfer learning study release to facilitate future work?")
    assert "release" in plain.text  # a specific question still gets the sentence that answers it


def test_a_contribution_sentence_may_take_a_few_words_to_reach_its_verb():
    from rag_assistant.evidence import CONTRIBUTION

    assert CONTRIBUTION.search("In this work, we make a step towards such foundation models and present ULTRA, "
                               "an approach for learning universal graph representations.")
    assert not CONTRIBUTION.search("Foundation models in language and vision have the ability to run inference "
                                   "on any input thanks to transferable representations.")


def test_a_figure_for_the_metric_asked_for_outranks_sentences_that_echo_the_question(assistant):
    """'What top-1 accuracy on ImageNet...?': the sentence giving a top-1 accuracy is the evidence,
    not the one repeating the question's other words, nor one whose only digits are in CIFAR-10."""
    from rag_assistant.evidence import _FIGURE, asked_metrics

    answer = assistant.ask("How well does the learned data augmentation policy do: what top-1 accuracy on "
                           "ImageNet and what error rate on CIFAR-10?")
    assert answer.citations[0].title == "AutoAugment: Learning Augmentation Policies from Data"
    assert "83.5%" in answer.text and "1.5%" in answer.text  # both asks' figures
    assert asked_metrics("What is AutoAugment?") == frozenset()  # not a quantity question
    assert not _FIGURE.search("It is state of the art on CIFAR-10, CIFAR-100 and ResNet-50.")
    assert _FIGURE.search("It reaches 83.5% (0.4 better).")


def test_background_sentences_score_lower_only_before_the_paper_speaks_of_its_own_work():
    import numpy as np

    from rag_assistant.evidence import SentenceIndex
    from rag_assistant.types import Paper

    class SameVector:  # every sentence equally close to the question: only the adjustments differ
        def embed(self, texts):
            return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    papers = {"a": Paper("a", "A", "Transfer is hard. Labels are scarce. We propose Foo. Foo wins.", "x"),
              "b": Paper("b", "B", "Transfer is hard. Labels are scarce. Foo wins.", "x")}
    index, query = SentenceIndex(SameVector(), papers), np.ones(2, dtype=np.float32) / np.sqrt(2)
    plain = [round(s, 3) for s, _ in index.score("a", query, set())]
    penalized = [round(s, 3) for s, _ in index.score("a", query, set(), background=0.5)]
    assert [p - q for p, q in zip(plain, penalized)] == pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert [s for s, _ in index.score("b", query, set(), background=0.5)] == \
        [s for s, _ in index.score("b", query, set())]  # no sentence of its own work: no background
