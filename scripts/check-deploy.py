"""The checks of scripts/check-deploy (which prepares the database, nginx and the settings and
passes them in run.json): starts the `seatline serve` processes as the systemd unit would,
then drives the deployment through nginx over HTTPS and prints a PASS/FAIL table. Standard
library only."""

import http.client
import http.server
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

cfg = json.load(open(sys.argv[1]))
units = json.load(open(cfg["backends"]))
WORK = cfg["work"]
ORG = cfg["org"]
OWNER = cfg["owner_token"]
OPERATOR = cfg["operator"]
PORTS = units["ports"]
TLS = ssl.create_default_context(cafile=cfg["ca"])
PROXY = f"https://127.0.0.1:{cfg['https_port']}"
results = []  # (check, ok, detail)


def record(name, ok, detail):
    results.append((name, bool(ok), detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


# ---------------------------------------------------------------- processes


class Backend:
    """One `seatline@PORT` unit: ExecStart with the EnvironmentFile and Environment= lines."""

    def __init__(self, port):
        self.port = port
        self.proc = None
        self.log = f"{WORK}/serve-{port}.log"

    def start(self):
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
        for line in units["env"] + units["unit_env"]:
            key, _, value = line.partition("=")
            env[key] = value.replace("%i", str(self.port))
        self.proc = subprocess.Popen(
            [units["bin"], *units["args"]],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),
            cwd=WORK,
        )
        with open(f"{WORK}/pids", "a") as f:
            f.write(f"{self.proc.pid}\n")

    def ready(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"seatline serve on {self.port} exited: see {self.log}\n"
                                 + open(self.log).read()[-3000:])
            try:
                if call("GET", "/readyz", backend=self.port, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"seatline serve on {self.port} not ready in {timeout} s")


# ---------------------------------------------------------------- HTTP


def connect(backend=None, timeout=40):
    if backend is None:
        return http.client.HTTPSConnection("127.0.0.1", cfg["https_port"], context=TLS, timeout=timeout)
    return http.client.HTTPConnection("127.0.0.1", backend, timeout=timeout)


def call(method, path, token=None, body=None, backend=None, headers=None, timeout=40, conn=None,
         form=None):
    """One request, through the proxy unless `backend` names a process's port."""
    own = conn is None
    conn = conn or connect(backend, timeout)
    h = dict(headers or {})
    data = None
    if token:
        h["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body)
        h["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        raw = res.read()
        return res.status, res, raw
    finally:
        if own:
            conn.close()


def jcall(*a, **k):
    status, _, raw = call(*a, **k)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw


API = f"/api/v1/orgs/{ORG}"


def head(org=ORG, token=OWNER):
    """The organization's newest event seq (the feed answers 409 cursor_ahead with it)."""
    status, body = jcall("GET", f"/api/v1/orgs/{org}/events?after=999999999", token)
    assert status == 409, (status, body)
    return int(body["error"]["details"]["head"]) if "error" in body else int(body["details"]["head"])


def events_after(after, types=None):
    items, cursor = [], after
    while True:
        q = f"{API}/events?after={cursor}&limit=500" + (f"&types={types}" if types else "")
        status, body = jcall("GET", q, OWNER)
        assert status == 200, (status, body)
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items


def provision(key, conn=None, backend=None, idem=None, answer=None):
    headers = {"Idempotency-Key": idem} if idem else None
    status, _, raw = call("POST", f"{API}/extensions/provision", OWNER, {"count": 1, "start": str(key)},
                          backend=backend, conn=conn, headers=headers)
    if answer is not None:
        answer.append(raw)
    return status


# ---------------------------------------------------------------- checks


def check_tls_and_headers():
    status, res, _ = call("GET", "/readyz")
    ok = status == 200
    c = http.client.HTTPConnection("127.0.0.1", cfg["http_port"], timeout=5)
    c.request("GET", "/ui/")
    r = c.getresponse()
    r.read()
    redirect = r.getheader("location", "")
    ok = ok and r.status == 301 and redirect.startswith("https://")
    # SCIM's base URL is built from X-Forwarded-Proto/Host: the proxy's own https://host:port.
    s, body = jcall("POST", f"{API}/scim-tokens", OWNER, {"name": "check-deploy"})
    scim = body.get("token") if isinstance(body, dict) else None
    s2, users = jcall("GET", "/scim/v2/Users?count=1", scim)
    location = users["Resources"][0]["meta"]["location"] if s2 == 200 and users.get("Resources") else ""
    want = f"https://127.0.0.1:{cfg['https_port']}/scim/v2/Users/"
    ok = ok and location.startswith(want)
    record("TLS and forwarded headers", ok,
           f"/readyz {status} over TLS, http → {r.status} {redirect}; SCIM meta.location {location or s2}")


def check_sessions():
    # The sign-in form and its submission go through the proxy (round robin: two processes);
    # the session cookie is then presented to every process directly.
    status, res, raw = call("GET", "/ui/sign-in")
    cookies = [c.split(";")[0] for c in res.headers.get_all("set-cookie") or []]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', raw)
    status, res, _ = call(
        "POST", "/ui/sign-in",
        headers={"Cookie": "; ".join(cookies)},
        form={"csrf": csrf.group(1).decode() if csrf else "", "email": cfg["owner_email"],
              "password": cfg["owner_password"]})
    set_cookies = res.headers.get_all("set-cookie") or []
    session = next((c.split(";")[0] for c in set_cookies if c.startswith("seatline_session=")), None)
    secure = all("Secure" in c for c in set_cookies if c.startswith("seatline_session="))
    if status not in (302, 303) or not session:
        record("UI session across processes", False, f"sign-in through the proxy answered {status}, no session cookie")
        return
    answers = []
    for port in PORTS:
        s, r, body = call("GET", "/ui/licenses", backend=port, headers={"Cookie": session})
        answers.append(s if s != 200 or b"Phone System" in body else "200 without the page")
    proxied = [call("GET", "/ui/licenses", headers={"Cookie": session})[0] for _ in range(2 * len(PORTS))]
    anonymous = call("GET", "/ui/licenses", backend=PORTS[-1])[0]
    ok = all(a == 200 for a in answers) and all(p == 200 for p in proxied) and secure and anonymous in (302, 303)
    record("UI session across processes", ok,
           f"signed in through the proxy (cookie Secure: {secure}); each process directly: {answers}; "
           f"{len(proxied)} through the proxy: {sorted(set(proxied))}; without the cookie: {anonymous}")


def long_poll(org, token, after, wait, out):
    t0 = time.monotonic()
    try:
        status, body = jcall("GET", f"/api/v1/orgs/{org}/events?after={after}&wait={wait}", token,
                             timeout=wait + 30)
    except OSError as e:
        status, body = str(e), None
    out.append((status, body, t0, time.monotonic()))


def start_quiet_poll():
    out = []
    after = head(cfg["quiet_org"], cfg["quiet_token"])
    t = threading.Thread(target=long_poll, args=(cfg["quiet_org"], cfg["quiet_token"], after, 30, out))
    t.start()
    return t, out


def finish_quiet_poll(t, out):
    t.join()
    status, body, t0, t1 = out[0]
    ok = status == 200 and body["items"] == [] and 29.5 <= t1 - t0 < 40
    record("long poll held 30 s through the proxy", ok,
           f"wait=30 on a quiet organization answered {status} with "
           f"{len(body['items']) if isinstance(body, dict) else body} events after {t1 - t0:.1f} s")


def check_long_poll():
    # One long poll per process (round robin hands each to the next), then one write made on
    # the first process directly: every poll, the other processes' included, wakes with it.
    after = head()
    outs, threads = [], []
    for _ in PORTS:
        t = threading.Thread(target=long_poll, args=(ORG, OWNER, after, 30, outs))
        t.start()
        threads.append(t)
        time.sleep(0.05)
    time.sleep(1.5)
    written = time.monotonic()
    status = provision(1500, backend=PORTS[0])
    for t in threads:
        t.join()
    woke = [(s, round(t1 - written, 3), b["items"][0]["seq"] if s == 200 and b["items"] else None)
            for s, b, _, t1 in outs]
    ok = status == 201 and len(woke) == len(PORTS) and all(
        s == 200 and seq == after + 1 and lag < 2 for s, lag, seq in woke)
    lags = ", ".join(f"{lag * 1000:.0f} ms" for _, lag, _ in woke)
    record("long poll woken by another process", ok,
           f"{len(PORTS)} polls through the proxy, one write on 127.0.0.1:{PORTS[0]} (seq {after + 1}): "
           f"each answered {sorted({s for s, _, _ in woke})} after {lags}")


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = {}
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.lock:
            wid = self.headers.get("webhook-id")
            self.seen[wid] = self.seen.get(wid, 0) + 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class ReceiverServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a sender killed mid-connection (the kill check) resets it: not the receiver's concern


def check_webhooks(k=60):
    rx = ReceiverServer(("127.0.0.1", cfg["hook_port"]), Receiver)
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    status, hook = jcall("POST", f"{API}/webhooks", OWNER,
                         {"url": f"http://127.0.0.1:{cfg['hook_port']}/hook", "types": ["extension.*"]})
    if status != 201:
        raise RuntimeError(f"webhook create answered {status} {hook}")
    after = head()
    conn = connect()
    codes = [provision(2000 + i, conn=conn) for i in range(k)]
    conn.close()
    expected = {e["id"] for e in events_after(after, "extension.*")}
    end = time.monotonic() + 60
    while time.monotonic() < end and not expected <= set(Receiver.seen):
        time.sleep(0.2)
    time.sleep(3)  # several worker rounds of every process: a second attempt would show now
    with Receiver.lock:
        seen = dict(Receiver.seen)
    twice = {i: n for i, n in seen.items() if n > 1}
    missing = expected - set(seen)
    _, deliveries = jcall("GET", f"{API}/webhooks/{hook['id']}/deliveries?limit=500", OWNER)
    ok = codes == [201] * k and len(expected) == k and not missing and not twice and set(seen) == expected
    record("each webhook attempt once", ok,
           f"{k} writes through the proxy ({len(PORTS)} processes): {len(expected)} events, "
           f"{len(seen)} received, {len(missing)} missing, {len(twice)} more than once")
    return hook["id"], after  # the receiver keeps answering: the kill check's writes are delivered too


def check_deliveries_after_kill(after):
    """Deliveries are rows: every event of the kill check reaches the receiver, at least once
    (an attempt cut by the SIGKILL is made again by another process, under the same id)."""
    expected = {e["id"] for e in events_after(after, "extension.*")}
    end = time.monotonic() + 60
    while time.monotonic() < end and not expected <= set(Receiver.seen):
        time.sleep(0.2)
    with Receiver.lock:
        seen = dict(Receiver.seen)
    missing = expected - set(seen)
    again = sum(1 for i in expected if seen.get(i, 0) > 1)
    record("webhooks across the kill", not missing,
           f"{len(expected)} extension events since the webhook was made: {len(missing)} never delivered, "
           f"{again} delivered more than once (at least once: a receiver drops repeats by webhook-id)")


def check_lifecycle():
    codes = ["license_center", "call_recording", "team_chat", "device_web_rtc"]
    for code in codes:
        s = jcall("PUT", f"{API}/subscriptions/{code}", OPERATOR, {"quantity": 10})[0]
        assert s == 200, (code, s)
    after = head()
    for code in codes:  # billing: expired; with no grace each is due for suspension at once
        s, b = jcall("PUT", f"{API}/subscriptions/{code}", OPERATOR, {"state": "expired"})
        assert s == 200, (code, s, b)
    end = time.monotonic() + 20
    states = {}
    while time.monotonic() < end:
        _, lic = jcall("GET", f"{API}/licenses", OWNER)
        items = lic["items"] if isinstance(lic, dict) else lic
        states = {i["code"]: i["state"] for i in items if i["code"] in codes}
        if all(v == "suspended" for v in states.values()) and len(states) == len(codes):
            break
        time.sleep(0.2)
    time.sleep(3)  # every process ticks (1 s) a few more times
    events = [e for e in events_after(after) if e["type"] == "subscription.updated"
              and e["actor"]["kind"] == "system"]
    per_code = {c: sum(e["subject"] == f"subscription:{c}" for e in events) for c in codes}
    _, audit = jcall("GET", f"{API}/audit?action=subscription.suspend&limit=100", OWNER)
    audited = {c: sum(a.get("target") == f"subscription:{c}" or a.get("subject") == f"subscription:{c}"
                      or c in json.dumps(a) for a in audit["items"]) for c in codes}
    ok = (all(v == "suspended" for v in states.values()) and len(states) == len(codes)
          and all(n == 1 for n in per_code.values()) and all(n == 1 for n in audited.values()))
    record("each scheduled transition once", ok,
           f"{len(codes)} subscriptions expired by billing, suspended by the scheduler of "
           f"{len(PORTS)} processes ticking every second: states {sorted(set(states.values()))}; "
           f"system subscription.updated events per code {sorted(set(per_code.values()))}, "
           f"subscription.suspend audit entries per code {sorted(set(audited.values()))}")


def check_kill(backends, threads=4):
    """Clients loop through the proxy (GET licenses, POST provision with an Idempotency-Key)
    while one process is killed (SIGKILL) and restarted, then another restarted (SIGTERM)."""
    stop = threading.Event()
    inflight = [None] * threads  # per client: the method of the request in flight
    log = []  # (t, method, status, first_try)
    lock = threading.Lock()
    next_key = iter(range(10000, 99999))
    keys_done = []
    repeats = []  # (key, status, body) of each repeat (same Idempotency-Key)
    keys_lost = []  # applied, the answer lost with the killed process (idempotent_request_applied)

    def client(i):
        conn = None
        n = 0
        while not stop.is_set():
            conn = conn or connect(timeout=30)
            n += 1
            if n % 2:
                try:
                    inflight[i] = "GET"
                    status = call("GET", f"{API}/licenses", OWNER, conn=conn)[0]
                except (OSError, http.client.HTTPException) as e:
                    status, conn = type(e).__name__, None
                inflight[i] = None
                with lock:
                    log.append((time.monotonic(), "GET", status, True))
                continue
            with lock:
                key = next(next_key)
            idem = str(uuid.uuid4())
            for attempt in range(20):
                answer = []
                try:
                    inflight[i] = "POST"
                    status = provision(key, conn=conn, idem=idem, answer=answer)
                except (OSError, http.client.HTTPException) as e:
                    status, conn = type(e).__name__, None
                    conn = connect(timeout=30)
                inflight[i] = None
                with lock:
                    log.append((time.monotonic(), "POST", status, attempt == 0))
                    if attempt:
                        repeats.append((key, status, answer[0][:200] if answer else b""))
                if status == 201:
                    keys_done.append(key)
                    break
                if status == 409 and answer and b"idempotent_request_applied" in answer[0]:
                    # Its write committed on the killed process, which died before answering:
                    # the repeat is told so and writes nothing.
                    keys_lost.append(key)
                    break
                time.sleep(0.2)  # the same request again, with the same Idempotency-Key

    clients = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    t0 = time.monotonic()
    for c in clients:
        c.start()
    time.sleep(2)
    killed = backends[-1]
    at_kill = [m for m in inflight if m]
    killed.proc.send_signal(signal.SIGKILL)
    kill_t = time.monotonic()
    killed.proc.wait()
    time.sleep(1.5)
    killed.start()
    killed.ready()
    time.sleep(1.5)
    termed = backends[0]
    at_term = [m for m in inflight if m]
    termed.proc.send_signal(signal.SIGTERM)
    term_t = time.monotonic()
    code = termed.proc.wait(timeout=30)
    term_secs = time.monotonic() - term_t
    termed.start()
    termed.ready()
    time.sleep(2)
    stop.set()
    for c in clients:
        c.join()
    total = len(log)
    failed = [(round(t - t0, 2), m, s) for t, m, s, first in log if s not in (200, 201) and first]
    get_failed = [f for f in failed if f[1] == "GET"]
    post_failed = [f for f in failed if f[1] == "POST"]
    # Every key POSTed exactly once (a repeat with the same Idempotency-Key is the same request).
    have, cursor = set(), "9999"
    while cursor:
        _, page = jcall("GET", f"{API}/extensions?limit=1000&cursor={cursor}", OWNER)
        have |= {int(e["key"]) for e in page["items"] if int(e["key"]) >= 10000}
        cursor = page.get("next_cursor") if page["items"] else None
    drain = drain_message(termed)
    ok = not get_failed and len(post_failed) <= len(at_kill) + len(at_term) and code == 0
    record("serve killed mid-traffic", ok,
           f"{total} requests by {threads} clients; SIGKILL of 127.0.0.1:{killed.port} with "
           f"{len(at_kill)} in flight, SIGTERM of 127.0.0.1:{termed.port} with {len(at_term)} in flight "
           f"(exit {code} after {term_secs:.1f} s: {drain}); failed at the first try: "
           f"{len(get_failed)} GET, {len(post_failed)} POST {post_failed}")
    # A POST that failed in flight is repeated with its Idempotency-Key until it is settled:
    # the repeat answers what the first did (its 201), or, when the first committed on a
    # process killed before it answered, 409 idempotent_request_applied — never the write twice.
    repeated = {k for k, _, _ in repeats}
    unsettled = sorted(repeated - set(keys_done) - set(keys_lost))
    ok = have == set(keys_done) | set(keys_lost) and not unsettled
    record("POST repeated with its Idempotency-Key", ok,
           f"{len(keys_done)} POSTs answered 201, {len(keys_lost)} applied with the answer lost "
           f"(409 idempotent_request_applied), {len(have)} extensions made; "
           f"{len(repeated)} POSTs repeated, {len(unsettled)} of them never settled"
           + (f": {[(k, s, b.decode(errors='replace')) for k, s, b in repeats if k in unsettled][:2]}"
              if unsettled else ""))


def drain_message(backend):
    """What the process said about its drain at SIGTERM (the last such log line)."""
    said = "no drain message logged"
    for line in open(backend.log, errors="replace"):
        if line.startswith("{") and ("open requests" in line or "were cut" in line):
            try:
                said = json.loads(line)["fields"]["message"]
            except (ValueError, KeyError):
                pass
    return said


def check_metrics():
    answers = []
    for port in PORTS:
        s, _, body = call("GET", "/metrics", OPERATOR, backend=port)
        answers.append(s == 200 and b"seatline_http_requests_total" in body and b"seatline_seats_in_use" in body)
    proxied = call("GET", "/metrics", OPERATOR)[0]
    record("metrics per process", all(answers) and proxied == 404,
           f"/metrics with the operator token on each process: {answers}; through the proxy: {proxied}")


def check_logs():
    json_lines, errors, bad = 0, [], 0
    logged = set()  # request ids of the processes' "finished processing request" lines
    for port in PORTS:
        for line in open(f"{WORK}/serve-{port}.log", errors="replace"):
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
                json_lines += 1
                if entry.get("level") == "ERROR":
                    errors.append(line.strip()[:300])
                if entry.get("fields", {}).get("message") == "finished processing request":
                    logged.add(entry.get("span", {}).get("request_id"))
            except ValueError:
                bad += 1
    # Every request nginx passed on and got an answer to carries the id nginx logged for it.
    proxied = []
    for line in open(cfg["nginx_access_log"], errors="replace"):
        m = re.search(r"upstream_status=(\d{3}) .*request_id=(\S+)$", line.strip())
        request = line.split('"')[1]
        # Not a 502 nginx made for a process that died.
        if (m and "," not in line.split("upstream_status=")[1].split()[0]
                and m.group(1) != "502"):
            proxied.append((m.group(2), request))
    unmatched = [(i, r) for i, r in proxied if i not in logged]
    record("JSON logs, no errors", json_lines > 0 and not bad and not errors and proxied and not unmatched,
           f"{json_lines} JSON log lines from {len(PORTS)} processes, {bad} unparsable, {len(errors)} at ERROR"
           + (f": {errors[:3]}" if errors else "")
           + f"; {len(proxied) - len(unmatched)} of the {len(proxied)} request ids in nginx's access log "
           "found on the processes' request lines"
           + (f"; not found: {unmatched[:3]}" if unmatched else ""))


def main():
    started = time.monotonic()
    backends = [Backend(p) for p in PORTS]
    for b in backends:  # all at once, as `systemctl start seatline@A seatline@B …` does
        b.start()
    for b in backends:
        b.ready()
    print(f"{len(backends)} processes ready in {time.monotonic() - started:.1f} s", flush=True)
    steps = [check_tls_and_headers, check_sessions]
    quiet = None
    try:
        for step in steps:
            step()
        quiet = start_quiet_poll()
        check_long_poll()
        _, hooked_after = check_webhooks()
        check_lifecycle()
        finish_quiet_poll(*quiet)
        check_kill(backends)
        check_deliveries_after_kill(hooked_after)
        check_metrics()
        check_logs()
    except Exception as e:  # a check that could not even run is a failure with its reason
        import traceback
        traceback.print_exc()
        record("check-deploy ran to the end", False, f"{type(e).__name__}: {e}")
    width = max(len(n) for n, _, _ in results)
    print("\n" + "-" * (width + 9))
    for name, ok, _ in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print("-" * (width + 9))
    failed = [n for n, ok, _ in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
