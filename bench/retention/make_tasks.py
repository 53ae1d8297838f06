#!/usr/bin/env python3
"""Writes the retention benchmark's four tasks as JSONL, OUT_DIR/train/NAME.jsonl and OUT_DIR/test/NAME.jsonl ({"prompt", "completion"}): TinyStories-like sentences, each
task a rule the answer follows from the prompt, so test accuracy measures the skill. Test prompts are never
training prompts. Usage: make_tasks.py OUT_DIR TRAIN_PER_TASK TEST_PER_TASK SEED"""
import json, os, random, sys

NAMES = ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna", "Max", "Sue", "Tim", "Lucy", "Jack", "Emma", "Bob", "Kate", "Joe", "Amy"]
COLOURS = ["red", "blue", "green", "yellow", "pink", "brown", "white", "black", "purple", "orange"]
THINGS = ["ball", "hat", "box", "car", "cup", "kite", "dog", "cat", "bird", "boat", "doll", "book", "bag", "cake", "fish", "tree"]
PLACES = ["park", "garden", "house", "forest", "school", "river", "shop", "beach"]
VERBS = ["found", "saw", "had", "liked", "wanted", "lost", "made", "took"]
WORDS = ["the", "dog", "ran", "big", "sun", "a", "cat", "sat", "on", "mat", "happy", "girl", "played", "with", "toy",
         "and", "boy", "jumped", "high", "tree", "little", "bird", "sang", "red", "ball"]


def colour(r):
    n, c, t, v = r.choice(NAMES), r.choice(COLOURS), r.choice(THINGS), r.choice(VERBS)
    return f"{n} {v} a {c} {t}. What colour was the {t}? Answer:", c


def who(r):
    n, t, p, v = r.choice(NAMES), r.choice(THINGS), r.choice(PLACES), r.choice(VERBS)
    return f"{n} {v} a {t} in the {p}. Who {v} the {t}? Answer:", n


def where(r):
    n, t, p, v = r.choice(NAMES), r.choice(THINGS), r.choice(PLACES), r.choice(VERBS)
    return f"{n} {v} a {t} in the {p}. Where was the {t}? Answer:", f"the {p}"


def count(r):
    k = r.randint(1, 6)
    ws = " ".join(r.choice(WORDS) for _ in range(k))
    return f"Count the words: {ws}. Answer:", str(k)


TASKS = [("colour", colour), ("who", who), ("where", where), ("count", count)]


def main():
    out, n_train, n_test, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for i, (name, gen) in enumerate(TASKS):
        r = random.Random(seed * 1000 + i)
        test, seen = [], set()
        while len(test) < n_test:
            p, c = gen(r)
            if p not in seen:
                seen.add(p)
                test.append((p, c))
        train, tries = [], 0
        while len(train) < n_train:
            p, c = gen(r)
            tries += 1
            if p in seen and tries < 100 * n_train:
                continue
            train.append((p, c))
        for split, rows in (("train", train), ("test", test)):
            os.makedirs(os.path.join(out, split), exist_ok=True)
            with open(os.path.join(out, split, f"{name}.jsonl"), "w") as f:
                for p, c in rows:
                    f.write(json.dumps({"prompt": p, "completion": c}) + "\n")


if __name__ == "__main__":
    main()
