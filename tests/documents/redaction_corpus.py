"""A labelled corpus for :func:`servicecore.documents.redact_personal_data`.

Each snippet is redacted with :data:`CUSTOMERS` known. A snippet with personal data lists the exact
substrings that must disappear (and may list substrings that must stay); a control lists none and must
come out unchanged. Run ``python -m tests.documents.redaction_corpus`` to print the figures.
"""

from __future__ import annotations

from typing import NamedTuple

from servicecore import Customer
from servicecore.documents import redact_personal_data

CUSTOMERS = (
    Customer(
        "C-1",
        "王芳",
        phone="+86 138 0013 8000",
        email="wf@example.cn",
        address="北京市朝阳区建国路88号阳光小区3栋2单元1203室",
    ),
    Customer("C-2", "欧阳娜娜", phone="139 1234 5678"),
    Customer("C-3", "张伟"),
    Customer("C-4", "吕思远", email="lsy@mail.example"),
    Customer("C-5", "Mary-Jane O'Neil", phone="+44 20 7946 0958", address="Flat 4, 12 Harbour Road"),
)
"""The customers the case involves, passed to every redaction in the corpus."""


class Snippet(NamedTuple):
    """One text, what must disappear from it (nothing for a control), and what must stay."""

    text: str
    personal: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


def _p(text: str, *personal: str, keep: tuple[str, ...] = ()) -> Snippet:
    return Snippet(text, personal, keep)


