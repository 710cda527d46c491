"""A write after an unchanged, complete dry run reuses its verdicts: the rows it passed skip the
model's field validation, and everything built from them is what full validation builds."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.customers.models import Contact, Customer, Industry
from kehu.customers.tests.factories import next_mobile
from kehu.dataquality.imports.models import ImportStatus
from kehu.dataquality.imports.rows import RowChecker
from kehu.dataquality.imports.services import import_job_validate
from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row
from kehu.dataquality.imports.tests.test_services import errors_of, run, upload

pytestmark = pytest.mark.django_db


def _count_full_cleans(monkeypatch):
    calls = {"customer": 0, "contact": 0}
    for name, model in (("customer", Customer), ("contact", Contact)):
        original = model.full_clean

        def counting(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(model, "full_clean", counting)
    return calls


def test_write_after_dry_run_skips_field_validation_of_passed_rows(owner, monkeypatch):
    job = upload(owner, csv_bytes([row(), row(name="宁波海曙精工机械有限公司"), row(mobile="123")]))
    import_job_validate(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    assert job.checked_fingerprint
    calls = _count_full_cleans(monkeypatch)

    job = run(job)

    assert (job.created_count, job.error_count) == (2, 1)
    assert calls == {"customer": 1, "contact": 1}  # only the row the dry run refused
    assert list(errors_of(job)) == [4]
    assert job.checked_fingerprint == ""


def test_write_without_dry_run_validates_every_row(owner, monkeypatch):
    job = upload(owner, csv_bytes([row(), row(name="宁波海曙精工机械有限公司")]))
    calls = _count_full_cleans(monkeypatch)

    job = run(job)

    assert job.created_count == 2
    assert calls == {"customer": 2, "contact": 2}


def test_lookup_changed_after_dry_run_validates_again_and_refuses(owner):
    job = upload(owner, csv_bytes([row(), row(name="宁波海曙精工机械有限公司", 行业="")]))
    import_job_validate(job=job)
    job.refresh_from_db()
    assert job.error_count == 0
    Industry.objects.filter(name_zh="软件和信息技术服务业").update(is_active=False)

    job = run(job)

    assert (job.created_count, job.error_count) == (1, 1)
    assert list(errors_of(job)) == [2]


def test_duplicate_written_after_dry_run_is_still_refused(owner):
    mobile = next_mobile()
    job = upload(owner, csv_bytes([row(mobile=mobile)]))
    import_job_validate(job=job)
    other = upload(owner, csv_bytes([row(name="宁波海曙精工机械有限公司", mobile=mobile)]))
    assert run(other).created_count == 1

    job = run(job)

    assert (job.created_count, job.error_count) == (0, 1)


def _built(result):
    """Everything the write takes from a checked row."""
    customer = {f.attname: getattr(result.customer, f.attname) for f in Customer._meta.fields}
    contact = {f.attname: getattr(result.contact, f.attname) for f in Contact._meta.fields}
    return customer, contact


NAMES = [
    "杭州云栖数据科技有限公司",
    " 宁波海曙精工机械有限公司 ",
    "张三",
    "",
    "有限公司",
    "A" * 300,
]
TYPES = ["企业", "个人", "企业客户", "", "外星"]
CODES = ["", "91330106MA2B0XXXX1", "91350100M000100Y43", "91350100m000100y43 ", "123"]
DATES = ["2026-03-01", "2099-01-01", "2026/3/1", "昨天", ""]
MOBILES = [None, "123", "+86 138 0013 8000", "13800138000", "1380013800", "", "abc"]
TITLES = ["总经理", "", "X" * 200]
CITIES = ["杭州市", "", "C" * 200]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "客户名称": st.sampled_from(NAMES),
                "客户类型": st.sampled_from(TYPES),
                "统一社会信用代码": st.sampled_from(CODES),
                "首次接触日期": st.sampled_from(DATES),
                "手机": st.sampled_from(MOBILES),
                "职务": st.sampled_from(TITLES),
                "城市": st.sampled_from(CITIES),
                "联系人": st.sampled_from(["李明", "", "L" * 100]),
            }
        ),
        min_size=1,
        max_size=6,
    )
)
def test_reused_verdict_builds_what_full_validation_builds(owner, cells):
    """Property: for any rows, good or bad, a row full validation passes is built identically
    without it, and gets the same (no) errors; the rows it refuses are never reused."""
    rows = [row(**{k: v for k, v in c.items() if v is not None}) for c in cells]
    data = csv_bytes(rows)
    lines = data.decode().splitlines()[1:]
    numbered = [(n, line.split(",")) for n, line in enumerate(lines, start=2)]
    # csv.reader would also do; the cells above contain no commas or quotes.
    mapping = {h: k for h, k in upload(owner, data).mapping.items()}

    def check(passed=frozenset()):
        checker = RowChecker(by=owner, mode="create", headers=HEADERS, mapping=mapping)
        return checker.check_chunk(numbered, passed=passed)

    full = check()
    passed = frozenset(r.number for r in full if r.ok)
    reused = check(passed)

    for before, after in zip(full, reused, strict=True):
        if before.ok:
            assert after.errors == {}
            assert _built(after) == _built(before)
        else:
            assert after.errors == before.errors
