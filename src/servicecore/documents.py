"""Document models: what a renderer receives (服务单, 验收报告, 整改通知, 投诉答复, 处理决定, 公示, 申诉决定).

A document is a frozen snapshot of the aggregates it is about, plus when it was
generated. Renderers read these attributes; they never load anything themselves.
``kind`` tells a renderer which template to use.

The published violation notice (:class:`PublicationNotice`) is the exception:
it goes to every member of staff, so it holds no aggregate, only fields copied
from the violation with customer personal data removed by
:func:`redact_personal_data` before any renderer sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import ClassVar

import attrs
import phonenumbers

from servicecore.domain.acceptance import Acceptance, RectificationOrder
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint, ComplaintOutcome, ComplaintResolution, ComplaintStatus
from servicecore.domain.errors import BusinessRuleError, ValidationError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import ActorRef, Customer, Money, as_tuple, aware, optional_aware
from servicecore.domain.violation import (
    Compensation,
    ResponsibilityDegree,
    Sanction,
    Violation,
    ViolationCategory,
    ViolationDecision,
    ViolationSourceKind,
)
from servicecore.domain.work_order import WorkOrder


@attrs.frozen(kw_only=True)
class Document:
    """Base of every document model."""

    kind: ClassVar[str] = "document"
    generated_at: datetime = attrs.field(validator=aware)

    @property
    def reference(self) -> str:
        """A short identifier used in file names, e.g. the work order id."""
        raise NotImplementedError


@attrs.frozen(kw_only=True)
class WorkOrderSheet(Document):
    """The work order sheet (服务单): what to do, where, by whom, and what was done."""

    kind: ClassVar[str] = "work_order_sheet"
    work_order: WorkOrder
    agreement: ServiceAgreement
    request: ServiceRequest

    @property
    def reference(self) -> str:
        """The work order id."""
        return self.work_order.id


@attrs.frozen(kw_only=True)
class AcceptanceReportDocument(Document):
    """The acceptance report (验收报告): every round, every rectification, the signature."""

    kind: ClassVar[str] = "acceptance_report"
    acceptance: Acceptance
    agreement: ServiceAgreement
    request: ServiceRequest

    def __attrs_post_init__(self) -> None:
        if self.acceptance.report is None:
            raise BusinessRuleError(
                "Acceptance", self.acceptance.id, "has no signed report yet; sign it before rendering the report"
            )

    @property
    def reference(self) -> str:
        """The acceptance id."""
        return self.acceptance.id


@attrs.frozen(kw_only=True)
class RectificationNotice(Document):
    """The rectification notice (整改通知) for one failed round."""

    kind: ClassVar[str] = "rectification_notice"
    acceptance: Acceptance
    order: RectificationOrder
    request: ServiceRequest

    @property
    def reference(self) -> str:
        """The acceptance id and round number."""
        return f"{self.acceptance.id}-round-{self.order.round}"


@attrs.frozen(kw_only=True)
class ComplaintReply(Document):
    """The reply to a complainant (投诉答复): what was found and what is offered.

    Built from the latest resolution; raises :class:`BusinessRuleError` if the
    complaint was never resolved. It states the disputed amount, if any, and the
    outcome: remedies offered, the complaint not upheld, or the charge maintained.
    Once the complaint is closed the reply no longer invites the customer to object.
    """

    kind: ClassVar[str] = "complaint_reply"
    complaint: Complaint

    def __attrs_post_init__(self) -> None:
        if not self.complaint.resolutions:
            raise BusinessRuleError("Complaint", self.complaint.id, "has no resolution yet; resolve it before replying")

    @property
    def resolution(self) -> ComplaintResolution:
        """The resolution the reply communicates (the latest)."""
        return self.complaint.resolutions[-1]

    @property
    def disputed_amount(self) -> Money | None:
        """The amount the customer disputes, as recorded at intake (a Decimal with its currency)."""
        return self.complaint.disputed_amount

    @property
    def outcome(self) -> ComplaintOutcome:
        """The outcome the reply communicates."""
        return self.resolution.outcome

    @property
    def invites_objection(self) -> bool:
        """True while the customer may still reject the resolution (it is resolved, not yet closed)."""
        return self.complaint.status is ComplaintStatus.RESOLVED

    @property
    def reference(self) -> str:
        """The complaint id and the resolution's number (1 unless the complaint was reopened)."""
        return f"{self.complaint.id}-{len(self.complaint.resolutions)}"