PERSONAL = [
    # the customer's name, spaced, in full-width or odd spaces
    _p("客户王芳来电投诉", "王芳", keep=("客户", "来电投诉")),
    _p("客户王 芳来电", "王 芳"),
    _p("客户王\u3000芳来电", "王\u3000芳"),
    _p("客户王\u00a0芳来电", "王\u00a0芳"),
    _p("投诉人：王  芳", "王  芳"),
    # compound surnames
    _p("欧阳娜娜反映药味太重", "欧阳娜娜", keep=("反映药味太重",)),
    _p("欧阳女士要求退款", "欧阳女士", keep=("要求退款",)),
    _p("欧阳 娜娜女士", "欧阳 娜娜"),
    _p("欧阳小姐当时不在家", "欧阳小姐"),
    _p("据欧阳姐说，门没锁", "欧阳姐"),
    _p("娜娜说她没收到通知", "娜娜"),
    _p("司马先生是邻居", "司马先生"),
    _p("上官女士提供了照片", "上官女士"),
    _p("诸葛先生在场", "诸葛先生"),
    _p("东方女士签字确认", "东方女士"),
    _p("皇甫先生也看到了", "皇甫先生"),
    _p("尉迟女士报的警", "尉迟女士"),
    _p("公孙先生拒绝签字", "公孙先生"),
    _p("慕容小姐打来电话", "慕容小姐"),
    _p("长孙先生是业主", "长孙先生"),
    _p("宇文女士在楼下", "宇文女士"),
    _p("司徒先生转告了物业", "司徒先生"),
    _p("夏侯女士提出异议", "夏侯女士"),
    _p("轩辕先生同意改期", "轩辕先生"),
    _p("令狐女士不满意", "令狐女士"),
    # forms of address and familiar names derived from the customer's name
    _p("王女士来电投诉", "王女士"),
    _p("王先生要求赔偿", "王先生"),
    _p("王姐说厨房还有蟑螂", "王姐"),
    _p("王阿姨在家等候", "王阿姨"),
    _p("王老师不满意", "王老师"),
    _p("小王开的门", "小王"),
    _p("老王反映了噪音", "老王"),
    _p("阿芳签了字", "阿芳"),
    _p("小芳说不用了", "小芳"),
    _p("芳芳打来电话", "芳芳"),
    _p("小张说药剂有异味", "小张"),
    _p("老张在门口等", "老张"),
    _p("张姐要求重做", "张姐"),
    _p("张哥不在家", "张哥"),
    _p("张总亲自验收", "张总"),
    _p("张先生签收了", "张先生"),
    _p("张女士是业主的家属", "张女士"),
    _p("张师傅是客户本人", "张师傅"),
    _p("张经理拒绝签字", "张经理"),
    _p("张大爷腿脚不便", "张大爷"),
    _p("客户张伟不在", "张伟"),
    _p("张 伟补充说明", "张 伟"),
    _p("吕思远投诉噪音", "吕思远"),
    _p("小吕说明天再来", "小吕"),
    _p("吕女士在家", "吕女士"),
    _p("思远表示同意", "思远"),
    # the name in pinyin
    _p("Customer Wang Fang called", "Wang Fang", keep=("Customer", "called")),
    _p("signed by wang fang", "wang fang"),
    _p("Fang Wang, the tenant", "Fang Wang"),
    _p("WANG Fang (tenant)", "WANG Fang"),
    _p("WANG FANG complained", "WANG FANG"),
    _p("user wangfang wrote", "wangfang"),
    _p("Wang-Fang confirmed", "Wang-Fang"),
    _p("Ouyang Nana complained", "Ouyang Nana"),
    _p("Nana Ouyang is the owner", "Nana Ouyang"),
    _p("OUYANG Na-na signed", "OUYANG Na-na"),
    _p("Zhang Wei was absent", "Zhang Wei"),
    _p("Wei ZHANG was absent", "Wei ZHANG"),
    _p("Lv Siyuan called twice", "Lv Siyuan"),
    _p("Lyu Siyuan called twice", "Lyu Siyuan"),
    _p("Siyuan Lu called", "Siyuan Lu"),
    _p("Siyuan said no", "Siyuan"),
    _p("Wáng Fāng signed", "Wáng Fāng"),
    _p("LǙ Sīyuǎn called", "LǙ Sīyuǎn"),
    # a Latin name
    _p("Mary-Jane O'Neil wrote in", "Mary-Jane O'Neil"),
    _p("Mrs O'Neil was out", "O'Neil"),
    _p("Mary-Jane said so", "Mary-Jane"),
    # anyone's surname with a title
    _p("邻居李女士也投诉了", "李女士"),
    _p("陈先生是物业经理", "陈先生"),
    _p("刘小姐提供了视频", "刘小姐"),
    _p("赵太太在场", "赵太太"),
    _p("隔壁的黄女士作证", "黄女士"),
    _p("Ms Li from next door", "Ms Li"),
    _p("Mr. Smith, the landlord", "Mr. Smith"),
    _p("Madam Chen Hua agreed", "Madam Chen Hua"),
    # phone numbers, every way people write them
    _p("电话13800138000，谢谢", "13800138000", keep=("电话", "，谢谢")),
    _p("手机 138 0013 8000", "138 0013 8000"),
    _p("call 138-0013-8000 now", "138-0013-8000", keep=("call", "now")),
    _p("tel 138.0013.8000", "138.0013.8000"),
    _p("号码138/0013/8000", "138/0013/8000"),
    _p("手机１３８－００１３－８０００", "１３８－００１３－８０００"),
    _p("手机138－0013－8000", "138－0013－8000"),
    _p("手机138\u30000013\u30008000", "138\u30000013\u30008000"),
    _p("mobile 138\u00a00013\u00a08000", "138\u00a00013\u00a08000"),
    _p("mobile 138\u202f0013\u202f8000", "138\u202f0013\u202f8000"),
    _p("拨打+86 138 0013 8000", "+86 138 0013 8000"),
    _p("拨打+8613800138000", "+8613800138000"),
    _p("拨打0086 138 0013 8000", "0086 138 0013 8000"),
    _p("拨打 86-138-0013-8000", "138-0013-8000"),
    _p("reach her on (+86) 138 0013 8000", "138 0013 8000"),
    _p("另一个号码13912345678", "13912345678"),
    _p("联系 139 1234 5678 找欧阳", "139 1234 5678"),
    _p("座机010-87654321", "010-87654321"),
    _p("座机(010) 8765 4321", "8765 4321"),
    _p("固话 0755-86013388", "0755-86013388"),
    _p("电话 8765 4321", "8765 4321"),
    _p("电话：87654321", "87654321"),
    _p("tel: +86 (021) 5555-0101", "5555-0101"),
    _p("London office +44 20 7946 0958", "7946 0958"),
    _p("she called from 020 7946 0958", "7946 0958"),
    _p("HK mobile +852 9123 4567", "9123 4567"),
    _p("US +1 415 555 2671", "415 555 2671"),
    _p("手机号码是15012345678。", "15012345678"),
    _p("联系方式：18612345678", "18612345678"),
    _p("客户13700137000，2点前联系", "13700137000", keep=("2点前联系",)),
    _p("手机尾号8000的客户", "8000", keep=("手机尾号", "的客户")),
    _p("QQ: 12345678", "12345678"),
    _p("qq号 87654321", "87654321"),
    # ID cards and bank cards
    _p("身份证号11010519491231002X", "11010519491231002X"),
    _p("身份证号11010519491231002x", "11010519491231002x"),
    _p("ID 110105194912310021 on file", "110105194912310021"),
    _p("旧身份证 110105491231002", "110105491231002"),
    _p("身份证 110105 19491231 002X", "110105 19491231 002X"),
    _p("退款到卡号6222021234567890123", "6222021234567890123"),
    # licence plates
    _p("车牌沪A12345停在楼下", "沪A12345", keep=("车牌", "停在楼下")),
    _p("新能源车沪AD12345", "沪AD12345"),
    _p("车牌京B·12345", "京B·12345"),
    _p("粤Z1234港的车", "粤Z1234港"),
    _p("plate 苏E 2B3C4", "苏E 2B3C4"),
    _p("浙A12345F新能源车", "浙A12345F"),
    # WeChat ids
    _p("微信: wxid_abc123", "wxid_abc123", keep=("微信",)),
    _p("微信号 zhangsan_88", "zhangsan_88"),
    _p("微信号：wangfang2024", "wangfang2024"),
    _p("WeChat: fangfang_w", "fangfang_w"),
    _p("WeChat ID nana-oy", "nana-oy"),
    _p("加我wechat zhangsan88", "zhangsan88"),
    _p("vx: lsy_1990", "lsy_1990"),
    _p("she sent wxid_x9y8z7 the photos", "wxid_x9y8z7"),
    # rooms and partial addresses
    _p("住在1203室", "1203室", keep=("住在",)),
    _p("3栋2单元1203", "3栋2单元1203"),
    _p("5号楼3单元502室漏水", "5号楼3单元502室"),
    _p("楼下12层1202", "12层1202"),
    _p("Room 1203 was treated", "Room 1203"),
    _p("Rm 502", "Rm 502"),
    _p("Apt. 1502B", "Apt. 1502B"),
    _p("Flat 4 at 12 Harbour Road", "Flat 4", "12 Harbour Road"),
    _p("lives at 221 Baker Street", "221 Baker Street"),
    _p("朝阳区建国路88号", "朝阳区建国路88号"),
    _p("家住建国路88号", "建国路88号", keep=("家住",)),
    _p("地址：北京市海淀区中关村大街27号", "中关村大街27号", "海淀区"),
    _p("张杨路1500弄8号", "张杨路1500弄8号"),
    _p("南京西路1266号恒隆广场", "南京西路1266号"),
    _p("住在XX小区", "XX小区"),
    _p("住阳光小区3栋", "阳光小区3栋"),
    _p("幸福新村的住户", "幸福新村"),
    _p("在金茂大厦办公", "金茂大厦"),
    _p("碧桂园花园5栋1单元", "花园5栋1单元"),
    _p("她的地址是世纪大道100号", "世纪大道100号"),
    # emails, plain and obfuscated
    _p("邮箱wf@example.cn", "wf@example.cn", keep=("邮箱",)),
    _p("mail a.b+c@example.com.cn!", "a.b+c@example.com.cn"),
    _p("write to wf at example dot cn", "wf at example dot cn"),
    _p("write to wf [at] example [dot] cn", "wf [at] example [dot] cn"),
    _p("wf[at]example.cn", "wf[at]example.cn"),
    _p("wf(at)example(dot)com", "wf(at)example(dot)com"),
    _p("wf＠example.cn", "wf＠example.cn"),
    _p("WF AT EXAMPLE DOT COM", "WF AT EXAMPLE DOT COM"),
    _p("lsy@mail.example 回复了", "lsy@mail.example"),
    _p("王芳的电话是138 0013 8000", "王芳", "138 0013 8000", keep=("的电话是",)),
    _p("Tel:+86-138-0013-8000", "+86-138-0013-8000"),
    _p("13800138000/13912345678", "13800138000", "13912345678"),
    _p("Wang Fang's kitchen", "Wang Fang", keep=("kitchen",)),
    _p("Ms. Ouyang called", "Ouyang"),
    _p("欧阳娜娜（Nana）", "欧阳娜娜", "Nana"),
    # several at once
    _p(
        "客户王芳（电话139 1234 5678）投诉：陈刚在张杨路1500弄8号1202室上门服务时与客户争吵。",
        "王芳",
        "139 1234 5678",
        "张杨路1500弄8号1202室",
        keep=("陈刚", "上门服务时与客户争吵"),
    ),
    _p(
        "欧阳女士（微信号 nana_oy88，车牌沪AD12345）住阳光小区3栋2单元1203室",
        "欧阳女士",
        "nana_oy88",
        "沪AD12345",
        "阳光小区3栋2单元1203室",
    ),
    # realistic forms: grouped bank cards, extensions, 扣扣, passports, traditional characters, split names
    _p("退款打到卡号 6222 0212 3456 7890 123", "6222 0212 3456 7890 123", keep=("退款打到卡号",)),
    _p("银行卡 6222-0212-3456-7890 已核实", "6222-0212-3456-7890", keep=("已核实",)),
    _p("请拨 021-6488 1234转806 找物业", "021-6488 1234", "转806", keep=("找物业",)),
    _p("座机 010-8765 4321 分机 2305", "8765 4321", "2305"),
    _p("加她扣扣 987654321 发照片", "987654321", keep=("发照片",)),
    _p("passport E12345678 was copied", "E12345678", keep=("was copied",)),
    _p("护照号 E12345678，已登记", "E12345678", keep=("已登记",)),
    _p("护照号码：G87654321", "G87654321"),
    _p("客户張偉來電投訴", "張偉"),
    _p("呂思遠先生的郵件", "呂思遠"),
    _p("歐陽娜娜說門沒鎖", "歐陽娜娜"),
    _p("經辦人記錄：張先生在場", "張先生"),
    _p("签收人 王-芳", "王-芳"),
    _p("张.伟 当天不在家", "张.伟", keep=("当天不在家",)),
    _p("联系人：欧阳·娜娜", "欧阳·娜娜"),
    _p(
        "Wang Fang (138 0013 8000, wf@example.cn) of Room 1203 complained on 2026-03-02",
        "Wang Fang",
        "138 0013 8000",
        "wf@example.cn",
        "Room 1203",
        keep=("complained on 2026-03-02",),
    ),
]
"""Snippets with personal data: each listed substring must disappear."""

