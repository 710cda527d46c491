"""pinyin_both caches pypinyin's conversion per segmented word: the results must be exactly
what calling lazy_pinyin on every run of Chinese characters gives (the implementation before
the cache, kept here as the reference), for company names made of dictionary phrases,
polyphones, traditional characters, rare characters and Latin letters, digits and punctuation."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from kehu.core.text import _HAN_RUN, pinyin_both, to_simplified


def reference(text: str) -> tuple[str, str]:
    """pinyin_both as it was: one lazy_pinyin call per run of Chinese characters."""
    text = to_simplified(text or "")
    full, initials, position = [], [], 0
    for match in _HAN_RUN.finditer(text):
        other = text[position : match.start()]
        full.append(other)
        initials.append(other)
        syllables = lazy_pinyin(match.group(), errors="default")
        full.extend(syllables)
        initials.extend(s[:1] for s in syllables)
        position = match.end()
    full.append(text[position:])
    initials.append(text[position:])
    return "".join(full).lower().replace(" ", ""), "".join(initials).lower().replace(" ", "")


# Every 97th phrase of pypinyin's dictionary (a few thousand, polyphones in context among
# them), and the words company names are made of.
PHRASES = sorted(PHRASES_DICT)[::97]
COMPANY_WORDS = [
    "有限公司", "股份", "有限责任公司", "集团", "科技", "银行", "行长", "重庆", "长安", "长沙",
    "厦门", "朝阳", "单县", "会计", "音乐", "乐器", "调度", "调味", "藏族", "西藏", "还款",
    "传说", "传记", "行业", "行情", "重工", "重量", "曾经", "曾氏", "仇", "朴", "解", "区",
    "查", "单", "翟", "臺灣", "銀行", "廣州", "發展", "貿易", "𠀾", "㐀",
]  # fmt: skip
OTHER = list("ABCxyz019 -_.,()（）·&/")

piece = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(COMPANY_WORDS),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.sampled_from(OTHER),
)
names = st.lists(piece, max_size=12).map("".join)


@settings(max_examples=1500, deadline=None)
@given(names)
def test_cached_pinyin_is_lazy_pinyin_run_by_run(name):
    assert pinyin_both(name) == reference(name)


def test_the_same_word_reads_as_its_context_wants():
    """Words are cached, characters are not: 行 in 银行 and in 行动 keep their readings."""
    assert pinyin_both("银行行动") == reference("银行行动") == ("yinhangxingdong", "yhxd")
    assert pinyin_both("重庆重量") == reference("重庆重量")
    assert pinyin_both("长安长大") == reference("长安长大")
