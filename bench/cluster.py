"""Replicated toex on a 3-node NATS JetStream cluster, on this machine's loopback:
latency from a write on one replica to a search hit on the other, the write rate through
the index log, a new replica's catch-up rate, and transcription and OCR throughput with 1
and 2 workers. Prints figures; asserts nothing.

    python3 bench/cluster.py TOEX_BINARY WORK_DIR DOCS RECORDINGS NEO4J_BOLT_URI
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

toex, work, docs, recordings = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
neo4j = sys.argv[5]
token = os.environ["BENCH_TOKEN"]
procs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(args, log, env=None):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
                         env={**os.environ, **(env or {})})
    procs.append(p)
    return p


def nats_cluster():
    ports = [(free_port(), free_port()) for _ in range(3)]
    urls = []
    for i, (port, route) in enumerate(ports):
        routes = ", ".join(f'"nats-route://127.0.0.1:{r}"' for _, r in ports if r != route)
        conf = f"{work}/n{i}.conf"
        with open(conf, "w") as f:
            f.write(f"server_name: n{i}\nlisten: 127.0.0.1:{port}\nmax_payload: 8MB\n"
                    f'jetstream {{ store_dir: "{work}/n{i}", max_memory_store: 64MB, max_file_store: 4GB }}\n'
                    f"cluster {{ name: toex, listen: 127.0.0.1:{route}, routes: [{routes}] }}\n")
        spawn(["nats-server", "-c", conf], f"{work}/n{i}.log")
        urls.append(f"nats://127.0.0.1:{port}")
    return ",".join(urls)


def replica(name, nats):
    port = free_port()
    spawn([toex, "serve", "--listen", f"127.0.0.1:{port}", "--neo4j-uri", neo4j,
           "--index-path", f"{work}/{name}/index", "--nats", nats],
          f"{work}/{name}.log",
          {"TOEX_NATS_REPLICA": name, "TOEX_NATS_STREAM_REPLICAS": "3",
           "TOEX_INDEX_JOBS": f"{work}/{name}/jobs", "TOEX_AUDIT_PATH": f"{work}/{name}/audit.log",
           "TOEX_AUDIT_KEY_FILE": f"{work}/{name}/audit.key", "TOEX_LOG_LEVEL": "warn",
           "TOEX_MODELS_EMBEDDING": f"{work}/none"})
    url = f"http://127.0.0.1:{port}"
    wait(lambda: health(url) is not None, 120, f"{name} did not start")
    return url


def request(url, path, body=None, headers=None):
    req = urllib.request.Request(url + path, data=body, headers={
        "Authorization": f"Bearer {token}", "X-Toex-Purpose": "BENCH cluster", **(headers or {})})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def health(url):
    try:
        return request(url, "/health")
    except OSError:
        return None


def gql(url, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    return request(url, "/graphql", body, {"Content-Type": "application/json"})


def wait(check, seconds, why):
    deadline = time.time() + seconds
    while not check():
        if time.time() > deadline:
            sys.exit(why)
        time.sleep(0.005)


INGEST = ("mutation($t: String!) { ingestText(input: {title: \"bench\", text: $t, force: \"WYP\"}) { id } }")


def ingest(url, text):
    r = gql(url, INGEST, {"t": text})
    assert r.get("data") and r["data"]["ingestText"], r
    return r["data"]["ingestText"]["id"]


def hits(url, word):
    r = gql(url, "query($q: String!) { search(queryText: $q) { total } }", {"q": word})
    return r["data"]["search"]["total"]


def word(i, tag):
    """A word of its own: ten letters from a digest, so no two are within the fuzzy
    clauses' edit distance of each other."""
    import hashlib
    digest = hashlib.sha256(f"{tag}{i}".encode()).digest()
    return "bench" + "".join(chr(ord("a") + b % 26) for b in digest[:10])


def caught_up(url, documents):
    h = health(url)
    return (h is not None and h["replication"]["lag"] == 0
            and h["index"]["documents"] >= documents)