CONTROLS = [
    Snippet(text)
    for text in (
        # years, dates, ranges, times
        "2019-2024",
        "2019-2024年度考核",
        "2019—2024年",
        "2019至2024年",
        "from 2019 to 2024",
        "2026-03-02",
        "2026/03/02",
        "2026.03.02",
        "2026年3月2日",
        "on 2026-03-02 09:00 for WO-2026-0001",
        "2026-01-05 09:00 +08:00",
        "2026-03-02T09:00:00+08:00",
        "FY2025-2026",
        "09:00-18:00",
        "9:30—11:45",
        "12:00 至 13:30",
        "下午3点到5点",
        "3月3号上门",
        "20260302",
        "批号 20260302",
        "2024-2025学年",
        "(2019-2024)",
        "2019/2024",
        "2019.01-2024.12",
        "20190101-20241231",
        "13:00-14:00",
        "2026-03-02 13:00-14:00",
        "2026年3月2日14:00",
        "UTC+08:00",
        "电话回访3次",
        "电话 2026-03-02 回访",
        # amounts
        "150.00 CNY",
        "fine of 1000000.00 CNY, version 1.2345678",
        "1,234,567.89 CNY",
        "¥13,800.00",
        "罚款200元",
        "赔偿 3000.00 CNY",
        "USD 12,345,678.90",
        "一个积分折合3元",
        # ids and references
        "WO-2026-0001",
        "CMP-1-2",
        "VIO-2026-000123",
        "REQ-20260302-0007",
        "订单号 SO20260302001",
        "INV-0000123456",
        "合同编号 HT-2026-0302-0001",
        "订单 1380013800",
        "amount 13700137000.00 CNY",
        "¥1380013.80",
        "工号 E-020",
        "陈刚（工号 E-001）",
        "APL-1 and E-020",
        "第1号决定",
        "VIOLATION-0001-2",
        # rules and standards
        "第3.2条",
        "第十二条",
        "第3.2.1款",
        "ISO/IEC 20000-1:2018",
        "GB/T 19001-2016",
        "ISO 9001:2015",
        "see section 3.2",
        # quantities and measures
        "共12件",
        "喷洒 3.5 升",
        "面积 120.5 平方米",
        "1200 ml",
        "用药 250 g",
        "库存 12345 件",
        "100%",
        "score 4.5/5",
        "3/4 of the area",
        "ratio 1:2",
        "温度 25°C，湿度 60%",
        "8个房间",
        "12层楼高",
        "共 3 栋楼",
        "在3楼等候",
        "1号线2号口",
        "room 12, ext 301",
        "Suite 3 of the test plan",
        "Unit price 15.00 CNY",
        "version 2.10.3",
        "1234567",
        "95588",
        "12315热线",
        # staff and neutral text
        "陈刚上门服务时态度恶劣",
        "经调查，服务人员违反服务规范",
        "服务态度恶劣，与客户发生争吵，违反服务规范。",
        "这位先生",
        "一位女士",
        "女士们、先生们",
        "向女士道歉",
        "各位先生",
        "那位女士",
        "老先生和老太太",
        "经女士本人同意",
        "外国女士",
        "该女士",
        "女士优先",
        "主张",
        "芳香剂",
        "小时",
        "刚刚完成",
        "常常迟到",
        "物业公司对小区进行消杀",
        "整个小区",
        "老小区改造",
        "进入小区",
        "本小区",
        "路上耽误了30分钟",
        "一路顺风",
        "在建国路上",
        "第 2 栋",
        "王某",
        "He said the gel was applied",
        "沿建国路行驶",
        "5A级景区",
        "沪深300指数",
        "京东快递",
        "通过微信联系客户",
        "QQ群里通知了",
        "尾号不详",
        "微信支付",
        "WeChat payment received",
        "Pay via WeChat",
        "meeting at 10:30",
        "arrived at 9.30",
        "look at the list",
        "see example.com for the manual",
        "Call back within 2 hours",
        "Room service was late",
        "Flat rate 120.00 CNY",
        "Miss the deadline and the fine doubles",
        "the plate number was recorded",
        "Chen Gang apologised",
        "工单 WO-2026-0001 转 3 号工程师处理",
        "合同编号 2026-0001-0002-0003 已归档",
        "护照和身份证复印件已收，客户签字",
        "扣扣群里通知了物业",
        "第 3 条、第 4 条和第 5 条规定",
        "订单 1234 5678 已发货",
        "药剂批号 2026 0312 0001",
        "伟大的工程师团队",
        "建国以来第一次",
    )
]
"""Controls: each must come out exactly as it went in."""