def _decision_of(violation: Violation, number: int | None) -> ViolationDecision:
    if not violation.decisions:
        raise BusinessRuleError("Violation", violation.id, f"is {violation.status.value!r}; nothing has been decided")
    if number is None:
        return violation.decisions[-1]
    for decision in violation.decisions:
        if decision.number == number:
            return decision
    raise BusinessRuleError("Violation", violation.id, f"has no decision {number}")


@attrs.frozen(kw_only=True)
class ViolationDecisionLetter(Document):
    """The decision letter (处理决定书) to the people a violation decision addresses.

    Shows the case, the evidence, the findings and one decision (default: the
    one in force), and every earlier decision it corrects.
    """

    kind: ClassVar[str] = "violation_decision_letter"
    violation: Violation
    decision_number: int | None = None

    def __attrs_post_init__(self) -> None:
        _decision_of(self.violation, self.decision_number)

    @property
    def decision(self) -> ViolationDecision:
        """The decision this letter communicates."""
        return _decision_of(self.violation, self.decision_number)

    @property
    def corrected(self) -> tuple[ViolationDecision, ...]:
        """Earlier decisions, kept visible: those before the letter's decision."""
        return tuple(d for d in self.violation.decisions if d.number < self.decision.number)

    @property
    def reference(self) -> str:
        """The violation id and decision number."""
        return f"{self.violation.id}-{self.decision.number}"


# --- confidentiality ------------------------------------------------------------

REDACTED = "***"
"""What :func:`redact_personal_data` puts in place of personal data."""

