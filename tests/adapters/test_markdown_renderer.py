"""The Markdown renderer: every document kind in every locale, escaping, template overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

import servicecore as sc
from servicecore.documents import WorkOrderSheet
from servicecore_adapters.markdown import LOCALES, MarkdownRenderer, md_escape
from tests.lifecycle import accepted_after_rectification, active_agreement, completed_work_order, new_desk
from tests.lifecycle import terms as lifecycle_terms


@pytest.fixture(scope="module")
def case():
    return accepted_after_rectification(completed_work_order(active_agreement(new_desk())))


@pytest.mark.parametrize("locale", LOCALES)
def test_work_order_sheet_lists_every_step_and_the_sign_off(case, locale):
    rendered = case.desk.render_work_order_sheet(case.work_order_id, locale=locale)
    order = case.desk.get_work_order(case.work_order_id)
    assert rendered.filename == f"work_order_sheet-{order.id}.{locale}.md"
    assert rendered.media_type.startswith("text/markdown")
    for step in order.steps:
        title = step.title_zh if locale == "zh-CN" else step.title
        assert title in rendered.content
    assert "Wang Fang" in rendered.content
    assert "900.00 CNY" in rendered.content  # 2 rooms × 450


@pytest.mark.parametrize("locale", LOCALES)
def test_acceptance_report_shows_both_rounds_and_the_rectification(case, locale):
    content = case.desk.render_acceptance_report(case.acceptance_id, locale=locale).content
    heading = "## Round {n}" if locale == "en" else "## 第 {n} 轮"
    assert heading.format(n=1) in content
    assert heading.format(n=2) in content
    assert "Chen Gang" in content  # the responsible party of the rectification
    assert "two seen" in content


@pytest.mark.parametrize("locale", LOCALES)
def test_rectification_notice_names_the_failed_points_and_deadline(case, locale):
    acceptance = case.desk.get_acceptance(case.acceptance_id)
    rendered = case.desk.render_rectification_notice(case.acceptance_id, locale=locale)
    assert "no-live-insects" in rendered.content
    assert f"{acceptance.rectifications[0].deadline:%Y-%m-%d %H:%M}" in rendered.content


def test_rectification_notice_for_a_round_without_one_is_refused(case):
    with pytest.raises(sc.BusinessRuleError, match="round 2"):
        case.desk.render_rectification_notice(case.acceptance_id, round=2)


def test_acceptance_report_needs_a_signed_report():
    case = completed_work_order(active_agreement(new_desk()))
    acceptance = case.desk.open_acceptance(
        case.agreement_id,
        actor=sc.Actor("E-001", "Li Na", ["agent"]),
        inspector=sc.Inspector(sc.ActorRef("C-1", "W"), "customer"),
    )
    with pytest.raises(sc.BusinessRuleError, match="no signed report"):
        case.desk.render_acceptance_report(acceptance.id)


def test_unknown_locale_is_a_rendering_error_naming_the_locale(case):
    with pytest.raises(sc.RenderingError, match="'fr'"):
        case.desk.render_work_order_sheet(case.work_order_id, locale="fr")


def test_customer_text_is_data_not_markup():
    hostile = "Kitchen | <script>alert(1)</script> **bold** [link](http://x)\nsecond line"
    case = completed_work_order(active_agreement(new_desk(), description=hostile))
    content = case.desk.render_work_order_sheet(case.work_order_id).content
    table_rows = [line for line in content.splitlines() if line.startswith("| Kitchen")]
    assert len(table_rows) == 1, "a newline or pipe in the text must not break the table"
    assert "<script>" not in content
    assert "\\|" in table_rows[0]
    assert md_escape("a|b*c") == "a\\|b\\*c"


def test_template_dir_overrides_one_template_and_keeps_the_others(tmp_path: Path, case):
    (tmp_path / "work_order_sheet.en.md.j2").write_text("Custom sheet for {{ doc.work_order.id }}\n", "utf-8")
    renderer = MarkdownRenderer.from_options({"template_dir": str(tmp_path)})
    order = case.desk.get_work_order(case.work_order_id)
    sheet = WorkOrderSheet(
        generated_at=case.clock.now(),
        work_order=order,
        agreement=case.desk.get_agreement(order.agreement_id),
        request=case.desk.get_request(order.request_id),
    )
    assert renderer.render(sheet).content == f"Custom sheet for {order.id}\n"
    assert renderer.render(sheet, locale="zh-CN").content.startswith("# 服务单")


def test_renderer_options_are_validated(tmp_path: Path):
    with pytest.raises(sc.ConfigurationError, match="colour"):
        MarkdownRenderer.from_options({"colour": "blue"})
    with pytest.raises(sc.ConfigurationError, match="not a folder"):
        MarkdownRenderer.from_options({"template_dir": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("1. Kitchen clear", "1\\. Kitchen clear"),
        ("- not a list", "\\- not a list"),
        ("R&D ~~paid~~ ![img](x)", "R\\&D \\~\\~paid\\~\\~ \\!\\[img\\](x)"),
        ("plain 3. text", "plain 3. text"),
    ],
)
def test_text_that_starts_a_line_cannot_become_markup(text, escaped):
    assert md_escape(text) == escaped


def test_money_and_quantities_print_as_they_add_up():
    item = sc.ServiceItem("Gel", "GB/T 27770", "1E+1", "g", sc.Money("0.125", "CNY"))
    terms = sc.AgreementTerms(
        items=[item, sc.ServiceItem("Bait", "GB/T 27770", "3", "pc", sc.Money("0.125", "CNY"))],
        schedule=lifecycle_terms().schedule,
        criteria=lifecycle_terms().criteria,
    )
    assert [str(i.total) for i in terms.items] == ["1.25 CNY", "0.38 CNY"]
    assert str(terms.fee_total) == "1.63 CNY"
    assert str(sc.Money("1", "JPY")) == "1 JPY"
    assert str(sc.Money("0.125", "CNY")) == "0.125 CNY", "a price is never rounded silently"
    case = completed_work_order(active_agreement(new_desk()))
    content = case.desk.render_work_order_sheet(case.work_order_id).content
    assert "| 2 room |" in content


# --- complaint reply, decision letter, publication notice, appeal decision ---------------------------

from datetime import timedelta  # noqa: E402

import attrs  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from servicecore.documents import (  # noqa: E402
    REDACTED,
    AppealDecisionLetter,
    ComplaintReply,
    PublicationNotice,
    ViolationDecisionLetter,
    redact_personal_data,
)
from servicecore.testing import (  # noqa: E402
    DISCIPLINE_OFFICER,
    ENGINEER,
    HOSTILE_TEXTS,
    QUALITY_INSPECTOR,
    discipline_case,
    discipline_side_paths,
    sample_complainant,
)

RENDERER = MarkdownRenderer()


@pytest.fixture(scope="module")
def story():
    return discipline_case("1")


def _at(story) -> sc.Money:
    return story.violations[-1].history[-1].at + timedelta(minutes=1)


@pytest.mark.parametrize("locale", LOCALES)
def test_complaint_reply_gives_findings_remedies_and_reply(story, locale):
    complaint = story.complaints[-1]
    rendered = RENDERER.render(ComplaintReply(generated_at=_at(story), complaint=complaint), locale=locale)
    assert rendered.filename == f"complaint_reply-CMP-1-2.{locale}.md"
    content = rendered.content
    assert "Wang Fang" in content, "the reply goes to the complainant, by name"
    assert "We refund the treatment." in content
    assert "300.00 CNY" in content
    assert ("refund" if locale == "en" else "退款") in content
    assert ("time" if locale == "en" else "第 1 次") in content  # the reply follows a reopening
    first = RENDERER.render(
        ComplaintReply(generated_at=_at(story), complaint=story.complaints[4]), locale=locale
    ).content
    assert "WO-1-r" in first, "a redo names the new work order"
    assert ("apology" if locale == "en" else "道歉") in first


@pytest.mark.parametrize("locale", LOCALES)
def test_decision_letter_shows_the_decision_and_keeps_the_corrected_one_visible(story, locale):
    violation = story.violations[-1]
    content = RENDERER.render(
        ViolationDecisionLetter(generated_at=_at(story), violation=violation), locale=locale
    ).content
    assert "Chen Gang" in content
    assert "200.00 CNY" in content, "the original fine stays visible after the appeal revoked it"
    assert content.count("| Chen Gang |") >= 6, "findings, both decisions' measures"
    heading = "### Decision 1 (corrected" if locale == "en" else "### 第 1 号决定(已纠正"
    assert heading in content
    assert "APL-1" in content
    assert f"{violation.decision.appeal_deadline:%Y-%m-%d %H:%M}" in content
    for item in violation.evidence:
        assert item.description in content or md_escape(item.description) in content
    original = ViolationDecisionLetter(generated_at=_at(story), violation=violation, decision_number=1)
    assert original.reference == "VIO-1-1"
    first = RENDERER.render(original, locale=locale).content
    assert "###" not in first, "decision 1 corrected nothing"


@pytest.mark.parametrize("locale", LOCALES)
def test_appeal_decision_shows_contested_and_revised_measures(story, locale):
    appeal, violation = story.appeals[-1], story.violations[-1]
    rendered = RENDERER.render(
        AppealDecisionLetter(generated_at=_at(story), appeal=appeal, violation=violation), locale=locale
    )
    assert rendered.filename == f"appeal_decision-APL-1.{locale}.md"
    content = rendered.content
    assert ("upheld" if locale == "en" else "申诉理由成立") in content
    assert "200.00 CNY" in content, "the contested fine"
    assert ("Decision 2 corrects decision 1" if locale == "en" else "第 2 号决定纠正第 1 号决定") in content
    assert "Xu Hua" in content
    assert "Told in person" in content


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rejected_appeal_maintains_the_decision(locale):
    *_, final, rejected = discipline_side_paths("1")
    content = RENDERER.render(
        AppealDecisionLetter(generated_at=rejected.history[-1].at, appeal=rejected, violation=final), locale=locale
    ).content
    assert ("The decision is maintained." if locale == "en" else "维持原处理决定") in content
    assert "Traffic was foreseeable" in content


@pytest.mark.parametrize("locale", LOCALES)
def test_publication_notice_shows_the_decision_in_force(story, locale):
    violation = story.violations[-1]
    notice = PublicationNotice.from_violation(violation, generated_at=_at(story), customers=[sample_complainant("1")])
    assert notice.reference == "VIO-1-2"
    assert notice.corrects == 1
    assert notice.published_at == violation.publications[-1].published_at
    content = RENDERER.render(notice, locale=locale).content
    assert "Chen Gang" in content
    assert ("warning" if locale == "en" else "警告") in content
    assert "200.00 CNY" not in content, "the notice shows the corrected decision, not the revoked fine"
    assert ("after an upheld appeal" if locale == "en" else "经申诉纠正") in content
    assert ("Draft" if locale == "en" else "草稿") not in content


def test_a_notice_before_publication_is_marked_as_a_draft(story):
    decided = next(v for v in story.violations if v.status.value == "decided")
    notice = PublicationNotice.from_violation(decided, generated_at=_at(story))
    assert notice.published_at is None
    assert "**Draft: not yet published.**" in RENDERER.render(notice).content
    assert "**草稿,尚未公示。**" in RENDERER.render(notice, locale="zh-CN").content


def test_documents_refuse_cases_that_are_not_ready(story):
    at = _at(story)
    with pytest.raises(sc.BusinessRuleError, match="no resolution"):
        ComplaintReply(generated_at=at, complaint=story.complaints[0])
    with pytest.raises(sc.BusinessRuleError, match="nothing has been decided"):
        ViolationDecisionLetter(generated_at=at, violation=story.violations[3])
    with pytest.raises(sc.BusinessRuleError, match="no decision 3"):
        ViolationDecisionLetter(generated_at=at, violation=story.violations[-1], decision_number=3)
    with pytest.raises(sc.BusinessRuleError, match="nothing has been decided"):
        PublicationNotice.from_violation(story.violations[3], generated_at=at)
    with pytest.raises(sc.BusinessRuleError, match="not decided"):
        AppealDecisionLetter(generated_at=at, appeal=story.appeals[0], violation=story.violations[-1])
    other = discipline_side_paths("1")[3]
    with pytest.raises(sc.ValidationError, match="concerns VIO-1"):
        AppealDecisionLetter(generated_at=at, appeal=story.appeals[-1], violation=other)


@pytest.mark.parametrize("locale", LOCALES)
def test_customer_text_in_discipline_documents_is_data_not_markup(locale):
    case = discipline_case("1", text=HOSTILE_TEXTS["markup"])
    at = case.violations[-1].history[-1].at
    documents = [
        ComplaintReply(generated_at=at, complaint=case.complaints[-1]),
        ViolationDecisionLetter(generated_at=at, violation=case.violations[-1]),
        PublicationNotice.from_violation(case.violations[-1], generated_at=at),
        AppealDecisionLetter(generated_at=at, appeal=case.appeals[-1], violation=case.violations[-1]),
    ]
    for document in documents:
        content = RENDERER.render(document, locale=locale).content
        assert "<script>" not in content
        assert "\n# Title" not in content, f"{document.kind}: text turned into a heading"
        assert "{{ jinja }}" in content.replace("\\{\\{", "{{").replace("\\}\\}", "}}"), "template syntax is data"


@pytest.mark.parametrize("locale", LOCALES)
def test_custom_categories_print_as_written(locale):
    withdrawn = discipline_side_paths("1")[0]
    resolved = discipline_side_paths("1")[1]
    content = RENDERER.render(
        ComplaintReply(generated_at=resolved.history[-1].at, complaint=resolved), locale=locale
    ).content
    assert "noise at night" in content
    assert withdrawn.category == "noise at night"


# --- confidentiality: no customer data in the published notice ----------------------------------------

HOSTILE_CUSTOMER = sc.Customer(
    "C-9",
    "王小明",
    phone="+86 (021) 5555-0101",
    email="xiaoming.wang+vip@example.com.cn",
    address="上海市浦东新区世纪大道100号, 3号楼502室",
)
LATIN_CUSTOMER = sc.Customer(
    "C-10", "Mary-Jane O'Neil", phone="138 1234 5678", email="mj@oneil.example", address="Flat 4, 12 Harbour Road"
)


def _leaky_violation():
    """A case whose every free-text field mentions the customers, the way people really write."""
    base = next(v for v in discipline_case("9").violations if v.status.value == "decided")
    customer = HOSTILE_CUSTOMER
    leaky = (
        f"客户王小明（电话：021-5555-0101，手机 13912345678，邮箱 {customer.email}）反映在世纪大道100号"
        f"3号楼502室发现蟑螂；王先生要求赔偿。Also Mary-Jane O'Neil (mj@oneil.example, 13812345678) of Flat 4."
    )
    decision = base.decisions[0]
    decision = attrs.evolve(
        decision,
        reasons=f"Confirmed with Mr. O'Neil at 12 Harbour Road and with 小明 on +86 21 5555 0101. {leaky}",
        sanctions=tuple(attrs.evolve(s, note=f"for 王小明's complaint ({customer.phone})") for s in decision.sanctions),
        compensations=tuple(
            attrs.evolve(c, note=f"paid to {customer.name}, {customer.address}") for c in decision.compensations
        ),
    )
    determination = attrs.evolve(
        base.determination,
        summary=leaky,
        findings=tuple(
            attrs.evolve(f, reason=f"told Ms O'Neil's neighbour: {leaky}") for f in base.determination.findings
        ),
    )
    return attrs.evolve(base, description=leaky, determination=determination, decisions=(decision,))


PERSONAL = [
    "王小明",
    "小明",
    "王先生",
    "5555-0101",
    "5555 0101",
    "55550101",
    "13912345678",
    "13812345678",
    "1381234",
    "xiaoming.wang",
    "example.com.cn",
    "世纪大道100号",
    "3号楼502室",
    "Mary-Jane",
    "O'Neil",
    "ONeil",
    "oneil.example",
    "Harbour Road",
    "Flat 4",
]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_customer_field_reaches_the_rendered_notice(locale):
    violation = _leaky_violation()
    notice = PublicationNotice.from_violation(
        violation, generated_at=violation.history[-1].at, customers=[HOSTILE_CUSTOMER, LATIN_CUSTOMER]
    )
    content = RENDERER.render(notice, locale=locale).content
    for value in PERSONAL:
        assert value not in content, f"{value!r} leaked into the notice"
        assert md_escape(value) not in content, f"{value!r} leaked into the notice (escaped)"
    assert REDACTED.replace("*", "\\*") in content, "the redaction is visible"
    assert "Chen Gang" in content, "the staff member is named: that is the point of the notice"
    assert "200.00 CNY" in content, "amounts are not personal data"


def test_the_notice_holds_no_customer_and_none_of_the_case_s_sources():
    violation = _leaky_violation()
    notice = PublicationNotice.from_violation(
        violation, generated_at=violation.history[-1].at, customers=[HOSTILE_CUSTOMER]
    )

    def walk(value, path="notice"):
        assert not isinstance(value, sc.Customer), f"a Customer sits at {path}"
        assert not isinstance(value, sc.Violation | sc.Complaint), f"an aggregate sits at {path}"
        if attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                walk(getattr(value, field.name), f"{path}.{field.name}")
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(notice)
    assert not hasattr(notice, "source"), "the complaint a case came from is not on the notice"
    assert "CMP-9" not in RENDERER.render(notice).content


def test_a_reporting_customer_s_name_is_redacted_too():
    violation = discipline_side_paths("1")[3]
    reporter = sc.Actor("C-5", "Zhao Lei", ["customer"])
    reported = attrs.evolve(
        violation,
        source=sc.ViolationSource.customer_report(reporter),
        description="Zhao Lei saw the engineer share the customer list",
    )
    notice = PublicationNotice.from_violation(reported, generated_at=reported.history[-1].at)
    assert "Zhao" not in notice.summary
    assert "Zhao" not in RENDERER.render(notice).content


_CJK_NAMES = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4)
_LATIN_NAMES = st.from_regex(r"[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}", fullmatch=True)
_PHONES = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"\+86 1[3-9][0-9] [0-9]{4} [0-9]{4}", fullmatch=True),
    st.from_regex(r"0[1-9][0-9]{1,2}-[0-9]{7,8}", fullmatch=True),
)
_EMAILS = st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,8})?@[a-z]{2,10}\.(com|cn|com\.cn|example)", fullmatch=True)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


@settings(max_examples=60, deadline=None)
@given(
    name=st.one_of(_CJK_NAMES, _LATIN_NAMES),
    phone=_PHONES,
    email=_EMAILS,
    template=st.sampled_from(
        [
            "{name} ({phone}) wrote from {email}",
            "客户{name}，电话{phone}，邮箱：{email}。",
            "{email};{phone};{name}",
        ]
    ),
)
def test_no_customer_field_survives_in_any_notice_field(name, phone, email, template):
    customer = sc.Customer("C-1", name, phone=phone, email=email)
    text = template.format(name=name, phone=phone, email=email)
    base = discipline_case("1").violations[5]
    violation = attrs.evolve(base, description=text)
    notice = PublicationNotice.from_violation(violation, generated_at=violation.history[-1].at, customers=[customer])
    digits = "".join(ch for ch in phone if ch.isdigit())
    for value in _strings(notice):
        assert name not in value
        assert email not in value
        assert phone not in value
        assert (
            digits not in "".join(ch for ch in value if ch.isdigit())
            or len(digits) < 7
            or value in {notice.violation_id, notice.subject.id, notice.decided_by.id}
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13912345678.", "call ***."),
        ("tel: +86 (021) 5555-0101 now", "tel: *** now"),
        ("电话13912345678，谢谢", "电话***，谢谢"),
        ("mail a.b+c@example.com.cn!", "mail ***!"),
        ("on 2026-03-02 09:00 for WO-2026-0001", "on 2026-03-02 09:00 for WO-2026-0001"),
        ("fine of 1000000.00 CNY, version 1.2345678", "fine of 1000000.00 CNY, version 1.2345678"),
        ("room 12, ext 301", "room 12, ext 301"),
    ],
)
def test_redaction_removes_numbers_and_addresses_but_keeps_dates_ids_and_amounts(text, expected):
    assert redact_personal_data(text) == expected


def test_redaction_knows_the_customers_own_data():
    customer = sc.Customer("C-1", "Wang Fang", phone="138 0000 0000", email="wf@x.cn", address="Block 3, Room 201")
    redacted = redact_personal_data(
        "WANG FANG said wangfang and Fang live at Room 201 (Block 3); 1380000 0000 / 138-0000-0000", [customer]
    )
    for value in ("WANG", "FANG", "wangfang", "Fang", "Room 201", "Block 3", "138"):
        assert value not in redacted
    assert redact_personal_data("王女士和芳芳", [sc.Customer("C-2", "王芳芳")]) == "***和***"
    assert redact_personal_data("nothing personal", [customer], extra=["personal"]) == "nothing ***"
    with pytest.raises(sc.ValidationError, match="customers"):
        redact_personal_data("x", ["Wang Fang"])  # type: ignore[list-item]
    assert ENGINEER.name == "Chen Gang"
    assert QUALITY_INSPECTOR.id != DISCIPLINE_OFFICER.id


# --- leading whitespace: text is never an indented code block -------------------------------------------

_INDENTED = {"four spaces": "    Four spaces first", "tab": "\tA tab first", "both": " \t  \n    Spaces, tab, newline"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(_INDENTED))
def test_text_starting_with_four_spaces_or_a_tab_is_not_a_code_block(story, locale, kind):
    text = _INDENTED[kind]
    complaint = story.complaints[-1]
    resolution = attrs.evolve(complaint.resolutions[-1], summary=text, reply=text)
    complaint = attrs.evolve(complaint, resolutions=(*complaint.resolutions[:-1], resolution))
    violation = attrs.evolve(story.violations[-1], description=text)
    documents = [
        ComplaintReply(generated_at=_at(story), complaint=complaint),
        ViolationDecisionLetter(generated_at=_at(story), violation=violation),
        PublicationNotice.from_violation(violation, generated_at=_at(story)),
    ]
    kept = " ".join(text.split())
    for document in documents:
        lines = RENDERER.render(document, locale=locale).content.splitlines()
        indented = [line for line in lines if line.startswith(("    ", "\t"))]
        assert not indented, f"{document.kind}: an indented line renders as a code block: {indented}"
        assert any(line.startswith(kept) for line in lines), f"{document.kind}: the text starts its line, unindented"
    assert md_escape(text).startswith(kept[0]), "leading spaces and tabs are dropped, the rest is kept"
    assert md_escape("a    b\tc") == "a    b\tc", "spaces inside the text stay"
