#!/usr/bin/env python3
"""Agreement of semhash's removed documents with one or more `overlap dedup --semantic` runs.

    python3 bench/semhash_agreement.py REMOVED.txt OUT1/clusters.jsonl [OUT2/clusters.jsonl ...]

REMOVED.txt is what `bench/semhash_side_by_side.py CORPUS --centred T --semhash-only REMOVED.txt`
writes (the ids semhash removed, one per line). For each overlap output it prints the documents
removed by both, only by semhash, only by overlap, and the Jaccard of the two removed sets, as the
side-by-side script does when it runs both tools itself. Standard library only.
"""
import json
import sys


def removed_by_overlap(path):
    removed, total = set(), 0
    with open(path) as f:
        for line in f:
            c = json.loads(line)
            total += 1
            if not c["kept"]:
                removed.add(str(c["id"]))
    return removed, total


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        semhash = {line.rstrip("\n") for line in f if line.strip()}
    print("| overlap output | documents | removed by overlap | removed by semhash | both / only semhash / only overlap | Jaccard |")
    print("|---|---|---|---|---|---|")
    for path in sys.argv[2:]:
        ours, total = removed_by_overlap(path)
        both = ours & semhash
        print(f"| {path} | {total:,} | {len(ours):,} | {len(semhash):,} | {len(both):,} / {len(semhash - ours):,} / "
              f"{len(ours - semhash):,} | {len(both) / max(1, len(ours | semhash)):.3f} |")


if __name__ == "__main__":
    main()
