"""PII never reaches the index; ordinary numbers (ids, flight numbers, prices) survive."""

from ingest.redact import redact


def test_emails_phones_and_cards_are_redacted() -> None:
    text = (
        "Mail me at jane.doe+cx@example.co.uk or call (555) 123-4567 / +44 20 7946 0958; "
        "card 4111 1111 1111 1111 was charged twice"
    )
    out = redact(text)
    assert "jane.doe" not in out and "[email]" in out
    assert "123-4567" not in out and "7946" not in out and out.count("[phone]") == 2
    assert "4111" not in out and "[card]" in out


def test_ordinary_numbers_are_not_mistaken_for_pii() -> None:
    text = "Flight UA 1234 on 2015-02-24 cost $350, order 570306133677760513, waited 45 minutes"
    assert redact(text) == text


def test_handles_are_kept_unless_asked_and_brands_can_be_kept() -> None:
    text = "@united lost my bag, @jsmith saw it too"
    assert redact(text) == text
    assert redact(text, handles=True, keep_handles=frozenset({"united"})) == (
        "@united lost my bag, @[user] saw it too"
    )
