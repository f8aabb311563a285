#!/usr/bin/env python3
"""Which tables and indexes a write dirtied (BENCHMARKS.md, "Incremental ingest").

    scripts/dirty-pages.py BEFORE.db AFTER.db

Compares two copies of a store page by page (after a checkpoint: run it on
a store no process has open) and names the owner of every page that
changed or was appended, from SQLite's `dbstat` table of the second copy.
A day's ingest that dirties most pages of an index is an index taking
random inserts; one that appends is one taking them in order.
"""
import sqlite3, sys, collections
a, b = sys.argv[1], sys.argv[2]
con = sqlite3.connect(f"file:{b}?mode=ro", uri=True)
ps = con.execute("PRAGMA page_size").fetchone()[0]
owner = {}
for name, pageno in con.execute("SELECT name, pageno FROM dbstat"):
    owner[pageno] = name
tot = collections.Counter(owner.values())
dirty = collections.Counter(); new = collections.Counter()
with open(a, "rb") as fa, open(b, "rb") as fb:
    n = 0
    while True:
        n += 1
        pb = fb.read(ps)
        if not pb: break
        pa = fa.read(ps)
        if pa != pb:
            (new if not pa else dirty)[owner.get(n, "?free")] += 1
print(f"{'object':30} {'pages':>8} {'changed':>8} {'appended':>8}")
for k in sorted(tot, key=lambda k: -(dirty[k]+new[k])):
    if dirty[k] + new[k]:
        print(f"{k:30} {tot[k]:8} {dirty[k]:8} {new[k]:8}")
print("total changed", sum(dirty.values()), "appended", sum(new.values()))
