"""Evaluation metrics against hand-computed cases."""
import math

import pytest

from rag_assistant import metrics as M
from rag_assistant.baselines import cited_titles

L2, L3, L4 = math.log2(2), math.log2(3), math.log2(4)


# ---- recall@k -------------------------------------------------------------------------
def test_recall_single_gold():
    ranking = ["A", "B", "C", "D", "E", "F"]
    assert M.recall_at_k(ranking, ["A"], 1) == 1.0
    assert M.recall_at_k(ranking, ["C"], 1) == 0.0
    assert M.recall_at_k(ranking, ["C"], 5) == 1.0
    assert M.recall_at_k(ranking, ["F"], 5) == 0.0
    assert M.recall_at_k(ranking, ["F"], 10) == 1.0


def test_recall_multi_gold_is_fraction_of_gold_found():
    ranking = ["A", "X", "B", "Y", "Z", "C"]
    gold = ["A", "B", "C"]
    assert M.recall_at_k(ranking, gold, 1) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranking, gold, 5) == pytest.approx(2 / 3)
    assert M.recall_at_k(ranking, gold, 10) == 1.0


def test_recall_more_gold_than_k_cannot_reach_one():
    assert M.recall_at_k(["A", "B"], ["A", "B", "C", "D"], 1) == 0.25


def test_recall_duplicates_count_once_and_take_no_rank():
    # "A" repeated (different case/spacing) must not push "B" out of the top 2, nor count twice
    ranking = ["A", "a", " A ", "B"]
    assert M.recall_at_k(ranking, ["B"], 2) == 1.0
    assert M.recall_at_k(ranking, ["A", "C"], 10) == 0.5
    assert M.recall_at_k(["A"], ["A", "a"], 1) == 1.0  # duplicate gold is one paper


def test_recall_empty_cases():
    assert M.recall_at_k([], ["A"], 5) == 0.0
    assert M.recall_at_k(["A"], [], 5) is None  # unanswerable: undefined
    assert M.recall_at_k(["A"], ["A"], 0) == 0.0


def test_titles_compared_case_and_whitespace_insensitively():
    assert M.recall_at_k(["Attention  is all you NEED"], ["Attention Is All You Need"], 1) == 1.0


# ---- MRR ------------------------------------------------------------------------------
def test_reciprocal_rank():
    assert M.reciprocal_rank(["A", "B", "C"], ["A"]) == 1.0
    assert M.reciprocal_rank(["A", "B", "C"], ["C"]) == pytest.approx(1 / 3)
    assert M.reciprocal_rank(["A", "B", "C"], ["C", "B"]) == 0.5  # first gold counts
    assert M.reciprocal_rank(["A", "B"], ["Z"]) == 0.0
    assert M.reciprocal_rank([], ["Z"]) == 0.0
    assert M.reciprocal_rank(["A"], []) is None
    assert M.reciprocal_rank(["A", "A", "B"], ["B"]) == 0.5  # duplicates take no rank


def test_mrr_is_mean_of_reciprocal_ranks_skipping_unanswerable():
    rrs = [M.reciprocal_rank(["A", "B"], ["B"]), M.reciprocal_rank(["A"], ["A"]), M.reciprocal_rank(["A"], [])]
    assert M.mean(rrs) == pytest.approx(0.75)


# ---- ties -----------------------------------------------------------------------------
def test_ties_are_broken_by_input_order():
    ranking = M.rank_by_score([("A", 0.5), ("B", 0.9), ("C", 0.5), ("D", 0.5)])
    assert ranking == ["B", "A", "C", "D"]
    assert M.reciprocal_rank(ranking, ["C"]) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranking, ["D"], 3) == 0.0
    assert M.rank_by_score([]) == []


# ---- nDCG -----------------------------------------------------------------------------
def test_ndcg_single_gold():
    assert M.ndcg_at_k(["A", "B"], ["A"], 10) == 1.0
    assert M.ndcg_at_k(["B", "A"], ["A"], 10) == pytest.approx(1 / L3)
    assert M.ndcg_at_k(["B", "C", "A"], ["A"], 10) == pytest.approx(1 / L4)
    assert M.ndcg_at_k(["B", "C", "A"], ["A"], 2) == 0.0


def test_ndcg_multi_gold():
    # gold at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3)
    assert M.ndcg_at_k(["A", "X", "B"], ["A", "B"], 10) == pytest.approx(1.5 / (1 + 1 / L3))
    # 3 gold, only 1 found at rank 2: DCG = 1/log2(3); ideal = 1 + 1/log2(3) + 1/log2(4)
    assert M.ndcg_at_k(["X", "C"], ["A", "B", "C"], 10) == pytest.approx((1 / L3) / (1 + 1 / L3 + 1 / L4))


def test_ndcg_ideal_capped_at_k():
    # 3 gold, k=2, both top-2 are gold -> perfect
    assert M.ndcg_at_k(["A", "B", "X"], ["A", "B", "C"], 2) == 1.0


