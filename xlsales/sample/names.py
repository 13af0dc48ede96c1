"""Chinese person and company names for the sample company: realistic, unique, drawn from a seeded generator."""
from __future__ import annotations

import numpy as np

# Common surnames, most common first; weights fall off so 王/李/张/刘/陈 dominate as they do in China.
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉健波宁斌浩凯鑫婷雪琳颖晨宇轩博文俊峰毅晓倩慧佳瑶欣怡子涵梓萱浩然思远一鸣家豪志刚建国海燕春梅立新永庆国栋")
CITIES = ("上海", "杭州", "苏州", "南京", "宁波", "广州", "深圳", "东莞", "佛山", "厦门", "北京", "天津", "济南",
          "青岛", "石家庄", "成都", "重庆", "昆明", "贵阳", "武汉", "长沙", "郑州", "合肥", "南昌", "无锡")
CORES = list("华瑞恒信达鼎盛嘉通宏泰联创新宇博远科正安康源汇融晟辰启明天元中海德润祥和兴隆智汇晶凯")
TRADES = ("科技", "电子", "贸易", "机械", "医药", "物流", "新材料", "信息技术", "制造", "食品", "能源", "建设")
FORMS = ("有限公司", "股份有限公司", "集团有限公司")


def person_names(rng: np.random.Generator, count: int, exclude: set[str] = frozenset()) -> np.ndarray:
    """``count`` unique 2–3 character names (about a third have a one-character given name)."""
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    names: list[str] = []
    seen = set(exclude)
    while len(names) < count:
        batch = 2 * (count - len(names)) + 16
        surname = np.array(SURNAMES)[rng.choice(len(SURNAMES), batch, p=weights / weights.sum())]
        first = np.array(GIVEN)[rng.integers(0, len(GIVEN), batch)]
        second = np.array(GIVEN)[rng.integers(0, len(GIVEN), batch)]
        single = rng.random(batch) < 0.35
        candidates = np.char.add(np.char.add(surname, first), np.where(single, "", second))
        for name in dict.fromkeys(candidates.tolist()):  # keeps order, drops repeats
            if name not in seen and len(names) < count:
                seen.add(name)
                names.append(name)
    return np.array(names)


def company_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` unique names like 杭州恒信科技有限公司."""
    sizes = (len(CITIES), len(CORES), len(CORES), len(TRADES), len(FORMS))
    total = int(np.prod(sizes))
    draw = int(count * 1.1) + 16  # a few draws are dropped: 华华-style doubled cores
    if draw > total:
        raise ValueError(f"at most {int((total - 16) / 1.1)} sample customers")
    city, a, b, trade, form = np.unravel_index(rng.choice(total, draw, replace=False), sizes)
    keep = a != b
    parts = [np.array(CITIES)[city], np.array(CORES)[a], np.array(CORES)[b], np.array(TRADES)[trade],
             np.array(FORMS)[form]]
    names = parts[0][keep]
    for part in parts[1:]:
        names = np.char.add(names, part[keep])
    return names[:count]
