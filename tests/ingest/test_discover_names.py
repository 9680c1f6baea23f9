"""Discovered themes are named for what sets their cluster apart, through the real model: a
word every complaint of the business uses ("account", "bank") never names a theme alone.
The feedback is a fictional bank's, written here."""

from __future__ import annotations

import itertools

from ingest.discover import discover

TOPICS = {
    "card": [
        "My card was declined abroad again, my account has money in it.",
        "Card declined at the shop, the bank blocked my account for no reason.",
        "Travelling and my debit card keeps getting declined, bank account is fine.",
        "Card declined twice today, I had to call the bank about my account.",
    ],
    "mortgage": [
        "The mortgage application has taken eight weeks, the bank never updates my account.",
        "Still no decision on my mortgage application, the bank keeps asking for documents.",
        "Mortgage application stuck for weeks, nobody at the bank can tell me why.",
        "Applied for a mortgage in March and the bank lost my application twice.",
    ],
    "login": [
        "The app will not let me log in to my account, the bank says it is fine.",
        "Login keeps failing on the mobile app, locked out of my bank account.",
        "Cannot log in since the app update, the bank account page just spins.",
        "App login broken again, I can't see my account balance at the bank.",
    ],
}
WHO = ["", " Again.", " Third time.", " Fed up.", " Sort it out.", " Please help."]


def test_names_say_what_sets_a_cluster_apart(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = [
        f"{t}{w} (ref {n})"
        for n, (t, w) in enumerate(
            itertools.chain.from_iterable(
                itertools.product(ts, WHO) for ts in TOPICS.values() for _ in range(2)
            )
        )
    ]
    vecs = embedder.embed(texts)
    clusters = discover(texts, vecs, k=3)
    labels = [c.label.lower() for c in clusters]
    assert len(labels) == 3, labels
    for label in labels:
        assert label not in {"account", "bank", "bank account", "account and bank"}, labels
    joined = " | ".join(labels)
    for words in (("card", "declin"), ("mortgage", "application"), ("log", "app")):
        assert any(any(w in label for w in words) for label in labels), joined


SHOP = {
    "drawer": [
        "The drawer handle broke off after a week, @Oakly.",
        "Drawer handle came loose on day two.",
        "Both drawer handles snapped when I opened them.",
        "The drawer handle fell off, cheap screws.",
    ],
    "instructions": [
        "Assembly instructions missing from the box.",
        "No assembly instructions in the package, had to guess.",
        "I bought it from Oakly and the assembly instructions were missing pages.",
        "Assembly instructions missing, half the screws too.",
    ],
    "nothing said": [
        "Hi, can you help me please?",
        "Hello, I need help with an issue.",
        "Hey there, please help, I have a problem.",
        "Hi, I have a question, can someone help?",
    ],
}
TAILS = ["", " Today.", " Ordered from Oakly.", " Order from Oakly online.", " Ugh.", " Now."]


def test_names_are_the_customers_phrases_and_a_cluster_with_nothing_to_say_is_no_theme(
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    texts = [
        f"{t}{w}"
        for t, w in itertools.chain.from_iterable(
            itertools.product(ts, TAILS) for ts in SHOP.values() for _ in range(2)
        )
    ]
    clusters = discover(texts, embedder.embed(texts), k=3)
    labels = [c.label for c in clusters]
    assert len(labels) == 2, labels  # greetings and "help" are no theme
    joined = " | ".join(labels).lower()
    assert "oakly" not in joined  # a brand, written as a handle and capitalised mid-sentence
    assert any(lab.lower().startswith("drawer handle") for lab in labels), labels
    assert any("assembly instructions" in lab.lower() for lab in labels), labels
    for c in clusters:
        assert not any("help" in texts[i].lower() for i in c.examples), (c.label, c.examples)