# One character in, one character out: full-width forms, odd spaces and dashes become their ASCII
# counterparts, so every pattern below sees "138 0013 8000" and positions still match the original.
_NORMALISE: dict[int, str] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_NORMALISE.update(dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"), " "))
_NORMALISE.update(dict.fromkeys(map(ord, "\u2008\u2009\u200a\u200b\u200c\u200d\u202f\u205f\u2060\u3000\ufeff"), " "))
_NORMALISE.update(dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-"))
# pinyin with tone marks (Wáng Fāng, Lǚ) reads as plain pinyin; ü as v, as pypinyin writes it
_TONE_MARKS = {"a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "v": "üǖǘǚǜ"}
_NORMALISE.update({ord(mark): plain for plain, marks in _TONE_MARKS.items() for mark in marks})
_NORMALISE.update({ord(mark.upper()): plain.upper() for plain, marks in _TONE_MARKS.items() for mark in marks})

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_COMPOUND_SURNAMES = tuple(
    re.findall(
        r"\S+",
        "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 万俟 闻人 赫连 澹台 公冶 宗政 "
        "濮阳 淳于 单于 太叔 申屠 钟离 独孤 南宫 西门 百里 呼延 端木 拓跋 司空 鲜于 东郭 第五",
    )
)
# common single surnames, less those that are mostly a preposition or pronoun before 先生/女士 (和 于 向 那...)
_SINGLE_SURNAMES = (
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤"
    "花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐傅皮卞齐康伍余元卜顾孟平黄穆萧尹姚邵湛汪祁毛禹狄米贝"
    "臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯"
    "昝管卢莫房裘缪干解宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊惠甄曲封芮羿储靳汲邴糜松井段富巫乌"
    "焦巴弓牧隗山谷车侯宓蓬郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰鄂索咸籍赖"
    "卓蔺屠蒙池乔阴胥苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍璩桑桂濮牛寿边扈燕冀郏浦尚农温庄晏柴瞿阎充慕连茹习宦艾"
    "鱼容古易慎戈廖庾终暨居衡步耿满弘匡文寇广禄阙欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚简饶曾沙乜养鞠须丰巢关"
    "蒯查荆红游竺权逯盖益桓覃邝岳付闫冼练佟揭"
)
_ANY_SURNAME = "(?:" + "|".join(_COMPOUND_SURNAMES) + f"|[{_SINGLE_SURNAMES}])"
# what anyone's surname takes to address a person, customer or not
_THIRD_PARTY = re.compile(_ANY_SURNAME + "(?:先生|女士|小姐|太太)")
_LATIN_TITLE = re.compile(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mx|Madam|Mme)\.?[ \t]+[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)?")
# what a customer's own surname takes (王姐, 张总, 王师傅) and the prefixes of a familiar name (小张, 老张, 阿芳)
_SURNAME_TITLES = tuple(
    re.findall(
        r"\S+",
        "先生 女士 小姐 太太 老师 师傅 阿姨 姨 叔 大爷 大妈 大姐 大哥 姐 哥 总 经理 老板 同学 医生 律师 主任 工程师",
    )
)
_NICKNAME_PREFIXES = ("小", "老", "阿")
# derived forms that are also ordinary words: a customer called 王时 does not take 小时 out of every text
_COMMON_WORDS = frozenset(
    re.findall(
        r"\S+",
        "小时 小心 小组 小区 小学 小说 小吃 小费 小孩 小型 小姐 小计 小便 小麦 小数 小票 小伙 小事 小城 小包 小门 小家 "
        "老师 老家 老板 老公 老婆 老人 老年 老化 老旧 老式 老实 老大 老总 老乡 老是 老区 老城 老小 阿姨 阿婆 刚刚 常常 "
        "天天 明明 渐渐 慢慢 往往 仅仅 偏偏 稍稍 久久 默默 人人 处处 时时 看看 想想 试试 谢谢 好好 早早 多多 大大 小小 "
        "快快 轻轻 微微 纷纷 匆匆 悄悄 暗暗 深深 连连 频频 每每 恰恰 统统 通通 白白 年年 月月 日日 家家 户户 样样 件件 "
        "个个 步步 声声 次次 星星 妈妈 爸爸 哥哥 姐姐 弟弟 妹妹 奶奶 爷爷 叔叔 姑姑 宝宝 平平 安安 乐乐 丁丁 高高 长长 "
        "满满 远远 早点 方便 高大",
    )
)

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TLDS = "com|cn|net|org|edu|gov|info|io|biz|me|co|hk|tw|mo|sg|jp|uk|us|de|fr|au|ca|example|test"
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.%+-])[A-Za-z0-9._%+-]+{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*?{_DOT}(?:{_TLDS})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# 18-character ID cards (17 digits and a digit or X), 15-digit old ones, bank cards: 15 to 19 digits in a row
_ID_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15,19}|[0-9]{6}[ -][0-9]{8}[ -][0-9]{3}[0-9Xx]"
    # a bank card (first digit 3 to 6) written in groups of four: 6222 0212 3456 7890 123, 6222-0212-3456-7890
    r"|[3-6][0-9]{3}(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{3,4}(?:(?P=sep)[0-9]{1,3})?)(?![A-Za-z0-9])"
)
# a phone extension: 转806 right after a phone number, or 分机 2305 anywhere
_EXTENSION_AFTER = re.compile(r"\s*转\s*[0-9]{1,6}(?![0-9])")
_EXTENSION = re.compile(r"分机\s*(?:号)?\s*[:：]?\s*[0-9]{1,6}(?![0-9])")
# a passport number after the word: passport E12345678, 护照号 E12345678
_PASSPORT = re.compile(
    r"(?:护照|(?<![A-Za-z])passport(?![A-Za-z]))\s*(?:号码|号|no\.?|number|#)?\s*[:：]?\s*"
    r"(?P<number>[A-Za-z]{1,2}[0-9]{7,8})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# a local number without area code is not a valid number on its own; after a phone word it still is one
_PHONE_AFTER_WORD = re.compile(
    r"(?:电话|手机|座机|联系方式|传真|(?<![A-Za-z])(?:tel|phone|mobile|fax|call)(?![A-Za-z]))"
    r"\s*(?:号码|号)?\s*[:：]?\s*(?P<number>\+?[0-9][0-9 ()./-]{5,}[0-9])",
    re.IGNORECASE,
)
# the last digits of a phone number (尾号8000) and QQ numbers
_SHORT_NUMBER = re.compile(
    r"(?:尾号|(?:(?<![A-Za-z])QQ(?![A-Za-z])|扣扣|企鹅号)\s*(?:号码|号)?)\s*[:：]?\s*(?P<number>[0-9]{3,12})(?![0-9])",
    re.IGNORECASE,
)
_DATE = re.compile(r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}")
# digits right after "VIO-" or "WO_" belong to an identifier (VIO-2026-000123), not a phone number
_IDENTIFIER_HEAD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*[-_]$")
_DECIMALS = re.compile(r"\.[0-9]")  # 13800138000.00 is an amount
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-Za-z][ ·•.-]?(?=[A-Za-z]*[0-9])"
    r"(?:[A-Za-z0-9]{5,6}|[A-Za-z0-9]{4}[挂学警港澳])(?![A-Za-z0-9])"
)
_WECHAT = re.compile(
    r"(?:微信|(?<![A-Za-z])(?:wechat|weixin|vx|wx)(?![A-Za-z]))(?P<marker>\s*(?:号|id)?\s*[:：]|\s*号|\s*id)?\s*"
    r"(?P<id>[A-Za-z][A-Za-z0-9_-]{5,19})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_-]+", re.IGNORECASE)
