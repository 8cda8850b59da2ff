"""Redaction of the publication notice, measured on a labelled corpus: complete recall, no false positive."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.documents import REDACTED, PublicationNotice, redact_personal_data
from servicecore.testing import discipline_case
from servicecore_adapters.markdown import MarkdownRenderer, md_escape
from tests.documents.redaction_corpus import CONTROLS, CORPUS, CUSTOMERS, PERSONAL, measure


def test_the_corpus_is_large_enough_and_labelled():
    assert len(CORPUS) >= 200
    assert len(PERSONAL) >= 100
    assert len(CONTROLS) >= 100
    for snippet in PERSONAL:
        assert snippet.personal, f"{snippet.text!r} has no label"
        for value in snippet.personal:
            assert value in snippet.text, f"label {value!r} is not a substring of {snippet.text!r}"


def test_recall_is_complete_and_no_control_is_touched():
    figures = measure()
    print(
        f"\nredaction corpus: {len(CORPUS)} snippets; recall {figures.found}/{figures.labelled}, "
        f"false positives {figures.false_positives}/{figures.controls}"
    )
    assert figures.leaks == ()
    assert figures.altered == ()
    assert figures.found == figures.labelled
    assert figures.false_positives == 0


@pytest.mark.parametrize("snippet", PERSONAL, ids=[s.text for s in PERSONAL])
def test_personal_data_disappears(snippet):
    redacted = redact_personal_data(snippet.text, CUSTOMERS)
    for value in snippet.personal:
        assert value not in redacted, f"{value!r} leaked: {redacted!r}"
    for kept in snippet.keep:
        assert kept in redacted, f"{kept!r} was removed too: {redacted!r}"
    assert REDACTED in redacted


@pytest.mark.parametrize("snippet", CONTROLS, ids=[s.text for s in CONTROLS])
def test_a_control_comes_out_unchanged(snippet):
    assert redact_personal_data(snippet.text, CUSTOMERS) == snippet.text


@pytest.mark.parametrize("snippet", CORPUS, ids=[s.text for s in CORPUS])
def test_redaction_is_deterministic_and_idempotent(snippet):
    once = redact_personal_data(snippet.text, CUSTOMERS)
    assert redact_personal_data(snippet.text, CUSTOMERS) == once
    assert redact_personal_data(once, CUSTOMERS) == once


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_rendered_notice_holds_none_of_the_corpus_personal_data(locale):
    base = next(v for v in discipline_case("7").violations if v.status.value == "decided")
    leaky = "\n".join(s.text for s in PERSONAL)
    decision = attrs.evolve(base.decisions[0], reasons=f"On 2019-2024 records, WO-2026-0001, 第3.2条. {leaky}")
    violation = attrs.evolve(base, description=leaky, decisions=(decision,))
    notice = PublicationNotice.from_violation(violation, generated_at=violation.history[-1].at, customers=CUSTOMERS)
    content = MarkdownRenderer().render(notice, locale=locale).content
    for snippet in PERSONAL:
        for value in snippet.personal:
            assert value not in content, f"{value!r} reached the notice"
            assert md_escape(value) not in content, f"{value!r} reached the notice (escaped)"
    for kept in ("2019-2024", "WO-2026-0001", "第3.2条", "Chen Gang"):
        assert kept in content


# --- properties: numbers people write are removed, numbers of the case are kept ----------------------

_SEPARATORS = st.sampled_from([" ", "-", ".", "/", "", "－", "\u3000", "\u00a0", " - "])
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@settings(max_examples=150, derandomize=True)
@given(
    prefix=st.sampled_from(["138", "139", "150", "186", "135", "188", "159", "137"]),
    rest=st.from_regex(r"[0-9]{8}", fullmatch=True),
    separator=_SEPARATORS,
    country=st.sampled_from(["", "+86 ", "+86", "0086 ", "(+86) "]),
    full_width=st.booleans(),
    context=st.sampled_from(["电话{}，谢谢", "手机：{}", "call {} now", "客户{}", "({})", "{}"]),
)
def test_a_mobile_number_in_any_spelling_is_removed(prefix, rest, separator, country, full_width, context):
    number = country + separator.join((prefix, rest[:4], rest[4:]))
    if full_width:
        number = number.translate(_FULL_WIDTH)
    redacted = redact_personal_data(context.format(number))
    digits = "".join(ch for ch in redacted.translate(_ASCII_DIGITS) if ch.isdigit())
    assert rest not in digits, f"{number!r} leaked: {redacted!r}"
    assert REDACTED in redacted


_YEARS = st.integers(1990, 2099)


@settings(max_examples=150, derandomize=True)
@given(
    text=st.one_of(
        st.builds("{}-{}".format, _YEARS, _YEARS),
        st.builds("{}年-{}年".format, _YEARS, _YEARS),
        st.builds("{}-{:02d}-{:02d}".format, _YEARS, st.integers(1, 12), st.integers(1, 28)),
        st.builds("{}/{:02d}/{:02d}".format, _YEARS, st.integers(1, 12), st.integers(1, 28)),
        st.builds("{:02d}:{:02d}-{:02d}:{:02d}".format, *[st.integers(0, 23), st.integers(0, 59)] * 2),
        st.builds(
            "{} CNY".format,
            st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False),
        ),
        st.builds("{:,.2f} CNY".format, st.floats(min_value=0, max_value=1e12, allow_nan=False)),
        st.builds("WO-{}-{:04d}".format, _YEARS, st.integers(0, 9999)),
        st.builds("VIO-{}-{:06d}".format, _YEARS, st.integers(0, 999999)),
        st.builds(
            "REQ-{}{:02d}{:02d}-{:04d}".format, _YEARS, st.integers(1, 12), st.integers(1, 28), st.integers(0, 9999)
        ),
        st.builds("第{}.{}条".format, st.integers(1, 99), st.integers(1, 99)),
        st.builds("共{}件".format, st.integers(0, 10**6)),
    ),
    context=st.sampled_from(["{}", "on {} as agreed", "（{}）", "日期：{}。"]),
)
def test_dates_ranges_times_amounts_ids_and_articles_are_kept(text, context):
    assert redact_personal_data(context.format(text), CUSTOMERS) == context.format(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王芳 (138 0013 8000, wf@example.cn) complained", "*** (***, ***) complained"),
        ("客户王芳（电话：138 0013 8000）", "客户***（电话：***）"),
        ("(13700137000)", "(***)"),
        ("欧阳女士和李先生 2019-2024 年间投诉 3 次", "***和*** 2019-2024 年间投诉 3 次"),
        ("住 阳光小区3栋2单元1203室 的王女士", "住 *** 的***"),
        ("Wang Fang, Room 1203, 150.00 CNY", "***, ***, 150.00 CNY"),
    ],
)
def test_the_redacted_text_keeps_its_punctuation_and_spacing(text, expected):
    assert redact_personal_data(text, CUSTOMERS) == expected