CORPUS = PERSONAL + CONTROLS
"""Every snippet."""


class Figures(NamedTuple):
    """Recall on the labelled personal data and false positives on the controls."""

    found: int
    labelled: int
    false_positives: int
    controls: int
    leaks: tuple[tuple[str, str, str], ...]
    """(snippet, substring, redacted text) for each labelled substring that survived."""
    altered: tuple[tuple[str, str], ...]
    """(control, redacted text) for each control that changed or each kept substring lost."""


def measure() -> Figures:
    """Redact the whole corpus and count."""
    leaks: list[tuple[str, str, str]] = []
    altered: list[tuple[str, str]] = []
    labelled = 0
    for snippet in PERSONAL:
        redacted = redact_personal_data(snippet.text, CUSTOMERS)
        for value in snippet.personal:
            labelled += 1
            if value in redacted:
                leaks.append((snippet.text, value, redacted))
        altered.extend((snippet.text, redacted) for kept in snippet.keep if kept not in redacted)
    for snippet in CONTROLS:
        redacted = redact_personal_data(snippet.text, CUSTOMERS)
        if redacted != snippet.text:
            altered.append((snippet.text, redacted))
    return Figures(
        found=labelled - len(leaks),
        labelled=labelled,
        false_positives=len(altered),
        controls=len(CONTROLS),
        leaks=tuple(leaks),
        altered=tuple(altered),
    )


if __name__ == "__main__":
    figures = measure()
    print(
        f"corpus {len(CORPUS)} snippets ({len(PERSONAL)} with personal data, {len(CONTROLS)} controls): "
        f"recall {figures.found}/{figures.labelled}, false positives {figures.false_positives}/{figures.controls}"
    )
    for text, value, redacted in figures.leaks:
        print(f"leak: {value!r} in {text!r} -> {redacted!r}")
    for text, redacted in figures.altered:
        print(f"altered: {text!r} -> {redacted!r}")
