#!/usr/bin/python3
"""Slow clients against digits-server: SLOW connections that send a request's headers one byte
at a time (slowloris), while a normal client keeps asking GET /healthz. Prints one JSON line: how
many normal requests succeeded and their worst latency. All on 127.0.0.1, bounded in time.

    bench/server/slowloris.py PORT [SLOW=200] [SECONDS=20]
"""
import json, socket, sys, threading, time, urllib.request

port = int(sys.argv[1])
slow = int(sys.argv[2]) if len(sys.argv) > 2 else 200
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
stop = time.time() + seconds
head = b"POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: "


def slow_client():
    while time.time() < stop:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head[:20])
            for b in head[20:] + b"a" * 1000:
                if time.time() >= stop:
                    break
                s.sendall(bytes([b]))
                time.sleep(1.0)
            s.close()
        except OSError:
            time.sleep(0.2)  # refused or cut off by the server: come back, like an attacker would


threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(slow)]
for t in threads:
    t.start()
time.sleep(2)  # let the slow connections take their seats

ok, failed, worst = 0, 0, 0.0
while time.time() < stop - 1:
    t0 = time.time()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            r.read()
            ok += r.status == 200
    except OSError:
        failed += 1
    worst = max(worst, time.time() - t0)
    time.sleep(0.2)
print(json.dumps({"slow_clients": slow, "seconds": seconds, "normal_ok": ok, "normal_failed": failed,
                  "normal_worst_s": round(worst, 3)}))
