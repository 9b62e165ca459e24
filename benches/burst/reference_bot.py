#!/usr/bin/env python3
"""The reference bot of the Matrix burst (`--bot reference`): the least a
bot can do in the bench's flow, to show what the homeserver itself allows.

It joins every invite, answers each `!upright` command with one message
(no database, no disclaimer, no reactions, 64 sends in flight), and at the
minute a member subscribed to sends that member one message. Each of those
is counted in a SQLite table shaped like the bot's `deliveries`, which is
what the bench waits on. Python's standard library only.
"""

import json
import os
import re
import sqlite3
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

HOMESERVER = os.environ["MATRIX_HOMESERVER"].rstrip("/")
SENDS_IN_FLIGHT = 64


def call(method, path, token=None, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(HOMESERVER + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


class ReferenceBot:
    def __init__(self):
        login = call(
            "POST",
            "/_matrix/client/v3/login",
            body={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": os.environ["MATRIX_USER"]},
                "password": os.environ["MATRIX_PASSWORD"],
            },
        )
        self.token = login["access_token"]
        self.user_id = login["user_id"]
        self.sends = ThreadPoolExecutor(SENDS_IN_FLIGHT)
        self.lock = threading.Lock()
        self.next_txn = 0
        self.minute_of_room = {}
        self.db = sqlite3.connect(os.environ["UPRIGHT_DATABASE"], check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS deliveries (kind TEXT, step INTEGER, state TEXT)")
        self.db.commit()

    def send(self, room, body):
        with self.lock:
            self.next_txn += 1
            txn = self.next_txn
        path = "/_matrix/client/v3/rooms/%s/send/m.room.message/r%d" % (urllib.parse.quote(room), txn)
        call("PUT", path, self.token, {"msgtype": "m.notice", "body": body})

    def open_session(self, room):
        self.send(room, "Exercise 1/5")
        with self.lock:
            self.db.execute("INSERT INTO deliveries VALUES ('exercise', 1, 'sent')")
            self.db.commit()

    def schedule(self):
        while True:
            now = datetime.now(timezone.utc).strftime("%H:%M")
            with self.lock:
                due = [room for room, minute in self.minute_of_room.items() if minute == now]
                for room in due:
                    del self.minute_of_room[room]
            for room in due:
                self.sends.submit(self.open_session, room)
            time.sleep(0.2)

    def handle(self, sync):
        rooms = sync.get("rooms", {})
        for room in rooms.get("invite", {}):
            path = "/_matrix/client/v3/rooms/%s/join" % urllib.parse.quote(room)
            self.sends.submit(call, "POST", path, self.token, {})
        for room, joined in rooms.get("join", {}).items():
            for event in joined.get("timeline", {}).get("events", []):
                if event.get("type") != "m.room.message" or event.get("sender") == self.user_id:
                    continue
                body = event.get("content", {}).get("body", "")
                if not body.startswith("!upright"):
                    continue
                minute = re.search(r"subscribe (\d\d:\d\d)", body)
                if minute:
                    with self.lock:
                        self.minute_of_room[room] = minute.group(1)
                self.sends.submit(self.send, room, "Done: " + body)

    def run(self):
        threading.Thread(target=self.schedule, daemon=True).start()
        print("Matrix is running", flush=True)
        since = None
        while True:
            query = {"timeout": "30000"}
            if since:
                query["since"] = since
            try:
                sync = call("GET", "/_matrix/client/v3/sync?" + urllib.parse.urlencode(query), self.token)
            except OSError as error:
                print("sync failed:", error, flush=True)
                time.sleep(1)
                continue
            since = sync["next_batch"]
            self.handle(sync)


if __name__ == "__main__":
    ReferenceBot().run()
