"""Checklist templates that work orders instantiate their steps from.

The built-in :data:`PEST_CONTROL` follows the implementation flow of a pest-control visit
(联系客户 → 准时到场 → 现场沟通 → 检查现场 → 作业准备 → 精准施工 → 登记签字 →
工作反馈 → 整理器械物品 → 查看清理现场 → 安全离场). Define your own templates with
:class:`ChecklistTemplate` and contribute them through the
``servicecore_checklist_templates`` hook.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from servicecore.domain.errors import ValidationError
from servicecore.domain.values import as_tuple, is_bool, non_empty, non_empty_line, optional_text


def _optional_days(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValidationError(
            attribute.name, f"must be a whole number of working days, 0 or more, or None, got {value!r}"
        )


@attrs.frozen
class StepTemplate:
    """One step of a checklist template; ``title_zh`` is the Chinese title if any.

    ``due_before_start`` makes the step due that many working days before the work
    order's scheduled window starts, at the same time of day (``2``: contact the
    customer two working days ahead); the SLA scan tells the assignees when it is late.
    """

    key: str = attrs.field(validator=non_empty_line)
    title: str = attrs.field(validator=non_empty)
    required: bool = attrs.field(default=True, validator=is_bool)
    title_zh: str = attrs.field(default="", validator=optional_text)
    guidance: str = attrs.field(default="", validator=optional_text)
    due_before_start: int | None = attrs.field(default=None, kw_only=True, validator=_optional_days)


def _step_tuple(value: Iterable[StepTemplate]) -> tuple[StepTemplate, ...]:
    return as_tuple("steps", value, of=StepTemplate)


def _unique_steps(_: Any, attribute: attrs.Attribute[Any], value: tuple[StepTemplate, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, "a checklist template needs at least one step")
    keys = [s.key for s in value]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValidationError(attribute.name, f"step keys must be unique, repeated: {repeated}")


@attrs.frozen
class ChecklistTemplate:
    """A named, ordered list of steps."""

    key: str = attrs.field(validator=non_empty_line)
    title: str = attrs.field(validator=non_empty)
    steps: tuple[StepTemplate, ...] = attrs.field(converter=_step_tuple, validator=_unique_steps)


PEST_CONTROL = ChecklistTemplate(
    key="pest-control",
    title="Pest control on site",
    steps=(
        StepTemplate(
            "contact-customer",
            "Contact the customer two days ahead",
            title_zh="联系客户",
            guidance="Agree arrival time, on-site contact and place, notices to post.",
            due_before_start=2,
        ),
        StepTemplate("arrive-on-time", "Arrive on time", title_zh="准时到场"),
        StepTemplate(
            "on-site-briefing",
            "On-site briefing",
            title_zh="现场沟通",
            guidance="Explain the process, the plan, where to draw water and mix, what the customer must do.",
        ),
        StepTemplate(
            "inspect-site",
            "Inspect the site",
            title_zh="检查现场",
            guidance="Doors and windows closed, children and elderly away, breeding sites cleared; "
            "staff protection, chemicals and equipment in place.",
        ),
        StepTemplate(
            "prepare",
            "Prepare equipment and materials",
            title_zh="作业准备",
            guidance="Calibrate equipment, weigh and mix agents in the right ratio.",
        ),
        StepTemplate("execute", "Carry out the treatment", title_zh="精准施工"),
        StepTemplate(
            "register-and-sign",
            "Register the work and get the site representative's signature",
            title_zh="登记签字",
        ),
        StepTemplate("report-back", "Report back to the customer", title_zh="工作反馈"),
        StepTemplate("tidy-equipment", "Tidy and count equipment and agents", title_zh="整理器械物品"),
        StepTemplate(
            "check-and-clean-site",
            "Check and clean the site",
            title_zh="查看清理现场",
            guidance="Warning signs in place, manhole covers back, packaging collected.",
        ),
        StepTemplate("leave-safely", "Leave the site safely", title_zh="安全离场"),
    ),
)
"""The pest-control visit, step by step, as a built-in template."""


__all__ = ["PEST_CONTROL", "ChecklistTemplate", "StepTemplate"]
