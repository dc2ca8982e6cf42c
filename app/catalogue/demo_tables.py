"""Tables of the catalogue's demo data: which kind of Hainan unit implements the items of each
department of the source list, and the statutes that items of each kind are based on.

The source list (``data/demo_items.csv``) is a Sichuan district's; only the item names are kept.
Its departments say which kind of unit implements an item; the codes are made anew with Hainan's
prefix (46) and the Sichuan wording (「下放成都等８市」, 《四川省…》) is taken out of the names.
"""

from __future__ import annotations

import re

# Source department → (the kind of unit that implements its items, how many entries to take).
DEPARTMENTS: dict[str, tuple[str, int]] = {
    "区行政审批局": ("approval", 45),
    "区人社局": ("hrss", 30),
    "区交通运输局": ("transport", 25),
    "区公安分局": ("police", 25),
    "区教科体局": ("education", 23),
    "区司法局": ("justice", 21),
    "区卫健局": ("health", 21),
    "区民政局": ("civil", 20),
    "区住建局": ("housing", 20),
    "区农业农村局": ("agriculture", 18),
    "区市监局": ("market", 17),
    "区自然资源和规划局": ("land", 15),
    "区生态环境局": ("environment", 13),
    "区医疗保障局": ("medical_insurance", 12),
    "区文广旅局": ("culture", 12),
    "区应急管理局": ("emergency", 9),
}

# The competent department as a Hainan catalogue names it, by kind.
COMPETENT: dict[str, str] = {
    "approval": "行政审批服务部门",
    "hrss": "人力资源和社会保障部门",
    "transport": "交通运输部门",
    "police": "公安机关",
    "education": "教育行政部门",
    "justice": "司法行政部门",
    "health": "卫生健康部门",
    "civil": "民政部门",
    "housing": "住房和城乡建设部门",
    "agriculture": "农业农村部门",
    "market": "市场监督管理部门",
    "land": "自然资源和规划部门",
    "environment": "生态环境部门",
    "medical_insurance": "医疗保障部门",
    "culture": "旅游和文化广电体育部门",
    "emergency": "应急管理部门",
}

# A unit's kind from its name (the first match wins: 公安 before 局).
UNIT_KINDS: tuple[tuple[str, str], ...] = (
    ("公安", "police"),
    ("行政审批", "approval"),
    ("市场监督管理", "market"),
    ("人力资源和社会保障", "hrss"),
    ("交通运输", "transport"),
    ("教育", "education"),
    ("司法", "justice"),
    ("卫生健康", "health"),
    # Not "民政" alone: 人民政府 has it.
    ("民政局", "civil"),
    ("民政厅", "civil"),
    ("住房和城乡建设", "housing"),
    ("农业农村", "agriculture"),
    ("自然资源和规划", "land"),
    ("生态环境", "environment"),
    ("医疗保障", "medical_insurance"),
    ("旅游和文化广电体育", "culture"),
    ("应急管理", "emergency"),
)

