"""Precision, recall and F1 of the duplicate matcher on a labelled synthetic set.

    .venv/bin/python bench/duplicates_f1.py --count 20000 --seed 101

The set comes from bench/duplicates_data.py (variants of one company and look-alike companies,
each record labelled with its company). The matcher runs exactly as the scan runs it (blocking,
scoring); a true pair is two records of one company, a found pair one scoring at or above the
threshold. Tune on one seed, report on another: the figures of a seed used for tuning flatter.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
os.environ.setdefault("KEHU_DATA_DIR", "/tmp/kehu-bench/data")  # noqa: S108 (throwaway)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--threshold", type=float, default=None, help="default: the setting")
    parser.add_argument("--sweep", default="0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95")
    parser.add_argument("--errors", type=int, default=0, help="print this many misses of each")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from duplicates_data import generate, true_pairs
    from tqdm import tqdm

    from kehu.dataquality.matching import Candidate, find_duplicates

    threshold = settings.KEHU_DUPLICATE_THRESHOLD if args.threshold is None else args.threshold
    records = generate(args.count, seed=args.seed)
    ids = list(range(1, len(records) + 1))
    candidates = [
        Candidate(
            id=pk,
            name=r.name,
            contacts=tuple(c.name for c in r.contacts),
            mobiles=tuple(c.mobile for c in r.contacts),
            address=f"{r.city}{r.district}{r.street}",
        )
        for pk, r in zip(ids, tqdm(records, desc="records", unit="rec"), strict=True)
    ]
    truth = true_pairs(records, ids)
    sweep = sorted({threshold, *(float(t) for t in args.sweep.split(",") if t)})
    started = time.perf_counter()
    verdicts = find_duplicates(candidates, threshold=min(sweep))
    seconds = time.perf_counter() - started
    print(
        f"{len(records):,} records, {len(truth):,} true pairs, seed {args.seed}, "
        f"matched in {seconds:.1f} s"
    )
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6}   found")
    for t in sweep:
        found = {(min(v.a, v.b), max(v.a, v.b)) for v in verdicts if v.score >= t}
        hits = len(found & truth)
        precision = hits / len(found) if found else 1.0
        recall = hits / len(truth) if truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        mark = "  <- setting" if t == threshold else ""
        print(f"{t:>9.2f} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} {len(found):>7,}{mark}")
    if args.errors:
        found = {(min(v.a, v.b), max(v.a, v.b)) for v in verdicts if v.score >= threshold}
        by_id = dict(zip(ids, records, strict=True))
        print("missed:")
        for a, b in sorted(truth - found)[: args.errors]:
            print(" ", by_id[a].name, "|", by_id[b].name, "|", by_id[b].kind)
        print("wrongly found:")
        for a, b in sorted(found - truth)[: args.errors]:
            print(" ", by_id[a].name, "|", by_id[b].name, "|", by_id[b].kind)


if __name__ == "__main__":
    main()
