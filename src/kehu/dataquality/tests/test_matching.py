"""The matcher: the seed's rule (name + contact + phone), blocking, reasons, groups."""

from hypothesis import given
from hypothesis import strategies as st

from kehu.dataquality.matching import Candidate, find_duplicates, group, prepare, score

THRESHOLD = 0.8


def test_seed_example_is_one_customer():
    a = Candidate(1, "星辰科技有限公司", contacts=("王建国",), mobiles=("13812345678",))
    b = Candidate(2, "星辰科技(北京)有限公司", contacts=("王建国",), mobiles=("13812345678",))

    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)

    assert (verdict.a, verdict.b) == (1, 2)
    assert verdict.score >= 0.95
    assert verdict.reasons[0].startswith("names equal after normalisation")
    assert "same mobile 138****5678" in verdict.reasons


def test_same_credit_code_is_a_duplicate_whatever_the_name():
    a = Candidate(1, "甲方科技有限公司", credit_code="91350100M000100Y43")
    b = Candidate(2, "乙方贸易有限公司", credit_code="91350100m000100y43")
    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)
    assert verdict.reasons == ["same unified social credit code"]


def test_different_companies_sharing_nothing_do_not_match():
    a = Candidate(1, "星辰科技有限公司", contacts=("王建国",), mobiles=("13812345678",))
    b = Candidate(2, "东方机械有限公司", contacts=("李娜",), mobiles=("13987654321",))
    assert find_duplicates([a, b], threshold=THRESHOLD) == []


def test_homophone_typo_with_same_phone_is_found_through_pinyin_blocking():
    a = Candidate(1, "星辰科技有限公司", contacts=("王建国",), mobiles=("13812345678",))
    b = Candidate(2, "星晨科技有限公司", contacts=("王建国",), mobiles=("13812345678",))
    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)
    assert verdict.score >= THRESHOLD


def test_traditional_name_and_spaced_contact_match():
    a = Candidate(1, "深圳市腾讯计算机系统有限公司", contacts=("张伟",), mobiles=("13812345678",))
    b = Candidate(2, "深圳市騰訊計算機系統有限公司", contacts=("張 偉",), mobiles=("13812345678",))
    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)
    assert verdict.score == 0.95


def test_groups_join_chains_of_matches():
    records = [
        Candidate(1, "星辰科技有限公司", mobiles=("13812345678",), contacts=("王建国",)),
        Candidate(2, "星辰科技(北京)有限公司", mobiles=("13812345678",), contacts=("王建国",)),
        Candidate(3, "星辰科技（上海）有限公司", mobiles=("13812345678",), contacts=("王建国",)),
        Candidate(4, "东方机械有限公司", mobiles=("13987654321",)),
    ]
    assert group(find_duplicates(records, threshold=THRESHOLD)) == [{1, 2, 3}]


@given(
    st.text(alphabet="星辰科技东方机械有限公司()（）北京", min_size=2, max_size=20).filter(
        lambda s: any(ch.isalnum() for ch in s.replace("(", "").replace(")", ""))
    )
)
def test_a_record_always_matches_itself(name):
    p = prepare(Candidate(1, name, contacts=("王建国",), mobiles=("13812345678",)))
    assert score(p, p).score >= 0.95
