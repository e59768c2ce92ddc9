"""Per-entity precision and recall of our analyzer vs Presidio's default, on the same labelled chat corpus.

    .venv/bin/python -m bench.redaction_quality [--size 2000] [--seed 7]

Recall: gold spans overlapped by a prediction of the same type. Precision: predictions of a type that overlap
a gold span of that type. "covered": gold spans overlapped by a prediction of any type (redacted, maybe under
another label). Hard negatives (order numbers, SIDs, timestamps, prices) count against precision.
"""

from __future__ import annotations

import argparse
import logging
import math

from bench.redaction_corpus import generate_corpus
from bench.redaction_eval import PresidioDefault, score
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer


def _fmt(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{x:6.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    settings = Settings().redaction
    corpus = generate_corpus(args.size, args.seed)
    texts = [c.text for c in corpus]
    ours = FastAnalyzer(settings)
    our_preds = [[(f.entity_type, f.start, f.end) for f in fs] for fs in ours.analyze_batch(texts)]
    base_preds = PresidioDefault(settings).analyze(texts)
    mine, base = score(corpus, our_preds), score(corpus, base_preds)
    print(f"corpus: {len(corpus)} messages, seed {args.seed}, {sum(len(c.spans) for c in corpus)} PII spans")
    print(
        f"{'entity':16} {'gold':>5} | {'ours P':>6} {'ours R':>6} {'cover':>6} | {'pres P':>6} {'pres R':>6} "
        f"{'cover':>6} | recall >= default"
    )
    worse = []
    for m, b in zip(mine, base, strict=True):
        ok = math.isnan(b.recall) or (not math.isnan(m.recall) and m.recall >= b.recall - 1e-9)
        if not ok:
            worse.append(m.entity)
        print(
            f"{m.entity:16} {m.gold:5d} | {_fmt(m.precision)} {_fmt(m.recall)} {_fmt(m.covered)} | "
            f"{_fmt(b.precision)} {_fmt(b.recall)} {_fmt(b.covered)} | {'yes' if ok else 'NO'}"
        )
    print(f"NER texts: {ours.stats['ner_texts']} of {len(set(texts))} distinct")
    print("recall parity: " + ("every entity type" if not worse else "LOWER for " + ", ".join(worse)))
    return 0 if not worse else 1


if __name__ == "__main__":
    raise SystemExit(main())
