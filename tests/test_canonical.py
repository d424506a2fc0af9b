"""The one canonical JSON form that ClientTokens and the journal's digests are taken of."""

from __future__ import annotations

from importer.canonical import canonical_json


def test_keys_are_sorted_without_spaces_and_text_is_utf8() -> None:
    value = {"b": 1, "a": {"d": "é", "c": [1, "x"]}}
    assert canonical_json(value) == '{"a":{"c":[1,"x"],"d":"é"},"b":1}'.encode()


def test_the_ascii_form_escapes_every_non_ascii_character() -> None:
    value = {"Name": "é 日本 🚀", "Lone": "\ud800", "When": 1774958400}
    assert canonical_json(value, ascii_only=True) == (
        b'{"Lone":"\\ud800","Name":"\\u00e9 \\u65e5\\u672c \\ud83d\\ude80","When":1774958400}'
    )


def test_a_lone_surrogate_keeps_its_own_bytes_in_the_utf8_form() -> None:
    assert canonical_json({"Name": "a\ud800"}) == b'{"Name":"a\xed\xa0\x80"}'
