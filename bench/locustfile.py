"""Mixed read/write traffic for the HTTP load test (bench/load_test.py starts it).

Each simulated user signs in once as one of the generated sales reps or department heads
(bench_rep_NNN, bench_head_*; `kehu generate`), then loops over what a sales team does all
day: the customer list (plain, filtered, searched, sorted, paged), the 360 page and its
timeline, the API list, and logging an interaction (the write).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("KEHU_DEMO_PASSWORD", "Kehu-Demo-2026")
USERS = os.environ.get("KEHU_LOAD_USERS", "").split(",")
SEARCHES = ["恒瑞", "科技有限公司", "hengrui", "szhr", "精密机械", "8888", "华盛"]
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/"')


class SalesUser(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        username = random.choice([u for u in USERS if u]) if any(USERS) else "bench_rep_001"
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        self.customers: list[str] = []

    def _remember(self, response) -> None:
        found = CUSTOMER_LINK.findall(response.text or "")
        if found:
            self.customers = found[:25]

    @task(8)
    def customer_list(self) -> None:
        self._remember(self.client.get("/customers/", name="list"))

    @task(4)
    def filtered_list(self) -> None:
        params = random.choice(
            [
                {"status": "interested"},
                {"status": "customer", "budget_min": "100000"},
                {"scale": "large", "sort": "-annual_budget"},
                {"sort": "name", "page": str(random.randint(2, 40))},
            ]
        )
        self._remember(self.client.get("/customers/", params=params, name="list filtered"))

    @task(4)
    def search(self) -> None:
        self.client.get("/customers/", params={"q": random.choice(SEARCHES)}, name="search")

    @task(4)
    def customer_360(self) -> None:
        if not self.customers:
            return self.customer_list()
        pk = random.choice(self.customers)
        self.client.get(f"/customers/{pk}/", name="360 page")
        self.client.get(f"/interactions/customers/{pk}/timeline/", name="360 timeline")

    @task(3)
    def api_list(self) -> None:
        self.client.get("/api/v1/customers/", params={"page_size": 50}, name="api list")

    @task(2)
    def log_interaction(self) -> None:
        if not self.customers:
            return self.customer_list()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.client.post(
            "/api/v1/interactions/",
            json={
                "customer": int(random.choice(self.customers)),
                "occurred_at": now.isoformat(),
                "method": "phone",
                "topic": "电话回访",
                "summary": "压测：客户对方案反馈积极。",
                "feedback": "interested",
            },
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")},
            name="api log interaction (write)",
        )
