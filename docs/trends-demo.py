#!/usr/bin/env python3
"""Writes the demo input behind docs/trends-example.png: eight weeks of one
member's sessions, mostly done, a few skipped, and pain on one exercise.

    python3 docs/trends-demo.py | cargo run --release -- demo --speed 1 \
        --start 2027-03-01T06:00:00Z --database /tmp/trends-demo.sqlite3

The picture is written next to the database as trends.png."""

import random

random.seed(7)
lines = ["/subscribe 07:00 UTC", "/agree", "wait 61m"]
for day in range(56):
    if day in (17, 19, 23):
        # Pain on the first exercise: a score, and where.
        lines += ["react 🤕", f"/pain {[4, 5, 8][(17, 19, 23).index(day)]} between the shoulder blades"]
    elif random.random() < 0.12:
        lines += ["react ⏭️"] * 5
    else:
        done = 5 if random.random() < 0.8 else 3
        lines += ["react ✅"] * done + ["react ⏭️"] * (5 - done)
    lines.append("wait 24h")
lines += ["/trends", "quit"]
print("\n".join(lines))