# an address part: 3号楼 3栋 2单元 12层 1203室 1500弄 8号 (several, or one 室, make an address)
_UNIT_SUFFIXES = ("号楼", "号院", "支弄", "单元", "栋", "幢", "座", "楼", "层", "室", "号", "弄", "期")
_UNIT = r"[0-9]+[A-Za-z]?\s*(?:" + "|".join(_UNIT_SUFFIXES) + ")"
_ROOM_CHAIN = re.compile(rf"(?:{_UNIT}\s*-?\s*)+(?:[0-9]{{3,4}}(?![0-9]))?")
_LATIN_ROOM = re.compile(
    r"(?<![A-Za-z])(?:room|rm\.?|flat|apt\.?|apartment|suite|unit)\s*(?:no\.?\s*)?#?\s*[0-9]{3,4}[A-Za-z]?(?![0-9])",
    re.IGNORECASE,
)
_LATIN_STREET = re.compile(
    r"(?<![A-Za-z0-9])[0-9]{1,5}[ \t]+(?:[A-Z][a-z]+[ \t]+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way)(?![A-Za-z])\.?"
)
# a place name is two to five characters that are not words like 在 住 的 对 (CJK text has no spaces to cut at)
_NOT_PLACE = "在住于到至从往向的了和与及是为对把被给该本这那此其个每各某同去来进入出回离位址由将我你他她它们"
_PLACE_CHAR = rf"(?:(?![{_NOT_PLACE}])[\u4e00-\u9fff])"
_CJK_ADDRESS = re.compile(
    rf"(?:{_PLACE_CHAR}{{1,6}}?(?:自治区|省|市|区|县|镇|乡|街道))*"
    rf"(?:{_PLACE_CHAR}{{1,5}}?(?:大道|大街|胡同|路|街|巷|弄)\s*(?:{_UNIT}\s*)+(?:[0-9]{{3,4}}(?![0-9]))?"
    rf"|(?:{_PLACE_CHAR}{{2,5}}?|[A-Za-z]{{1,4}})(?:小区|新村|公寓|大厦)(?:\s*{_UNIT})*(?:\s*[0-9]{{3,4}}(?![0-9]))?"
    rf"|{_PLACE_CHAR}{{2,5}}?(?:花园|家园|苑|广场)(?:\s*{_UNIT})+(?:\s*[0-9]{{3,4}}(?![0-9]))?)"
)
_ADDRESS_PARTS = re.compile(r"[,，、;；/\n]")
# a Chinese address has no separators: cut it after each administrative or street-level suffix
_CJK_ADDRESS_SEGMENT = re.compile(
    r".+?(?:自治区|特别行政区|街道|大道|单元|省|市|区|县|镇|乡|村|路|街|巷|弄|号|栋|幢|座|楼|层|室)|.+$"
)
_SPACES = r"[\s\-_.,'’·]*"


def _normalise(text: str) -> str:
    """``text`` with full-width characters, odd spaces and dashes in ASCII and traditional Chinese
    characters in their simplified form (張偉 reads as 张伟), character for character."""
    text = text.translate(_NORMALISE)
    if not _CJK.search(text):
        return text
    return text.translate(_simplified(frozenset(_CJK.findall(text))))


_SIMPLIFIED: dict[str, str] = {}


def _simplified(chars: frozenset[str]) -> dict[int, str]:
    """The simplified form of each of ``chars`` that has one of a single character (OpenCC's t2s)."""
    missing = [ch for ch in chars if ch not in _SIMPLIFIED]
    if missing:
        # OpenCC is loaded on first use, like pypinyin; one character at a time keeps positions exact
        import opencc

        converter = opencc.OpenCC("t2s")
        for ch in missing:
            converted = converter.convert(ch)
            _SIMPLIFIED[ch] = converted if len(converted) == 1 else ch
    return {ord(ch): _SIMPLIFIED[ch] for ch in chars if _SIMPLIFIED[ch] != ch}