# Statutes by a word of the item's name (first match), then by kind.
STATUTES_BY_WORD: tuple[tuple[str, str], ...] = (
    ("烟花爆竹", "《烟花爆竹安全管理条例》"),
    ("焰火", "《烟花爆竹安全管理条例》"),
    ("易制毒", "《易制毒化学品管理条例》"),
    ("化学品", "《危险化学品安全管理条例》"),
    ("身份证", "《中华人民共和国居民身份证法》"),
    ("居住证", "《居住证暂行条例》"),
    ("户口", "《中华人民共和国户口登记条例》"),
    ("户籍", "《中华人民共和国户口登记条例》"),
    ("枪支", "《中华人民共和国枪支管理法》"),
    ("上网服务", "《互联网上网服务营业场所管理条例》"),
    ("旅馆", "《旅馆业治安管理办法》"),
    ("大型", "《大型群众性活动安全管理条例》"),
    ("出租汽车", "《巡游出租汽车经营服务管理规定》"),
    ("公路", "《中华人民共和国公路法》"),
    ("道路运输", "《中华人民共和国道路运输条例》"),
    ("客运", "《中华人民共和国道路运输条例》"),
    ("货运", "《中华人民共和国道路运输条例》"),
    ("驾驶", "《中华人民共和国道路运输条例》"),
    ("船", "《中华人民共和国内河交通安全管理条例》"),
    ("教师资格", "《教师资格条例》"),
    ("民办", "《中华人民共和国民办教育促进法》"),
    ("幼儿园", "《幼儿园管理条例》"),
    ("入学", "《中华人民共和国义务教育法》"),
    ("运动员", "《中华人民共和国体育法》"),
    ("体育", "《中华人民共和国体育法》"),
    ("律师", "《中华人民共和国律师法》"),
    ("法律援助", "《中华人民共和国法律援助法》"),
    ("公证", "《中华人民共和国公证法》"),
    ("人民调解", "《中华人民共和国人民调解法》"),
    ("法律服务", "《基层法律服务工作者管理办法》"),
    ("医保", "《中华人民共和国社会保险法》"),
    ("医疗保险", "《中华人民共和国社会保险法》"),
    ("医疗救助", "《社会救助暂行办法》"),
    ("定点", "《医疗机构医疗保障定点管理暂行办法》"),
    ("社会保险", "《中华人民共和国社会保险法》"),
    ("养老保险", "《中华人民共和国社会保险法》"),
    ("失业", "《失业保险条例》"),
    ("工伤", "《工伤保险条例》"),
    ("工时", "《中华人民共和国劳动法》"),
    ("劳动", "《中华人民共和国劳动合同法》"),
    ("就业", "《中华人民共和国就业促进法》"),
    ("职业", "《中华人民共和国职业教育法》"),
    ("婚姻", "《婚姻登记条例》"),
    ("结婚", "《婚姻登记条例》"),
    ("离婚", "《婚姻登记条例》"),
    ("收养", "《中国公民收养子女登记办法》"),
    ("殡葬", "《殡葬管理条例》"),
    ("墓", "《殡葬管理条例》"),
    ("养老机构", "《养老机构管理办法》"),
    ("慈善", "《中华人民共和国慈善法》"),
    ("社会组织", "《社会团体登记管理条例》"),
    ("社会团体", "《社会团体登记管理条例》"),
    ("救助", "《社会救助暂行办法》"),
    ("低保", "《社会救助暂行办法》"),
    ("最低生活保障", "《社会救助暂行办法》"),
    ("特困", "《社会救助暂行办法》"),
    ("残疾", "《中华人民共和国残疾人保障法》"),
    ("高龄", "《中华人民共和国老年人权益保障法》"),
    ("老年人", "《中华人民共和国老年人权益保障法》"),
    ("食品", "《中华人民共和国食品安全法》"),
    ("药品", "《中华人民共和国药品管理法》"),
    ("毒性药品", "《医疗用毒性药品管理办法》"),
    ("计量", "《中华人民共和国计量法》"),
    ("名称", "《企业名称登记管理规定》"),
    ("合同", "《中华人民共和国民法典》"),
    ("消费", "《中华人民共和国消费者权益保护法》"),
    ("特殊标志", "《特殊标志管理条例》"),
    ("母婴", "《中华人民共和国母婴保健法》"),
    ("医师", "《中华人民共和国医师法》"),
    ("护士", "《护士条例》"),
    ("医疗机构", "《医疗机构管理条例》"),
    ("诊所", "《医疗机构管理条例》"),
    ("放射", "《放射诊疗管理规定》"),
    ("传染", "《中华人民共和国传染病防治法》"),
    ("公共场所", "《公共场所卫生管理条例》"),
    ("生育", "《中华人民共和国人口与计划生育法》"),
    ("独生子女", "《中华人民共和国人口与计划生育法》"),
    ("建筑", "《中华人民共和国建筑法》"),
    ("施工", "《建设工程质量管理条例》"),
    ("房屋", "《中华人民共和国城市房地产管理法》"),
    ("房地产", "《中华人民共和国城市房地产管理法》"),
    ("燃气", "《城镇燃气管理条例》"),
    ("物业", "《物业管理条例》"),
    ("农药", "《农药管理条例》"),
    ("兽药", "《兽药管理条例》"),
    ("动物", "《中华人民共和国动物防疫法》"),
    ("检疫", "《中华人民共和国动物防疫法》"),
    ("种子", "《中华人民共和国种子法》"),
    ("农机", "《农业机械安全监督管理条例》"),
    ("拖拉机", "《农业机械安全监督管理条例》"),
    ("渔", "《中华人民共和国渔业法》"),
    ("养殖", "《中华人民共和国渔业法》"),
    ("宅基地", "《中华人民共和国土地管理法》"),
    ("土地", "《中华人民共和国土地管理法》"),
    ("用地", "《中华人民共和国土地管理法》"),
    ("规划", "《中华人民共和国城乡规划法》"),
    ("测绘", "《中华人民共和国测绘法》"),
    ("矿", "《中华人民共和国矿产资源法》"),
    ("地质", "《地质灾害防治条例》"),
    ("不动产", "《不动产登记暂行条例》"),
    ("环境影响", "《中华人民共和国环境影响评价法》"),
    ("排污", "《排污许可管理条例》"),
    ("辐射", "《放射性同位素与射线装置安全和防护条例》"),
    ("危险废物", "《中华人民共和国固体废物污染环境防治法》"),
    ("噪声", "《中华人民共和国噪声污染防治法》"),
    ("取水", "《取水许可和水资源费征收管理条例》"),
    ("水土保持", "《中华人民共和国水土保持法》"),
    ("河道", "《中华人民共和国河道管理条例》"),
    ("文物", "《中华人民共和国文物保护法》"),
    ("娱乐", "《娱乐场所管理条例》"),
    ("演出", "《营业性演出管理条例》"),
    ("旅行社", "《旅行社条例》"),
    ("导游", "《导游人员管理条例》"),
    ("广播", "《广播电视管理条例》"),
    ("电视", "《广播电视管理条例》"),
    ("出版", "《出版管理条例》"),
    ("印刷", "《印刷业管理条例》"),
    ("宗教", "《宗教事务条例》"),
    ("节能", "《固定资产投资项目节能审查办法》"),
    ("投资项目", "《企业投资项目核准和备案管理条例》"),
    ("安全生产", "《中华人民共和国安全生产法》"),
    ("应急预案", "《生产安全事故应急预案管理办法》"),
    ("地震", "《中华人民共和国防震减灾法》"),
    ("自然灾害", "《自然灾害救助条例》"),
    ("安全设施", "《建设项目安全设施“三同时”监督管理办法》"),
)
STATUTES_BY_KIND: dict[str, str] = {
    "approval": "《中华人民共和国行政许可法》",
    "hrss": "《中华人民共和国社会保险法》",
    "transport": "《中华人民共和国道路运输条例》",
    "police": "《中华人民共和国治安管理处罚法》",
    "education": "《中华人民共和国教育法》",
    "justice": "《中华人民共和国律师法》",
    "health": "《中华人民共和国基本医疗卫生与健康促进法》",
    "civil": "《社会救助暂行办法》",
    "housing": "《中华人民共和国建筑法》",
    "agriculture": "《中华人民共和国农业法》",
    "market": "《中华人民共和国市场主体登记管理条例》",
    "land": "《中华人民共和国土地管理法》",
    "environment": "《中华人民共和国环境保护法》",
    "medical_insurance": "《医疗保障基金使用监督管理条例》",
    "culture": "《公共文化体育设施条例》",
    "emergency": "《中华人民共和国安全生产法》",
}

_NUMERALS = "零一二三四五六七八九"
# Sichuan wording in the source names: a parenthesis about Sichuan's own decrees and delegations.
_SICHUAN_NOTE = re.compile(r"[（(][^（）()]*(省政府令|下放|成都)[^（）()]*[)）]")


def chinese_number(n: int) -> str:
    """1..99 as an article number is written: 三十五, 十二, 七."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _NUMERALS[ones]
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")


def statute_for(name: str, kind: str) -> str:
    for word, statute in STATUTES_BY_WORD:
        if word in name:
            return statute
    return STATUTES_BY_KIND[kind]


def legal_basis(name: str, kind: str, number: int) -> str:
    """A legal basis as catalogues write it: 《…》第三十五条."""
    return f"{statute_for(name, kind)}第{chinese_number(number)}条"


def clean_name(name: str) -> str:
    """The item name without the source province's own notes and names."""
    name = _SICHUAN_NOTE.sub("", name).replace("四川省", "海南省")
    return name.strip()


def unit_kind(unit_name: str) -> str | None:
    for word, kind in UNIT_KINDS:
        if word in unit_name:
            return kind
    return None
