#!/usr/bin/env python3
"""Writes cluster5.jsonl: a small, realistic mabeam trace for the viewer's tests and docs.

Five nodes, 40 s: n1 leads term 1; at 10 s a partition splits {n1,n2} from {n3,n4,n5};
the minority turns read-only and the majority elects n3 (term 2); n4 crashes at 12 s and
restarts at 14 s; the partition heals at 20 s; n5 is paused from 26 s to 29 s. Probes,
acks and gossip flow all along (cut links drop them), a variable `x` is written and
replicated, and agents are spawned, migrated and failed over. Deterministic (seeded).

Run: python3 make_sample_trace.py > cluster5.jsonl
     python3 make_sample_trace.py 24 > /tmp/cluster24.jsonl   (the same story on 24 nodes)
"""
import json
import random
import sys

S = 1_000_000
MS = 1_000
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5  # cluster size (>= 5)
NODES = ["n%d" % (i + 1) for i in range(N)]
rng = random.Random(7)
events = []  # (t, seq, dict)


def emit(t, node, ev, **fields):
    d = {"t": int(t), "node": node, "ev": ev}
    d.update(fields)
    events.append((int(t), len(events), d))


PARTITION = (10 * S, 20 * S)
GROUPS = [NODES[: 2 * N // 5], NODES[2 * N // 5:]]
LEADER2, CRASHED, PAUSED = GROUPS[1][0], GROUPS[1][1], GROUPS[1][2]  # n3, n4, n5 on 5 nodes
CRASH = (12 * S, 14 * S)  # CRASHED
PAUSE = (26 * S, 29 * S)  # PAUSED
END = 40 * S


def side(n):
    return 0 if n in GROUPS[0] else 1


def cut(a, b, t):
    return PARTITION[0] <= t < PARTITION[1] and side(a) != side(b)


def alive(n, t):
    if n == CRASHED and CRASH[0] <= t < CRASH[1]:
        return False
    if n == PAUSED and PAUSE[0] <= t < PAUSE[1]:
        return False
    return True


def latency():
    return rng.randint(1 * MS, 5 * MS)


msg_id = 0


def message(t, a, b, typ, size):
    """One message a->b at t: a send and a receive, or a drop."""
    global msg_id
    msg_id += 1
    if cut(a, b, t):
        emit(t, a, "msg_drop", to=b, type=typ, id=msg_id, reason="partition")
        return None
    emit(t, a, "msg_send", to=b, type=typ, bytes=size, id=msg_id)
    arrive = t + latency()
    if alive(b, arrive):
        emit(arrive, b, "msg_recv", **{"from": a}, type=typ, id=msg_id)
        return arrive
    return None


for i, n in enumerate(NODES):
    emit(i * 20 * MS, n, "node_start")
    emit(i * 20 * MS + 1, n, "member", subject=n, state="joining", incarnation=0)
for n in NODES:
    for m in NODES:
        emit(400 * MS + NODES.index(m) * 10 * MS + NODES.index(n), n, "member", subject=m, state="active", incarnation=0)
emit(1200 * MS, "n1", "leader", term=1)

# Probes (ping/ack) every 200 ms round-robin, gossip every 500 ms.
for step in range(int(END / (200 * MS))):
    t0 = step * 200 * MS
    for i, n in enumerate(NODES):
        t = t0 + i * 7 * MS + rng.randint(0, 3 * MS)
        if not alive(n, t):
            continue
        target = NODES[(i + 1 + step % 4) % N]
        got = message(t, n, target, "ping", 64)
        if got is not None:
            message(got + 200, target, n, "ack", 64)
        if step % 5 == i % 5 or step % 5 == (i + 2) % 5:
            peer = NODES[rng.randrange(N)]
            if peer != n:
                message(t + 50 * MS, n, peer, "gossip", rng.randint(200, 900))

# The partition and what each side concludes about the other.
emit(PARTITION[0], "sim", "partition", groups=GROUPS)
for obs in NODES:
    for subj in NODES:
        if side(obs) != side(subj):
            emit(PARTITION[0] + 600 * MS + NODES.index(obs), obs, "member", subject=subj, state="suspect", incarnation=0)
            emit(PARTITION[0] + 1600 * MS + NODES.index(obs), obs, "member", subject=subj, state="down", incarnation=0)
for i, n in enumerate(GROUPS[0]):
    emit(PARTITION[0] + 800 * MS + i * 10 * MS, n, "mode", mode="readonly")
emit(PARTITION[0] + 1500 * MS, LEADER2, "leader", term=2)
emit(PARTITION[1], "sim", "heal")
for obs in NODES:
    for subj in NODES:
        if side(obs) != side(subj):
            emit(PARTITION[1] + 700 * MS + NODES.index(obs), obs, "member", subject=subj, state="active", incarnation=1)
for i, n in enumerate(GROUPS[0]):
    emit(PARTITION[1] + 800 * MS + i * 5 * MS, n, "mode", mode="normal")

# n4 crashes and restarts inside the partition: only its side (n3, n5) can notice.
emit(CRASH[0], CRASHED, "node_crash")
for obs in [n for n in GROUPS[1] if n != CRASHED]:
    emit(CRASH[0] + 600 * MS, obs, "member", subject=CRASHED, state="suspect", incarnation=0)
    emit(CRASH[0] + 1600 * MS, obs, "member", subject=CRASHED, state="down", incarnation=0)
emit(CRASH[1], CRASHED, "node_restart")
emit(CRASH[1] + 1, CRASHED, "member", subject=CRASHED, state="joining", incarnation=1)
for subj in NODES:
    if subj != CRASHED:
        state = "down" if side(subj) == 0 else "active"
        emit(CRASH[1] + 300 * MS + NODES.index(subj), CRASHED, "member", subject=subj, state=state, incarnation=0)
emit(CRASH[1] + 350 * MS, CRASHED, "member", subject=CRASHED, state="active", incarnation=1)
for obs in [n for n in GROUPS[1] if n != CRASHED]:
    emit(CRASH[1] + 500 * MS, obs, "member", subject=CRASHED, state="active", incarnation=1)

# n5 paused: the others suspect it, then it answers again.
emit(PAUSE[0], PAUSED, "node_pause")
for obs in [n for n in NODES if n != PAUSED]:
    emit(PAUSE[0] + 700 * MS + NODES.index(obs), obs, "member", subject=PAUSED, state="suspect", incarnation=1)
emit(PAUSE[1], PAUSED, "node_resume")
for obs in [n for n in NODES if n != PAUSED]:
    emit(PAUSE[1] + 300 * MS + NODES.index(obs), obs, "member", subject=PAUSED, state="active", incarnation=2)

# Variable x: writes at 5/s, replicated to every reachable live replica.
value = 0
replica = {n: 0 for n in NODES}
for k in range(int(30 * S / (200 * MS))):
    t = 1 * S + k * 200 * MS
    w = NODES[k % N]
    if not alive(w, t):
        continue
    readonly = PARTITION[0] + 800 * MS <= t < PARTITION[1] + 800 * MS and side(w) == 0
    if readonly:
        emit(t, w, "var_write", var="x", value=value + 1, op="set", ok=False, error="readonly")
        continue
    value += 1
    emit(t, w, "var_write", var="x", value=value, op="set", ok=True)
    for r in NODES:
        if r != w and alive(r, t) and not cut(w, r, t):
            emit(t + latency() + 2 * MS, r, "var_read", var="x", value=value, op="replicate", ok=True)
# Heal: the anti-entropy merge brings the minority up to date.
last = {}
for t, _, d in sorted(events, key=lambda e: (e[0], e[1])):
    if d["ev"] in ("var_write", "var_read") and d.get("ok") and t < PARTITION[1] + 900 * MS:
        last[d["node"]] = d["value"]
top = max(last.values())
for r in GROUPS[0]:
    emit(PARTITION[1] + 900 * MS + NODES.index(r), r, "var_read", var="x", value=top, op="merge", ok=True)

# Agents: spawned, one migrates, one fails over from the crashed n4, one rebalances.
for a, n in [("a1", "n1"), ("a2", "n2"), ("a3", LEADER2), ("a4", PAUSED), ("a5", LEADER2)]:
    emit(2 * S + NODES.index(n) * 10 * MS, n, "agent_spawn", agent=a)
emit(6 * S, "n2", "agent_migrate_begin", agent="a2", **{"from": "n2"}, to=CRASHED)
emit(6 * S + 400 * MS, CRASHED, "agent_migrate_end", agent="a2", **{"from": "n2"}, to=CRASHED)
emit(CRASH[0], CRASHED, "agent_stop", agent="a2", reason="node_crash")
emit(CRASH[0] + 1700 * MS, PAUSED, "agent_spawn", agent="a2", reason="failover")
emit(22 * S, "n1", "agent_migrate_begin", agent="a1", **{"from": "n1"}, to=LEADER2)
emit(22 * S + 600 * MS, LEADER2, "agent_migrate_end", agent="a1", **{"from": "n1"}, to=LEADER2)

for k in range(40):
    for n in NODES:
        if alive(n, k * S + 500 * MS):
            emit(k * S + 500 * MS, n, "metric", name="queue_len", value=rng.randint(0, 20))

out = sys.stdout
out.write(json.dumps({"trace": "mabeam", "version": 1, "source": "sim", "seed": 7,
                      "scenario": "minority-partition", "nodes": NODES}, separators=(",", ":")) + "\n")
for t, _, d in sorted(events, key=lambda e: (e[0], e[1])):
    out.write(json.dumps(d, separators=(",", ":")) + "\n")
