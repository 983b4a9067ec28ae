"""Realistic chat text for the search benchmark: Zipf-weighted words, some CJK, and the queries."""

import random
from itertools import accumulate

# Common English words roughly in frequency order, then a club's own vocabulary; rank r is drawn
# with weight 1/r (Zipf's law), so "the" is everywhere and "quadcopter" is rare, as in real chat.
WORDS = """the to and a of i you it in is that for be on this have we are with not do at
was so can but if just will what all me my get no from out up about like they there yes one
go your know time when think would how ok good see now then people our more some also well
any today going tomorrow meeting here need work back thanks make really week room please
which because should after new right still very sure day could first where want event year
class lab project code team tonight morning evening friday monday hall library seminar notes
exam deadline submit slides report coffee lunch canteen bus ticket photo video music club
python server bug fix release build test deploy database design poster budget sponsor venue
hackathon workshop quiz volunteer registration certificate robot drone circuit sensor arduino
kotlin android laptop charger wifi password projector whiteboard marker schedule agenda
minutes election treasurer secretary president welcome freshers farewell trip trek camera
festival rehearsal practice match tournament football cricket chess badminton result winner
café résumé naïve jalapeño über façade déjà piñata coöperate quadcopter oscilloscope
""".split()

# Chinese and Japanese phrases: no spaces, so the server matches substrings of three characters or more.
CJK = """今天下午三点开会 明天的讲座改到图书馆 请大家按时提交报告 周五晚上有聚餐
项目代码已经上传 服务器出了一点问题 会议室在三楼 下周考试时间表
明日の会議は十時からです 図書館で勉強会をします 資料を共有してください
週末にハイキングに行きます 新しいプロジェクトを始めましょう 締め切りは金曜日です""".split()

CJK_SHARE = 0.03  # of messages written in Chinese or Japanese
WEIGHTS = list(accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))


def sentence(rng: random.Random) -> str:
    """One chat message: 3 to 20 Zipf-drawn words, or a CJK sentence or two."""
    if rng.random() < CJK_SHARE:
        return "".join(rng.choice(CJK) for _ in range(rng.randint(1, 2)))
    words = rng.choices(WORDS, cum_weights=WEIGHTS, k=rng.randint(3, 20))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice(".?!")


def middle_words(rng: random.Random, count: int) -> list[str]:
    """Words of middling frequency (ranks 40-250): what people look for, neither stopword nor typo."""
    return [rng.choice(WORDS[40:250]) for _ in range(count)]


def queries(rng: random.Random, count: int) -> dict[str, list[str]]:
    """`count` queries of each kind the issue times."""
    def cjk_piece() -> str:
        text = rng.choice(CJK)
        start = rng.randrange(len(text) - 3)
        return text[start:start + rng.randint(3, 4)]

    def phrase() -> str:
        a, b = rng.choice(PHRASES)
        return f'"{a} {b}"'

    return {
        "one_word": middle_words(rng, count),
        "two_words": [" ".join(middle_words(rng, 2)) for _ in range(count)],
        "phrase": [phrase() for _ in range(count)],
        "prefix": [rng.choice(WORDS[40:250])[:3] + "*" for _ in range(count)],
        "cjk_substring": [cjk_piece() for _ in range(count)],
    }


# Pairs that meet often enough in Zipf text to make phrase queries with answers.
PHRASES = [("the", "meeting"), ("project", "code"), ("library", "seminar"), ("submit", "report"),
           ("coffee", "tomorrow"), ("bug", "fix"), ("new", "room"), ("good", "morning")]