os.makedirs(work, exist_ok=True)
try:
    nats = nats_cluster()
    a, b = replica("a", nats), replica("b", nats)

    print(f"== write on replica a, search hit on replica b (30 writes, one at a time)")
    acked, visible = [], []
    for i in range(30):
        w = word(i, "lat")
        t0 = time.perf_counter()
        ingest(a, f"latency probe {w}")
        t1 = time.perf_counter()
        wait(lambda: hits(b, w) == 1, 30,
             f"write {i} never searchable on b: {hits(b, w)} hits, {health(b)}")
        t2 = time.perf_counter()
        acked.append((t1 - t0) * 1000)
        visible.append((t2 - t0) * 1000)
    print(f"write answered on a (published, applied on a): p50 {statistics.median(acked):.1f} ms, max {max(acked):.1f} ms")
    print(f"searchable on b after the write began:         p50 {statistics.median(visible):.1f} ms, max {max(visible):.1f} ms")

    print(f"\n== {docs} documents written through the log (8 clients on replica a)")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: ingest(a, f"statement {i} about {word(i, 'bulk')} and the blue van"), range(docs)))
    took = time.perf_counter() - t0
    total = docs + 30
    wait(lambda: caught_up(b, total), 600, "b never caught up")
    print(f"write rate through the log: {docs / took:.0f} documents/s ({took:.1f} s); b caught up")

    print(f"\n== a new replica c joins and catches up from the stream ({total} documents)")
    t0 = time.perf_counter()
    c = replica("c", nats)
    wait(lambda: caught_up(c, total), 900, "c never caught up")
    took = time.perf_counter() - t0
    print(f"catch-up: {total / took:.0f} documents/s ({took:.1f} s from start, process start included)")
    assert hits(c, word(7, "bulk")) == 1

    def through_workers(task, files, env, what):
        """Uploads `files` to replica a (one job per upload under the body limit) with 1,
        then 2, workers of `task`: the time until every job is done, and the ratio."""
        rates = {}
        for n in (1, 2):
            workers = [spawn([toex, "worker", "--tasks", task, "--nats", nats], f"{work}/{task}{n}{k}.log",
                             {**env, "TOEX_NATS_STREAM_REPLICAS": "3"}) for k in range(n)]
            wait(lambda: all("taking work" in open(f"{work}/{task}{n}{k}.log").read() for k in range(n)), 120,
                 "workers did not start")
            job_dir = f"{work}/{task}-job{n}"
            os.makedirs(job_dir)
            for i, f in enumerate(files):
                # Different names per run (a new job), the same content.
                shutil.copy(f, f"{job_dir}/{n}-{i}-{os.path.basename(f)}")
            # One job per upload under the server's 16 MiB body limit (scans are ~5.6 MB).
            uploads, size = [[]], 0
            for f in sorted(os.listdir(job_dir)):
                bytes_ = os.path.getsize(f"{job_dir}/{f}")
                if uploads[-1] and size + bytes_ > 15 * 1024 * 1024:
                    uploads.append([])
                    size = 0
                uploads[-1].append(f)
                size += bytes_
            t0 = time.perf_counter()
            job_ids = []
            for names in uploads:
                operations = json.dumps({"query": "mutation($files: [Upload!]!) { ingestFiles(files: $files, force: \"WYP\") { id } }",
                                         "variables": {"files": [None] * len(names)}})
                mapping = json.dumps({str(i): [f"variables.files.{i}"] for i in range(len(names))})
                curl = ["curl", "-fsS", "-H", f"Authorization: Bearer {token}", "-H", "X-Toex-Purpose: BENCH cluster",
                        "-F", f"operations={operations}", "-F", f"map={mapping}"]
                for i, f in enumerate(names):
                    curl += ["-F", f"{i}=@{job_dir}/{f}"]
                job = json.loads(subprocess.run(curl + [f"{a}/graphql"], capture_output=True, check=True).stdout)
                job_ids.append(job["data"]["ingestFiles"]["id"])
            query = "query($id: String!) { ingestJob(id: $id) { state done failed } }"
            for job_id in job_ids:
                wait(lambda: gql(a, query, {"id": job_id})["data"]["ingestJob"]["state"] == "DONE", 900, "job never done")
            took = time.perf_counter() - t0
            states = [gql(a, query, {"id": j})["data"]["ingestJob"] for j in job_ids]
            done, failed = sum(s["done"] for s in states), sum(s["failed"] for s in states)
            rates[n] = len(files) / took
            print(f"{n} worker(s): {took:.1f} s, {rates[n]:.2f} {what}/s ({done} done, {failed} failed, {len(job_ids)} job(s))")
            for p in workers:
                p.kill()
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (both on this machine's 2 cores)")

    model = os.environ.get("BENCH_WHISPER", f"{os.getcwd()}/.toex/models/whisper-tiny.en")
    clips = tempfile.mkdtemp(dir=work)
    files = []
    for i in range(recordings):
        path = f"{clips}/call{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-w", path,
                        f"Call {i}. The blue van was parked behind the chip shop on Friday. "
                        f"Bring the money to the usual place at nine and do not be late."], check=True)
        files.append(path)
    print(f"\n== {recordings} recordings ({os.path.basename(model)}, greedy) transcribed by workers")
    through_workers("transcribe", files, {"TOEX_TRANSCRIPTION_MODEL": model, "TOEX_TRANSCRIPTION_BEAM": "1"},
                    "recordings")

    # Scans typeset and rendered at 300 dpi by the reference generator (the test venv).
    python = os.environ.get("REFERENCE_PYTHON", f"{os.getcwd()}/.toex/venv/bin/python")
    if os.path.exists(python):
        made = tempfile.mkdtemp(dir=work)
        subprocess.run([python, "tests/reference/documents.py", made], check=True, capture_output=True)
        scans = [f"{made}/{n}" for n in ("letter.png", "bilingual.png", "screenshot.png")] * (recordings // 3 + 1)
        scans = scans[:recordings]
        print(f"\n== {len(scans)} scans (English, bilingual, Arabic) read by OCR workers")
        through_workers("ocr", scans, {}, "scans")
    else:
        print(f"\n(no {python}: scripts/setup.sh --test makes it; the OCR part is left out)")
finally:
    for p in procs:
        p.kill()