def _flexible(literal: str) -> str:
    """A pattern for ``literal`` that tolerates any whitespace (or none) between its words."""
    return r"\s*".join(re.escape(part) for part in _normalise(literal).split())


def _spaced(word: str) -> str:
    """A pattern for a Chinese ``word`` that tolerates spaces or a dash, dot or middle dot between its
    characters (王 芳, 王-芳, 欧阳·娜娜)."""
    return r"\s*(?:[-_.·•・]\s*)?".join(re.escape(ch) for ch in word)


def _phone_patterns(phone: str) -> list[str]:
    """The stored number in any spacing, with or without its country code, and a landline without area code."""
    digits = re.sub(r"[^0-9]", "", _normalise(phone))
    numbers = {digits} if len(digits) >= 4 else set()
    try:
        parsed = phonenumbers.parse(_normalise(phone), "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None:
        national = phonenumbers.national_significant_number(parsed)
        numbers.add(national)
        area = phonenumbers.length_of_geographical_area_code(parsed)
        if area and len(national) - area >= 7:
            numbers.add(national[area:])
    prefix = r"(?:(?:\+|00)?[0-9]{1,3}[\s().-]*)?(?:0[\s().-]*)?"
    return [prefix + r"[\s().\-/]*".join(number) for number in numbers if len(number) >= 4]


def _pinyin_patterns(surname: str, given: str) -> list[str]:
    """The name in pinyin: Wang Fang, wang fang, Fang Wang, WANG Fang, Wangfang, and the given name (Xiaoming)."""
    # pypinyin is loaded on first use: its dictionaries take most of a second to import
    from pypinyin import Style, pinyin

    def spellings(chars: str) -> list[str]:
        # every reading of a character that has several (单: dan, shan), ü also as u and yu; a bounded number
        words: list[list[str]] = [[]]
        for options in pinyin(chars, style=Style.NORMAL, heteronym=True, errors="ignore"):
            variants = sorted({v for o in options[:3] for v in (o, o.replace("v", "u"), o.replace("v", "yu"))})
            words = [[*w, v] for w in words for v in variants][:32]
        return [r"[\s\-'’]?".join(re.escape(syllable) for syllable in w) for w in words if w]

    family, first = spellings(surname), spellings(given)
    patterns = [f"{f}{_SPACES}{g}" for f in family for g in first] + [f"{g}{_SPACES}{f}" for f in family for g in first]
    if len(given) >= 2:
        patterns.extend(first)
    return [rf"(?<![A-Za-z]){p}(?![A-Za-z])" for p in patterns]


def _cjk_name_patterns(name: str) -> list[str]:
    """A Chinese name, spaced or not, its given name, the forms of address and familiar names derived from it."""
    compact = "".join(name.split())
    split = 2 if len(compact) >= 3 and compact[:2] in _COMPOUND_SURNAMES else 1
    surname, given = compact[:split], compact[split:]
    patterns = [_spaced(compact)]
    forms = {surname + title for title in _SURNAME_TITLES}
    forms.update(prefix + surname for prefix in _NICKNAME_PREFIXES)
    if given:
        if len(given) >= 2:
            forms.add(given)
        forms.update({"阿" + given[-1], "小" + given[-1], given[-1] * 2})
    patterns.extend(_spaced(form) for form in sorted(forms - _COMMON_WORDS))
    if given and all(_CJK.match(ch) for ch in compact):
        patterns.extend(_pinyin_patterns(surname, given))
    return patterns


def _customer_patterns(customer: Customer) -> list[str]:
    patterns: list[str] = []
    name = _normalise(customer.name).strip()
    if name:
        patterns.append(_flexible(name))
        if _CJK.search(name):
            patterns.extend(_cjk_name_patterns(name))
        else:
            parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 2]
            patterns.extend(rf"\b{re.escape(p)}\b" for p in parts)
    for value in (customer.email, customer.address):
        if value and value.strip():
            patterns.append(_flexible(value))
    if customer.address:
        parts = [p.strip() for p in _ADDRESS_PARTS.split(_normalise(customer.address))]
        patterns.extend(_flexible(p) for p in parts if len(p) >= 2)
        for part in parts:
            if _CJK.search(part):
                patterns.extend(_cjk_address_runs(part))
    if customer.phone and customer.phone.strip():
        patterns.append(_flexible(customer.phone))
        patterns.extend(_phone_patterns(customer.phone))
    return patterns


