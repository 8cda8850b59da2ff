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
        case.agreement_id, actor=sc.Actor("E-001", "Li Na"), inspector=sc.Inspector(sc.ActorRef("C-1", "W"), "customer")
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
