"""The matcher: the seed's rule (name + contact + phone), blocking, reasons, groups."""

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.dataquality.matching import Candidate, Reason, find_duplicates, group, prepare, score

THRESHOLD = 0.8


def test_seed_example_is_one_customer():
    a = Candidate(1, "星辰科技有限公司", contacts=("王建国",), mobiles=("13812345678",))
    b = Candidate(2, "星辰科技(北京)有限公司", contacts=("王建国",), mobiles=("13812345678",))

    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)

    assert (verdict.a, verdict.b) == (1, 2)
    assert verdict.score >= 0.95
    assert verdict.reasons[0] == Reason("name_removed", (("parts", "(北京)"),))
    assert Reason("same_mobile", (("mobile", "138****5678"),)) in verdict.reasons
    with translation.override("en"):
        assert str(verdict.reasons[0]) == "names equal after removing (北京)"
        assert str(verdict.reasons[1]) == "same mobile 138****5678"


def test_same_credit_code_is_a_duplicate_whatever_the_name():
    a = Candidate(1, "甲方科技有限公司", credit_code="91350100M000100Y43")
    b = Candidate(2, "乙方贸易有限公司", credit_code="91350100m000100y43")
    [verdict] = find_duplicates([a, b], threshold=THRESHOLD)
    assert verdict.reasons == [Reason("credit_code")]


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


contact_names = st.sampled_from(["王建国", "張 偉", "张伟", "李娜", ""])
mobiles = st.sampled_from(["13812345678", "13987654321", ""])
candidates = st.builds(
    Candidate,
    id=st.integers(1, 1000),
    name=st.text(alphabet="星辰晨科技东方机械有限公司()（）北京 騰訊", min_size=1, max_size=16),
    credit_code=st.sampled_from(["", "91350100M000100Y43"]),
    contacts=st.tuples(contact_names),
    mobiles=st.tuples(mobiles),
    address=st.sampled_from(["", "北京市海淀区", "北京市 海淀区中关村"]),
)


@settings(deadline=None)
@given(candidates, candidates)
def test_score_is_symmetric(a, b):
    left, right = score(prepare(a), prepare(b)), score(prepare(b), prepare(a))
    assert left.score == right.score
    assert left.reasons == right.reasons


def test_reasons_round_trip_through_json():
    reason = Reason("similar_name", (("percent", 80),))
    assert Reason.from_json(reason.as_json()) == reason
