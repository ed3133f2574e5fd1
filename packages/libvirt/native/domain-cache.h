// Per-connection cache of domain handles: uuid -> virDomainPtr, so a per-domain
// call skips the virDomainLookupByUUIDString round trip that libvirt-python's
// kept handles skip too.
//
// Thread-safe (worker threads, the event-loop thread, the JS thread). The cache
// owns one reference (virDomainRef) on each pointer; Acquire hands the caller
// its own reference. Entries go on undefine/destroy through this connection,
// on UNDEFINED/STOPPED/renamed lifecycle events, when a call on a cached
// handle fails with VIR_ERR_NO_DOMAIN (WithDomain then retries once with a
// fresh lookup), on a full listAllDomains (only listed domains stay), and all
// on close.
//
// A cached pointer's local data (virDomainGetName, virDomainGetID) is what it
// was at lookup time: stale after a rename or a restart. Drivers address the
// domain by UUID, so calls are right, but nothing may return those local
// values from a cached handle: summaries and names come from fresh pointers
// (lookups, lists, stats records).
#pragma once

#include <libvirt/libvirt.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain-handle.h"
#include "errors.h"

namespace ballast {

class DomainCache {
 public:
  DomainCache() = default;
  DomainCache(const DomainCache&) = delete;
  DomainCache& operator=(const DomainCache&) = delete;
  ~DomainCache() { Clear(); }

  // A handle (own reference) for uuid: the cached one, else a fresh lookup that
  // is cached. *cached says which. Throws LvFailure (NO_DOMAIN when missing).
  DomainHandle Acquire(virConnectPtr conn, const std::string& uuid, bool* cached);
  // Caches a fresh pointer for uuid (takes a reference of its own), replacing
  // any older one.
  void Put(const std::string& uuid, virDomainPtr dom);
  // Drops uuid's entry; with `only` set, only if the entry is still that pointer.
  void Evict(const std::string& uuid, virDomainPtr only = nullptr);
  // Keeps only the entries whose uuid is in `live`.
  void Retain(const std::vector<std::string>& live);
  // Drops every entry.
  void Clear();
  // Drops every entry and caches nothing from now on (close: a cached handle
  // holds a reference on the connection).
  void Shutdown();
  size_t Size();

 private:
  std::mutex mu_;
  bool shutdown_ = false;
  std::unordered_map<std::string, virDomainPtr> map_;
};

// Runs fn(dom, out) on uuid's cached handle; a VIR_ERR_NO_DOMAIN failure on a
// cached handle evicts it and runs fn once more on a fresh lookup (with `out`
// reset). A NO_DOMAIN from a fresh lookup is the answer.
template <typename R, typename Fn>
void WithDomain(DomainCache& cache, virConnectPtr conn, const std::string& uuid, Fn& fn,
                R& out) {
  bool cached = false;
  DomainHandle dom = cache.Acquire(conn, uuid, &cached);
  try {
    fn(dom.get(), out);
    return;
  } catch (const LvFailure& failure) {
    if (!cached || failure.error.code != VIR_ERR_NO_DOMAIN) throw;
  }
  cache.Evict(uuid, dom.get());
  virResetLastError();
  out = R{};
  DomainHandle fresh = cache.Acquire(conn, uuid, &cached);
  fn(fresh.get(), out);
}

}  // namespace ballast