def test_ndcg_duplicates_count_once():
    # "A" twice must not earn gain twice (would exceed 1) and must not take rank 2
    assert M.ndcg_at_k(["A", "A", "B"], ["A", "B"], 10) == pytest.approx(1.0)
    assert M.ndcg_at_k(["X", "X", "A"], ["A"], 10) == pytest.approx(1 / L3)


def test_ndcg_empty():
    assert M.ndcg_at_k([], ["A"], 10) == 0.0
    assert M.ndcg_at_k(["A"], [], 10) is None


# ---- citations ------------------------------------------------------------------------
def test_citation_precision_and_recall():
    gold = ["A", "B"]
    assert M.citation_precision(["A"], gold) == 1.0
    assert M.citation_recall(["A"], gold) == 0.5
    assert M.citation_precision(["A", "X"], gold) == 0.5
    assert M.citation_precision(["A", "B", "X", "Y"], gold) == 0.5
    assert M.citation_recall(["A", "B", "X", "Y"], gold) == 1.0


def test_citation_duplicates_count_once():
    assert M.citation_precision(["A", "a", "A", "X"], ["A"]) == 0.5
    assert M.citation_recall(["A", "A"], ["A", "B"]) == 0.5


def test_no_citations():
    assert M.citation_precision([], ["A"]) is None  # undefined, left out of the mean
    assert M.citation_recall([], ["A"]) == 0.0  # but recall shows the miss


def test_citations_on_unanswerable_are_undefined():
    assert M.citation_precision(["A"], []) is None
    assert M.citation_recall(["A"], []) is None


# ---- keypoints ------------------------------------------------------------------------
def test_keypoint_coverage_alternatives_case_and_whitespace():
    keypoints = [["6.5times", "6.5"], ["6%"], ["Colossal Clean Crawled Corpus", "C4"]]
    assert M.keypoint_coverage("It is 6.5 TIMES faster and uses 6 % of the compute.", keypoints) == pytest.approx(2 / 3)
    assert M.keypoint_coverage("colossal  clean\ncrawled corpus", keypoints) == pytest.approx(1 / 3)
    assert M.keypoint_coverage("", keypoints) == 0.0
    assert M.keypoint_coverage("anything", []) is None
    assert M.keypoint_coverage("uses C4", ["C4"]) == 1.0  # a bare string is a one-alternative group


def test_keypoint_unicode_width_folded():
    assert M.keypoint_covered("ＢＥＲＴ works", ["bert"])


# ---- abstention -----------------------------------------------------------------------
def test_abstention_accuracy_and_false_abstention():
    abstained = [True, False, True, False]
    answerable = [False, True, True, False]
    assert M.abstention_accuracy(abstained, answerable) == 0.5
    assert M.false_abstention_rate(abstained, answerable) == 0.5
    assert M.unanswerable_abstention_rate(abstained, answerable) == 0.5


def test_all_abstained():
    abstained = [True, True, True]
    answerable = [True, True, False]
    assert M.abstention_accuracy(abstained, answerable) == pytest.approx(1 / 3)
    assert M.false_abstention_rate(abstained, answerable) == 1.0
    assert M.unanswerable_abstention_rate(abstained, answerable) == 1.0


def test_never_abstains():
    assert M.abstention_accuracy([False, False], [True, False]) == 0.5
    assert M.false_abstention_rate([False, False], [True, False]) == 0.0
    assert M.unanswerable_abstention_rate([False, False], [True, False]) == 0.0


def test_abstention_edge_cases():
    assert M.abstention_accuracy([], []) is None
    assert M.false_abstention_rate([True], [False]) is None  # no answerable question
    assert M.unanswerable_abstention_rate([True], [True]) is None
    with pytest.raises(ValueError):
        M.abstention_accuracy([True], [True, False])


# ---- percentiles and means ------------------------------------------------------------
def test_percentile_linear_interpolation():
    assert M.percentile([3, 1, 2], 50) == 2.0
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95) == pytest.approx(10.5)
    assert M.percentile([5], 95) == 5.0
    assert M.percentile([2, 2, 2, 9], 50) == 2.0  # ties
    assert M.percentile([], 50) is None
    assert M.percentile([None, 1.0], 50) == 1.0
    with pytest.raises(ValueError):
        M.percentile([1], 101)


def test_mean_ignores_not_applicable():
    assert M.mean([1.0, None, 0.0]) == 0.5
    assert M.mean([None]) is None
    assert M.mean([]) is None
    assert M.count_defined([1, None, 0]) == 2


# ---- stock recipe citations -------------------------------------------------------------
def test_stock_cited_titles_by_marker_and_by_name():
    titles = ["Alpha Beta", "Gamma Delta", "Alpha Beta", "Epsilon"]
    assert cited_titles("Uses X [2] and Y [1, 3].", titles) == ["Gamma Delta", "Alpha Beta"]
    assert cited_titles("As in gamma  DELTA, it works.", titles) == ["Gamma Delta"]
    assert cited_titles("Ranges [2-4] count.", titles) == ["Gamma Delta", "Alpha Beta", "Epsilon"]
    assert cited_titles("Out of range [9] and none.", titles) == []
    assert cited_titles("", titles) == []
