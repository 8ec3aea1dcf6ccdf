"""The scorecard's tally counts the purchases no rule decided (the day's ~98 %) by label, from
the population's census: every count equals the per-purchase tally's (the scorecard is
computed from these counts only), for any population, labels (legit, scenarios, unknown
labels, unlabelled ids, a `LabelSet` too) and decisions of the population's ids; decisions
of an id outside the population are refused."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.fraud import decide, load_rulebook
from settlement.domain.fraud.labelset import LabelSet
from settlement.domain.fraud.model import FraudDecision, FraudFlag
from settlement.domain.fraud.scorecard import _Tally, _tally, census_by_label
from settlement.domain.transactions import LEGIT_LABEL

RULEBOOK = load_rulebook()
IDS = [f"t{i}" for i in range(12)] + ["019cd98c-a99c-773e-8da2-f5628c476243"]
LABEL = st.sampled_from([LEGIT_LABEL, LEGIT_LABEL, "card_testing", "stolen_card_spree", "odd"])
RULES = [rule.name for rule in RULEBOOK.rules]


def _per_purchase(
    decisions: Mapping[str, FraudDecision], labels: Mapping[str, str], population: list[str]
) -> _Tally:
    """The tally as it was counted before the bulk path: one `add` a purchase."""
    tally = _Tally()
    for transaction_id in population:
        label = labels.get(transaction_id)
        tally.unlabelled += label is None
        tally.add(label or LEGIT_LABEL, decisions.get(transaction_id))
    return tally


@given(
    st.lists(st.sampled_from(IDS), max_size=30, unique=True),
    st.dictionaries(st.sampled_from(IDS), LABEL),
    st.lists(
        st.tuples(st.integers(0, 29), st.sampled_from(RULES), st.integers(0, 100)), max_size=8
    ),
    st.booleans(),
)
def test_the_census_tally_scores_as_the_per_purchase_one(
    population: list[str],
    labelled: dict[str, str],
    flagged: list[tuple[int, str, int]],
    packed: bool,
) -> None:
    labels = _labels(labelled, packed)
    flags = [
        FraudFlag(population[i], r, s, f"{r} fired") for i, r, s in flagged if i < len(population)
    ]
    decisions = decide(flags, RULEBOOK)
    census = census_by_label(labels, population)
    assert _counts(_tally(decisions, labels, census)) == _counts(
        _per_purchase(decisions, labels, population)
    )


@pytest.mark.parametrize("label", [None, LEGIT_LABEL, "card_testing"])
def test_a_decision_outside_the_population_is_refused(label: str | None) -> None:
    labels = {} if label is None else {"outside": label}
    decisions = decide([FraudFlag("outside", RULES[0], 100, "fired")], RULEBOOK)
    census = census_by_label(labels, [])
    with pytest.raises(ValueError, match="1 transaction"):
        _tally(decisions, labels, census)


def _labels(labelled: dict[str, str], packed: bool) -> Mapping[str, str]:
    if not packed:
        return labelled
    labels = LabelSet()
    for transaction_id, label in labelled.items():
        labels.add(transaction_id, label)
    return labels


def _counts(tally: _Tally) -> dict[str, object]:
    """Every count of the tally, zero counts dropped (the scorecard reads only these)."""

    def nonzero(counter: Mapping[str, int]) -> dict[str, int]:
        return {key: n for key, n in counter.items() if n}

    def nested(table: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
        return {key: nonzero(inner) for key, inner in table.items() if nonzero(inner)}

    return {
        "population": tally.population,
        "unlabelled": tally.unlabelled,
        "by_label": nonzero(tally.by_label),
        "held_by_label": nonzero(tally.held_by_label),
        "actions": nested(tally.actions),
        "rule_hits": nonzero(tally.rule_hits),
        "rule_fraud_hits": nonzero(tally.rule_fraud_hits),
        "hits_by_label": nested(tally.hits_by_label),
    }
