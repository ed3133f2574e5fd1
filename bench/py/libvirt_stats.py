#!/usr/bin/python3
"""libvirt's own client (libvirt-python, Debian python3-libvirt) doing the same reads as the binding bench:
bulk, per domain serially (info + memoryStats + vcpus, as MOM polls), the same on one thread per domain, and
domainListGetStats (state, cpu, vcpu, balloon) of one domain per thread.
Prints JSON: {variant: [ms per run, ...]}. Usage: libvirt_stats.py URI RUNS"""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import libvirt

uri, runs = sys.argv[1], int(sys.argv[2])
conn = libvirt.openReadOnly(uri)
ALL = libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_VCPU | libvirt.VIR_DOMAIN_STATS_BALLOON
NO_BALLOON = ALL & ~libvirt.VIR_DOMAIN_STATS_BALLOON
FLAGS = libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | (1 << 29)  # NOWAIT


def per_domain(dom):
    dom.info()
    dom.memoryStats()
    dom.vcpus()


def list_get_stats(dom):
    conn.domainListGetStats([dom], ALL, 1 << 29)  # NOWAIT


def timed(fn):
    out = []
    fn()  # warm-up
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


doms = [d for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
pool = ThreadPoolExecutor(max_workers=max(1, len(doms)))
result = {
    "bulk": timed(lambda: conn.getAllDomainStats(ALL, FLAGS)),
    "bulk-no-balloon": timed(lambda: conn.getAllDomainStats(NO_BALLOON, FLAGS)),
    "serial": timed(lambda: [per_domain(d) for d in doms]),
    "threads": timed(lambda: list(pool.map(per_domain, doms))),
    "list-stats-threads": timed(lambda: list(pool.map(list_get_stats, doms))),
    "vms": len(doms),
}
print(json.dumps(result))
