"""What the synthetic people, schools and files are made of: the fixed generation parameters (seed, file
dates) and the vocabularies (county codes, surnames and given names with their frequencies, 民族 and 政治面貌
labels, the fictional university's majors, the fictional county's schools, town and street names).

    >>> from xueji_lib.samples.vocabulary import K12_SCHOOLS, SURNAMES
    >>> SURNAMES[:3], K12_SCHOOLS[0][1]
    (['王', '李', '张'], '示范县第一小学')

Everything here is data; the generators that draw from it are ``people``, ``hei_records``, ``hei``, ``k12``,
``photos`` and ``scale``.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

SAMPLE_SEED = 20261123
#: The "last update" date written into every sample DBF header (never the clock).
DBF_DATE = _dt.date(2026, 11, 23)
#: The creation date written into every sample workbook.
XLSX_DATE = _dt.datetime(2026, 3, 16, 9, 0, 0)

# ---------------------------------------------------------------------------------------------------
# Reference data (synthetic-generation vocabularies)
# ---------------------------------------------------------------------------------------------------

# Real county-level codes of GB/T 2260 (each one is present in the 201904 revision shipped as
# xueji_lib/schema/data/codes/xzqh.csv; tests/test_synth.py re-checks every one). Only codes unchanged for years
# are used, so that ID numbers built on them are valid whichever revision a checker holds.
AREAS: tuple[tuple[int, str], ...] = (
    (110101, "北京市东城区"),
    (110105, "北京市朝阳区"),
    (110108, "北京市海淀区"),
    (120101, "天津市和平区"),
    (120104, "天津市南开区"),
    (130102, "河北省石家庄市长安区"),
    (130104, "河北省石家庄市桥西区"),
    (140105, "山西省太原市小店区"),
    (150102, "内蒙古自治区呼和浩特市新城区"),
    (210102, "辽宁省沈阳市和平区"),
    (220102, "吉林省长春市南关区"),
    (230102, "黑龙江省哈尔滨市道里区"),
    (310101, "上海市黄浦区"),
    (310104, "上海市徐汇区"),
    (310115, "上海市浦东新区"),
    (320102, "江苏省南京市玄武区"),
    (320106, "江苏省南京市鼓楼区"),
    (320205, "江苏省无锡市锡山区"),
    (330102, "浙江省杭州市上城区"),
    (330106, "浙江省杭州市西湖区"),
    (340102, "安徽省合肥市瑶海区"),
    (340104, "安徽省合肥市蜀山区"),
    (350102, "福建省福州市鼓楼区"),
    (350203, "福建省厦门市思明区"),
    (360102, "江西省南昌市东湖区"),
    (370102, "山东省济南市历下区"),
    (370202, "山东省青岛市市南区"),
    (410102, "河南省郑州市中原区"),
    (410105, "河南省郑州市金水区"),
    (420102, "湖北省武汉市江岸区"),
    (420106, "湖北省武汉市武昌区"),
    (430102, "湖南省长沙市芙蓉区"),
    (430104, "湖南省长沙市岳麓区"),
    (430111, "湖南省长沙市雨花区"),
    (430112, "湖南省长沙市望城区"),
    (430121, "湖南省长沙市长沙县"),
    (430181, "湖南省浏阳市"),
    (430182, "湖南省宁乡市"),
    (440103, "广东省广州市荔湾区"),
    (440106, "广东省广州市天河区"),
    (440304, "广东省深圳市福田区"),
    (450102, "广西壮族自治区南宁市兴宁区"),
    (451226, "广西壮族自治区环江毛南族自治县"),
    (460105, "海南省海口市秀英区"),
    (500103, "重庆市渝中区"),
    (500106, "重庆市沙坪坝区"),
    (510104, "四川省成都市锦江区"),
    (510107, "四川省成都市武侯区"),
    (520102, "贵州省贵阳市南明区"),
    (530102, "云南省昆明市五华区"),
    (610103, "陕西省西安市碑林区"),
    (610113, "陕西省西安市雁塔区"),
    (620102, "甘肃省兰州市城关区"),
    (640104, "宁夏回族自治区银川市兴庆区"),
    (650102, "新疆维吾尔自治区乌鲁木齐市天山区"),
)
# 港澳台居民居住证: 18-digit numbers with these address codes (DOMAIN.md §5.2)
HMT_AREAS = {810000: "香港", 820000: "澳门", 830000: "台湾"}
# The K-12 sample county: a fictional "示范县" borrowing the real code of 长沙县 so that IDs validate.
K12_COUNTY = 430121
K12_NEARBY = (430102, 430104, 430111, 430112, 430181, 430182)
K12_MIGRANT = (360102, 420106, 510107, 520102, 450102, 440106, 410105)

# Surnames with rough frequencies (per mille; the order of the large ones follows the 2020 census
# ranking). Compound surnames are rare.
_SURNAME_TEXT = (
    "王71 李70 张65 刘52 陈46 杨32 黄22 赵22 吴20 周19 徐14 孙13 马12 朱12 胡11 郭11 何10 林9 高9 罗9 "
    "郑8 梁8 谢7 宋6 唐6 许6 韩6 冯5 邓5 曹5 彭5 曾5 肖5 田4 董4 袁4 潘4 于4 蒋4 蔡4 余4 杜4 叶4 "
    "程3 苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖3 贾3 夏3 "
    "韦2 付2 方2 白2 邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 "
    "郝2 龚2 邵2 万2 钱2 严2 覃2 武2 戴2 莫2 孔2 向2 汤2 欧阳0.5 司马0.1 上官0.1 诸葛0.1"
)


def _parse_weighted(text: str) -> tuple[list[str], np.ndarray]:
    names, weights = [], []
    for item in text.split():
        i = next(k for k, ch in enumerate(item) if ch.isdigit())
        names.append(item[:i])
        weights.append(float(item[i:]))
    w = np.array(weights)
    return names, w / w.sum()


SURNAMES, SURNAME_P = _parse_weighted(_SURNAME_TEXT)
GIVEN_MALE = list(
    "伟强磊军勇杰涛斌超明鹏辉华刚飞浩宇轩博文俊凯峰亮晨阳翔睿泽航然哲锐昊天子一嘉诚铭志豪宁健毅帅骏旭坤彬鑫思远宏振源瑞林建国平东海波龙成康乐逸"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟霞燕玲婷雪慧琳颖倩欣怡悦萱涵琪雨梦佳瑶晶露薇妍诗语馨可心彤月晓蕾洁莉秀英兰红丹凤萍清思文宁一嘉子"
)
# Rare characters that GBK still holds (not in GB2312's common set, typical of given names).
RARE_MALE = list("堃喆赟昇淼")
RARE_FEMALE = list("玥淼")
# A character outside GBK but inside GB18030 (CJK Extension A): only in planted records.
RARE_OUTSIDE_GBK = "䶮"
# One-character typos of the kind a clerk makes (same pronunciation, different character).
TYPO = {
    "伟": "炜",
    "静": "婧",
    "丽": "俐",
    "明": "铭",
    "杰": "捷",
    "涛": "韬",
    "斌": "彬",
    "超": "潮",
    "鹏": "朋",
    "辉": "晖",
    "华": "骅",
    "芳": "方",
    "娜": "纳",
    "敏": "闽",
    "婷": "亭",
    "慧": "惠",
    "琳": "林",
    "颖": "莹",
    "倩": "茜",
    "欣": "馨",
    "怡": "仪",
    "涵": "含",
    "琪": "祺",
    "佳": "嘉",
    "瑶": "遥",
    "晶": "菁",
    "露": "璐",
    "薇": "微",
    "妍": "研",
    "浩": "皓",
    "宇": "雨",
    "轩": "萱",
    "博": "波",
    "俊": "骏",
    "凯": "楷",
    "峰": "锋",
    "晨": "辰",
    "阳": "扬",
    "翔": "祥",
    "睿": "锐",
}
# Uyghur/Kazakh-style names: given name · father's name (the middle dot U+00B7, as on ID cards).
UYGHUR_MALE = ["艾力", "阿迪力", "买买提", "艾尔肯", "努尔兰", "吾斯曼", "阿不都", "伊力哈木"]
UYGHUR_FEMALE = ["古丽娜尔", "迪丽拜尔", "阿依努尔", "热依汗", "帕提古丽", "米娜瓦尔", "阿依古丽"]
UYGHUR_FATHER = ["买买提", "吐尔逊", "艾合买提", "玉素甫", "克里木", "阿不力孜", "托合提", "艾山"]
MIDDLE_DOT = "\u00b7"

# 民族 (GB 3304) labels for the codes used here; must equal the labels of xueji_lib/schema/data/codes/mz.csv.
MZ_LABEL = {
    "01": "汉族",
    "02": "蒙古族",
    "03": "回族",
    "05": "维吾尔族",
    "06": "苗族",
    "07": "彝族",
    "08": "壮族",
    "11": "满族",
    "13": "瑶族",
    "15": "土家族",
    "17": "哈萨克族",
    "36": "毛南族",
}
# Where members of each group are drawn from when minority_regions is on (all real codes above).
MZ_REGION = {
    "02": (150102,),
    "03": (640104, 410102),
    "05": (650102,),
    "06": (520102,),
    "07": (530102,),
    "08": (450102,),
    "11": (210102, 220102),
    "13": (450102,),
    "15": (500103, 520102),
    "17": (650102,),
    "36": (451226,),
}
MZ_P_HEI = {
    "01": 0.90,
    "03": 0.015,
    "05": 0.008,
    "08": 0.015,
    "11": 0.012,
    "06": 0.01,
    "15": 0.01,
    "07": 0.006,
    "02": 0.006,
    "17": 0.003,
    "13": 0.005,
}
MZ_P_K12 = {"01": 0.95, "06": 0.015, "15": 0.02, "13": 0.005, "03": 0.005, "08": 0.005}
ZZMM_LABEL = {"01": "中共党员", "02": "中共预备党员", "03": "共青团员", "13": "群众"}

SCHOOL_CODE = "19999"  # fictional 5-digit 院校代码
SCHOOL_NAME = "华夏示范大学"  # fictional school
SCHOOL_ZSB_FROM = "示范职院"  # fictional 专科 school of the 专升本 students
YEAR = 2026

# (ZYDM, ZYMC, 层次, 学制, 分院, 班号前缀, 科类 digits of the 考生号, weight)
MAJORS_10 = (
    ("080901", "计算机科学与技术", "本科", "4", "信息工程学院", "计科", "5", 11),
    ("080902", "软件工程", "本科", "4", "信息工程学院", "软件", "5", 9),
    ("080701", "电子信息工程", "本科", "4", "信息工程学院", "电信", "5", 8),
    ("071201", "统计学", "本科", "4", "数学与统计学院", "统计", "5", 6),
    ("070101", "数学与应用数学", "本科", "4", "数学与统计学院", "数学", "5", 7),
    ("020101", "经济学", "本科", "4", "经济管理学院", "经济", "15", 8),
    ("050101", "汉语言文学", "本科", "4", "文学院", "汉语", "1", 9),
    ("050201", "英语", "本科", "4", "外国语学院", "英语", "12", 8),
    ("040101", "教育学", "本科", "4", "教育学院", "教育", "1", 7),
    ("510201", "计算机应用技术", "专科", "3", "信息工程学院", "计应", "5", 9),
    ("530302", "大数据与会计", "专科", "3", "经济管理学院", "会计", "15", 9),
    ("530701", "电子商务", "专科", "3", "经济管理学院", "电商", "15", 7),
)
MAJORS_50 = (
    ("050101", "汉语言文学", "专科起点本科", "2.5", "继续教育学院", "汉语", "1", 8),
    ("080901", "计算机科学与技术", "专科起点本科", "2.5", "继续教育学院", "计科", "5", 8),
    ("040107", "小学教育", "专科起点本科", "2.5", "继续教育学院", "小教", "1", 9),
    ("050101", "汉语言文学", "高中起点本科", "5", "继续教育学院", "汉本", "1", 3),
    ("530302", "大数据与会计", "高中起点专科", "2.5", "继续教育学院", "会计", "15", 9),
    ("510201", "计算机应用技术", "高中起点专科", "2.5", "继续教育学院", "计应", "5", 6),
    ("440501", "建设工程管理", "高中起点专科", "2.5", "继续教育学院", "建管", "5", 5),
)
XXXS_50 = (("函授", 0.6), ("业余", 0.35), ("脱产", 0.05))
STATIONS_50 = ("校本部", "湘江函授站", "星城教学点", "洞庭函授站")

# K-12: schools of the fictional county (学校标识码 are fictional 10-digit numbers).
K12_SCHOOLS = (
    # (学校标识码, 学校名称, 学段, classes per grade, uses text labels for 性别/民族)
    ("2143012901", "示范县第一小学", "小学", 1, False),
    ("2143012902", "示范县第二小学", "小学", 1, False),
    ("2143012903", "示范县星河小学", "小学", 1, False),
    ("2143012904", "示范县青松小学", "小学", 1, False),
    ("2143012905", "示范县第一初级中学", "初中", 2, False),
    ("2143012906", "示范县第二初级中学", "初中", 2, False),
    ("2143012907", "示范县第一高级中学", "高中", 1, False),
    ("2143012908", "示范县第二高级中学", "高中", 1, True),
)
STAGE_GRADES = {"小学": ("11", "12", "13", "14", "15", "16"), "初中": ("21", "22", "23"), "高中": ("31", "32", "33")}
TOWNS = ("城关镇", "星河镇", "青松乡", "白沙镇", "东岭乡", "枫林镇")
STREETS = ("建设路", "人民路", "解放路", "文化路", "新华街", "滨河路", "学府路", "迎宾大道")
VILLAGES = ("石桥村", "枫树村", "新塘村", "荷花村", "龙泉村", "高桥村", "松柏村")
COUNTY_TEXT = "湖南省示范县"

# K-12, issue 16: the two schools of the county's autumn 2026 学籍核查 collection (``k12_check``), fictional like the
# others (new 10-digit 学校标识码; K12_SCHOOLS is unchanged): (学校标识码, 学校名称, 学段, pupils per class)
K12_CHECK_SCHOOLS = (
    ("2143012911", "示范县第三小学", "小学", 20),
    ("2143012912", "示范县实验中学", "初中", 40),
)