def _cjk_address_runs(address: str) -> list[str]:
    """Every run of two or more consecutive segments (世纪大道100号, 3号楼502室...), as patterns."""
    segments = _CJK_ADDRESS_SEGMENT.findall("".join(address.split()))
    return [
        r"\s*".join(re.escape(ch) for ch in "".join(segments[start:end]))
        for start in range(len(segments))
        for end in range(start + 2, len(segments) + 1)
    ]


def _is_room(match: re.Match[str]) -> bool:
    """A chain of address parts is a room when it has a 室, two parts or more, or a room number after them."""
    text = match.group(0).strip()
    return "室" in text or len(re.findall(_UNIT, text)) >= 2 or not text.endswith(_UNIT_SUFFIXES)


def _personal_spans(text: str, patterns: Iterable[str]) -> Iterator[tuple[int, int]]:
    """Where personal data sits in ``text`` (already normalised)."""
    for pattern in patterns:
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            yield match.span()
    for regex in (_EMAIL, _OBFUSCATED_EMAIL, _ID_NUMBER, _PLATE, _WXID, _LATIN_ROOM, _LATIN_STREET, _CJK_ADDRESS):
        for match in regex.finditer(text):
            yield match.span()
    for regex in (_THIRD_PARTY, _LATIN_TITLE):
        for match in regex.finditer(text):
            yield match.span()
    for match in _ROOM_CHAIN.finditer(text):
        if _is_room(match):
            yield match.span()
    for match in _WECHAT.finditer(text):
        handle = match.group("id")
        if match.group("marker") or re.search(r"[0-9_-]", handle):
            yield match.span("id")
    for match in _SHORT_NUMBER.finditer(text):
        yield match.span("number")
    for match in _PASSPORT.finditer(text):
        yield match.span("number")
    for match in _EXTENSION.finditer(text):
        yield match.span()
    for match in _PHONE_AFTER_WORD.finditer(text):
        number = match.group("number")
        if len(re.sub(r"[^0-9]", "", number)) >= 7 and not _DATE.fullmatch(number.strip()):
            yield _with_extension(text, match.span("number"))
    for found in phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID):
        if not _IDENTIFIER_HEAD.search(text, 0, found.start) and not _DECIMALS.match(text, found.end):
            yield _with_extension(text, (found.start, found.end))


