"""A writer process for the SQLite concurrency test (test_sqlite_concurrency): an import of
`count` rows in chunks of 20, or `count` customers saved one by one through the form's service.

    python -m kehu.dataquality.imports.tests.sqlite_writers import|form DB USER_PK TAG COUNT

Each writer prepares, writes `<db>.<tag>.ready` and waits for `<db>.go`, so that the three
start writing together. Every customer carries `tag-i` in its remarks and its decision maker's
title, so the test can tell that each contact, history row and ImportRecord points at the
customer it was written for. Exits non-zero on any error.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path


def _start_together(db: str, tag: str) -> None:
    Path(f"{db}.{tag}.ready").touch()
    deadline = time.monotonic() + 120
    while not Path(f"{db}.go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to start")
        time.sleep(0.01)


def main(argv: list[str]) -> None:
    role, db, user_pk, tag, count = argv
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django

    django.setup()
    from django.core.files.base import ContentFile

    from kehu.accounts.models import User
    from kehu.customers.services import customer_create
    from kehu.dataquality.imports import services
    from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row

    user = User.objects.get(pk=int(user_pk))
    digit = {"a": "5", "b": "6", "f": "7"}[tag]
    mobiles = [f"13{digit}{i:08d}" for i in range(int(count))]
    names = [f"宁波{tag}{i:04d}精工机械有限公司" for i in range(int(count))]
    if role == "import":
        services.CHUNK_SIZE = 20
        rows = [
            row(name=name, mobile=mobile, 职务=f"{tag}-{i}", 备注=f"{tag}-{i}")
            for i, (name, mobile) in enumerate(zip(names, mobiles, strict=True))
        ]
        data = csv_bytes(rows, headers=[*HEADERS, "备注"])
        job = services.import_job_create(
            by=user, file=ContentFile(data), filename=f"{tag}.csv", mode="create"
        )
        _start_together(db, tag)
        services.import_job_run(job=job)
        job.refresh_from_db()
        if (job.created_count, job.error_count) != (int(count), 0):
            raise SystemExit(f"import {tag}: {job.status} {job.message} {job.error_count} errors")
    else:
        from kehu.customers.models import Industry, Region

        industry = Industry.objects.get(code="software_it")
        region = Region.objects.get(code="beijing")
        _start_together(db, tag)
        for i, (name, mobile) in enumerate(zip(names, mobiles, strict=True)):
            customer_create(
                by=user,
                data={
                    "customer_type": "enterprise",
                    "name": name,
                    "industry": industry,
                    "scale": "medium",
                    "region": region,
                    "source": "exhibition",
                    "status": "prospect",
                    "first_contact_date": dt.date(2026, 3, 1),
                    "remarks": f"{tag}-{i}",
                },
                decision_maker={"name": "王建国", "title": f"{tag}-{i}", "mobile": mobile},
            )


if __name__ == "__main__":
    main(sys.argv[1:])
