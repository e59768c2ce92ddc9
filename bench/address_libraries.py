"""Street addresses: our recogniser against the address libraries on PyPI, on the independent corpora.

    .venv/bin/python -m bench.address_libraries [--corpus faker,mimesis,handwritten_test] [--size 2000] [--seed 101]

The issue asked us to measure a well-kept library before keeping our own patterns:
- ``pyap`` detects addresses in free text (US, CA, GB rules), run once per country and the hits merged;
- ``usaddress`` is a CRF *parser* of one address: run on a whole chat message it labels every token, so its
  address tokens (number, street, unit, city, state, ZIP) are merged into spans;
- ours: ``StreetAddressRecognizer`` alone (``streams/redact/recognizers/street_address.py``), score threshold of
  the shipped settings, no context boost.
Per corpus: recall of STREET_ADDRESS spans (a gold span counts when predictions cover all its characters but
spaces and punctuation), recall on the non-US slice, precision (predictions overlapping any PII span), the share
of labelled hard negatives touched, and messages per second.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from bench.corpora import LabelledText, load
from cxpulse.settings import Settings
from streams.redact.recognizers.street_address import StreetAddressRecognizer

Span = tuple[int, int]
_ADDRESS_LABELS = frozenset(
    {
        "AddressNumber", "AddressNumberPrefix", "AddressNumberSuffix", "StreetName", "StreetNamePreDirectional",
        "StreetNamePreModifier", "StreetNamePreType", "StreetNamePostDirectional", "StreetNamePostModifier",
        "StreetNamePostType", "OccupancyType", "OccupancyIdentifier", "SubaddressIdentifier", "SubaddressType",
        "BuildingName", "PlaceName", "StateName", "ZipCode", "USPSBoxID", "USPSBoxType",
    }
)  # fmt: skip


def _pyap(text: str) -> list[Span]:
    import pyap

    spans = []
    for country in ("US", "CA", "GB"):
        for address in pyap.parse(text, country=country):
            start = text.find(address.full_address)
            if start >= 0:
                spans.append((start, start + len(address.full_address)))
    return spans


def _usaddress(text: str) -> list[Span]:
    import usaddress

    spans: list[Span] = []
    pos = 0
    try:
        tagged = usaddress.parse(text)
    except Exception:  # noqa: BLE001 - the parser raises on some inputs; that is a miss, not a crash
        return []
    for token, label in tagged:
        start = text.find(token, pos)
        if start < 0:
            continue
        pos = start + len(token)
        if label in _ADDRESS_LABELS:
            if spans and text[spans[-1][1] : start].strip(" ,") == "":
                spans[-1] = (spans[-1][0], pos)
            else:
                spans.append((start, pos))
    return spans


def _ours() -> Callable[[str], list[Span]]:
    settings = Settings().redaction
    recognizer = StreetAddressRecognizer(language=settings.language)
    threshold = settings.score_thresholds.get("STREET_ADDRESS", settings.score_threshold)

    def run(text: str) -> list[Span]:
        return [(r.start, r.end) for r in recognizer.analyze(text, ["STREET_ADDRESS"]) if r.score >= threshold]

    return run


def _covered(text: str, gold: Span, predicted: Sequence[Span]) -> bool:
    return all(any(s <= i < e for s, e in predicted) for i in range(gold[0], gold[1]) if text[i].isalnum())


def _score(corpus: Sequence[LabelledText], find: Callable[[str], list[Span]]) -> dict[str, float]:
    gold = found = gold_non_us = found_non_us = predicted = correct = negatives = touched = 0
    started = time.perf_counter()
    predictions = [find(item.text) for item in corpus]
    rate = len(corpus) / (time.perf_counter() - started)
    for item, preds in zip(corpus, predictions, strict=True):
        non_us = "address_non_us" in item.slices
        for entity, start, end in item.spans:
            if entity != "STREET_ADDRESS":
                continue
            hit = _covered(item.text, (start, end), preds)
            gold += 1
            found += hit
            gold_non_us += non_us
            found_non_us += hit and non_us
        predicted += len(preds)
        correct += sum(any(s < ge and gs < e for _, gs, ge in item.spans) for s, e in preds)
        negatives += len(item.negatives)
        touched += sum(any(s < ne and ns < e for s, e in preds) for _, ns, ne in item.negatives)
    return {
        "gold": gold,
        "recall": found / gold if gold else float("nan"),
        "non-US recall": found_non_us / gold_non_us if gold_non_us else float("nan"),
        "precision": correct / predicted if predicted else float("nan"),
        "negatives touched": touched / negatives if negatives else float("nan"),
        "msg/s": rate,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="faker,mimesis,handwritten_test")
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=101)
    args = parser.parse_args()
    systems = {
        "ours (StreetAddressRecognizer)": _ours(),
        "pyap (US+CA+GB)": _pyap,
        "usaddress (CRF parser)": _usaddress,
    }
    for name in args.corpus.split(","):
        corpus = load(name, args.size, args.seed)
        print(f"\ncorpus {name}: {len(corpus)} messages, seed {args.seed}")
        print(f"{'system':32} {'gold':>5} {'recall':>7} {'non-US':>7} {'prec':>6} {'neg hit':>8} {'msg/s':>8}")
        for label, find in systems.items():
            s = _score(corpus, find)
            print(
                f"{label:32} {s['gold']:5.0f} {s['recall']:7.3f} {s['non-US recall']:7.3f} {s['precision']:6.3f} "
                f"{s['negatives touched']:8.3f} {s['msg/s']:8.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