def _with_extension(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A phone number's span, with the extension written right after it (1234转806) if there is one."""
    extension = _EXTENSION_AFTER.match(text, span[1])
    return (span[0], extension.end()) if extension else span


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` without surrounding spaces or a bracket it does not close (the "(" of "王芳 (138...")."""
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end and text[start] == "(" and ")" not in text[start:end]:
        start += 1
    if start < end and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    return start, end


def redact_personal_data(text: str, customers: Iterable[Customer] = (), *, extra: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by :data:`REDACTED`.

    Removed whoever they belong to:

    - phone numbers that are valid for China or, with their ``+`` country code,
      anywhere (``phonenumbers``), in any spacing or punctuation (``138.0013.8000``,
      ``138/0013/8000``, ``(010) 8765 4321``, ``+86 138 0013 8000``), full-width
      digits and dashes, ideographic and no-break spaces included; a number of
      seven digits or more right after 电话, 手机, 座机, 联系方式, 传真, tel, phone,
      mobile, fax or call, even without area code, with an extension written
      right after it (1234转806); the digits after 分机, after 尾号 (the last
      digits of a number), and a QQ number (after QQ, 扣扣 or 企鹅号);
    - 15 to 19 digits in a row (ID cards, bank cards), an 18-character ID card
      ending in X, an ID card written 6-8-4, a bank card starting with 3 to 6
      written in groups of four (6222 0212 3456 7890 123, 6222-0212-3456-7890);
    - a passport number (one or two letters and 7 or 8 digits) after 护照 or
      passport (护照号 E12345678, passport no. E12345678);
    - email addresses, also written ``wf at example dot cn``, ``wf[at]example.cn``,
      ``wf(at)example(dot)cn`` or with a full-width ``＠`` (an obfuscated one must
      end in a common top-level domain);
    - licence plates (沪A12345, new-energy 沪AD12345, 粤Z1234港);
    - WeChat ids after 微信, WeChat, weixin, vx or wx when written with a ``:``,
      号 or ``id`` (微信号 zhangsan_88, WeChat: wf2024) or when the id holds a
      digit, ``_`` or ``-``; any ``wxid_...``;
    - rooms and partial addresses: 1203室, a chain of two or more parts such
      as 3栋2单元1203 or 3号楼502室, a road with its number (朝阳区建国路88号,
      张杨路1500弄8号), an estate (阳光小区, XX小区, 公寓, 大厦, 新村; 花园,
      家园, 苑, 广场 with a building number), Room/Flat/Apt/Suite/Unit with a
      number of three or four digits, and ``12 Harbour Road``-style streets;
    - anyone's surname (one of some 400 common single ones, or one of 38
      compound ones such as 欧阳)
      with 先生, 女士, 小姐 or 太太, and Mr, Mrs, Ms, Miss, Mx, Madam or Mme
      with one or two capitalised words.

    Traditional characters are read as their simplified form (OpenCC, one
    character at a time), so every rule above and below also finds 張偉,
    張先生 or 建國路88號.

    For each customer in ``customers``: the name (also spaced or split by a
    dash, dot or middle dot, 王 芳, 王-芳, 欧阳·娜娜; a Latin
    name also in parts); for a Chinese name, the given name when it has two
    characters or more, the surname (欧阳 and the other compound surnames kept
    whole) with a form of address (王先生, 欧阳女士, 张姐, 张哥, 张总, 张师傅...),
    小张, 老张, 阿张, 阿芳, 小芳, 芳芳 (unless that form is an ordinary word
    such as 小时 or 刚刚), and the name in pinyin in either order, any case,
    spaced, joined or hyphenated, with or without tone marks (Wang Fang,
    Fang Wang, WANG Fang, Wangfang, Wáng Fāng;
    the given name alone, Xiaoming, when it has two characters or more); the
    phone number in any spacing, with or without country code, and a landline
    also without its area code; the email; the address, each comma-separated
    part of it and, for a Chinese address, every run of two or more of its
    levels (世纪大道100号); plus any ``extra`` strings.

    Kept: dates and date ranges (2019-2024), times, amounts (150.00 CNY), ids
    such as WO-2026-0001 (digits right after a letter-led prefix and a dash),
    quantities, article numbers (第3.2条), and any number not described above.
    It errs on the side of removing too much: a staff member who shares a
    customer's surname loses it too, and 陈先生 is removed whoever he is. Free
    text can still describe a person indirectly; keep notices factual.

    >>> redact_personal_data("王芳 (138 0013 8000, wf@example.cn) complained", [Customer("C-1", "王芳")])
    '*** (***, ***) complained'
    """
    if not isinstance(text, str):
        raise ValidationError("text", f"must be a string, got {type(text).__name__}")
    patterns: list[str] = []
    for customer in as_tuple("customers", customers, of=Customer):
        patterns.extend(_customer_patterns(customer))
    patterns.extend(_flexible(e) for e in as_tuple("extra", extra, of=str) if e.strip())
    normalised = _normalise(text)
    spans = sorted(_trimmed(normalised, span) for span in _personal_spans(normalised, dict.fromkeys(patterns)))
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        if end <= start or end <= position:
            continue
        if start > position:
            pieces.append(text[position:start])
            pieces.append(REDACTED)
        elif not pieces or pieces[-1] != REDACTED:
            pieces.append(REDACTED)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


@attrs.frozen(kw_only=True)
class NoticeFinding:
    """One person's responsibility as published (reason redacted)."""

    person: ActorRef
    degree: ResponsibilityDegree
    reason: str


@attrs.frozen(kw_only=True)
class PublicationNotice(Document):
    """The internal publication of a violation decision (违规处理结果公示), free of customer data.

    Build it with :meth:`from_violation`: every free-text field is passed
    through :func:`redact_personal_data` with the customers the case involves,
    and nothing identifying a customer (the complaint, the reporter, the
    evidence) is copied at all.
    """

    kind: ClassVar[str] = "publication_notice"
    violation_id: str
    subject: ActorRef
    category: str
    source_kind: ViolationSourceKind
    summary: str
    findings: tuple[NoticeFinding, ...]
    decision_number: int
    decided_by: ActorRef
    decided_at: datetime = attrs.field(validator=aware)
    reasons: str
    sanctions: tuple[Sanction, ...]
    compensations: tuple[Compensation, ...]
    corrects: int | None = None
    """The decision this one corrects after an upheld appeal."""
    appeal_deadline: datetime = attrs.field(validator=aware)
    published_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    """When this decision was published; ``None`` for a draft of the notice."""

    @classmethod
    def from_violation(
        cls,
        violation: Violation,
        *,
        generated_at: datetime,
        customers: Iterable[Customer] = (),
        extra: Iterable[str] = (),
    ) -> PublicationNotice:
        """The notice for the decision in force, with personal data of ``customers`` (and ``extra``) removed.

        Pass every customer the case involves (the complainant of the source
        complaint, a reporting customer); emails and phone numbers are removed
        whoever they belong to.
        """
        decision = _decision_of(violation, None)
        people = as_tuple("customers", customers, of=Customer)
        sensitive = list(as_tuple("extra", extra, of=str))
        if violation.source.kind is ViolationSourceKind.CUSTOMER_REPORT:
            # a customer who reported through a staff member is named only as the recorder
            reporter = violation.source.reported_by or violation.reported_by
            sensitive.append(reporter.name)

        def clean(text: str) -> str:
            return redact_personal_data(text, people, extra=sensitive)

        published = [p for p in violation.publications if p.decision_number == decision.number]
        category = violation.category
        determination = violation.determination
        assert determination is not None  # a decided case was determined
        return cls(
            generated_at=generated_at,
            violation_id=violation.id,
            subject=violation.subject,
            # a custom category is free text like the rest (a fixed one is a code, printed as is)
            category=category if isinstance(category, ViolationCategory) else clean(category),
            source_kind=violation.source.kind,
            summary=clean(violation.description),
            findings=tuple(
                NoticeFinding(person=f.person, degree=f.degree, reason=clean(f.reason)) for f in determination.findings
            ),
            decision_number=decision.number,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            reasons=clean(decision.reasons),
            sanctions=tuple(attrs.evolve(s, note=clean(s.note)) for s in decision.sanctions),
            compensations=tuple(attrs.evolve(c, note=clean(c.note)) for c in decision.compensations),
            corrects=decision.corrects,
            appeal_deadline=decision.appeal_deadline,
            published_at=published[-1].published_at if published else None,
        )

    @property
    def fines_total(self) -> tuple[Money, ...]:
        """The fines, one total per currency."""
        totals: dict[str, Money] = {}
        for sanction in self.sanctions:
            if sanction.amount is not None:
                currency = sanction.amount.currency
                totals[currency] = totals.get(currency, Money.zero(currency)) + sanction.amount
        return tuple(totals.values())

    @property
    def reference(self) -> str:
        """The violation id and decision number."""
        return f"{self.violation_id}-{self.decision_number}"


@attrs.frozen(kw_only=True)
class AppealDecisionLetter(Document):
    """The appeal decision (申诉处理决定) to the appellant: upheld or rejected, and why.

    Raises :class:`BusinessRuleError` until the panel has decided.
    """

    kind: ClassVar[str] = "appeal_decision"
    appeal: Appeal
    violation: Violation

    def __attrs_post_init__(self) -> None:
        if self.appeal.outcome is None:
            raise BusinessRuleError(
                "Appeal", self.appeal.id, f"is {self.appeal.status.value!r}; the panel has not decided yet"
            )
        if self.appeal.violation_id != self.violation.id:
            raise ValidationError(
                "violation", f"appeal {self.appeal.id} concerns {self.appeal.violation_id}, not {self.violation.id}"
            )

    @property
    def contested(self) -> ViolationDecision:
        """The decision the appeal contests."""
        return _decision_of(self.violation, self.appeal.decision_number)

    @property
    def correction(self) -> ViolationDecision | None:
        """The decision that corrects the contested one after this appeal, if the violation records it yet."""
        for decision in self.violation.decisions:
            if decision.appeal_id == self.appeal.id:
                return decision
        return None

    @property
    def reference(self) -> str:
        """The appeal id."""
        return self.appeal.id


__all__ = [
    "REDACTED",
    "AcceptanceReportDocument",
    "AppealDecisionLetter",
    "ComplaintReply",
    "Document",
    "NoticeFinding",
    "PublicationNotice",
    "RectificationNotice",
    "ViolationDecisionLetter",
    "WorkOrderSheet",
    "redact_personal_data",
]
