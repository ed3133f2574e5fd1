// Bulk stats: one virConnectGetAllDomainStats call for every domain, or one
// virDomainListGetStats for given domains (from cached handles). Callers on a
// busy host pass VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT so a domain with a
// stuck monitor job is reported without its job-bound stats instead of holding
// this pool thread.
#include <unordered_set>
#include <vector>

#include "args.h"
#include "connection.h"
#include "typed-params.h"

namespace ballast {

namespace {

struct StatsRecord {
  std::string uuid;
  std::string name;
  std::vector<Param> params;
};

class RecordList {
 public:
  RecordList() = default;
  RecordList(const RecordList&) = delete;
  RecordList& operator=(const RecordList&) = delete;
  ~RecordList() {
    if (records != nullptr) virDomainStatsRecordListFree(records);
  }
  virDomainStatsRecordPtr* records = nullptr;
};

// Copies the records; the names come from the records' own (fresh) pointers.
void CopyRecords(virDomainStatsRecordPtr* records, int n, std::vector<StatsRecord>& out) {
  for (int i = 0; i < n; i++) {
    virDomainStatsRecordPtr rec = records[i];
    StatsRecord copy;
    copy.uuid = UuidOf(rec->dom);
    const char* name = virDomainGetName(rec->dom);
    copy.name = name != nullptr ? name : "";
    copy.params = CopyParams(rec->params, rec->nparams);
    out.push_back(std::move(copy));
  }
}

Napi::Value RecordsToJs(Napi::Env env, std::vector<StatsRecord>& out) {
  Napi::Array arr = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); i++) {
    Napi::Object obj = Napi::Object::New(env);
    obj.Set("uuid", out[i].uuid);
    obj.Set("name", out[i].name);
    obj.Set("params", ParamsToJs(env, out[i].params));
    arr.Set(static_cast<uint32_t>(i), obj);
  }
  return arr;
}

// virDomainListGetStats over the handles of `uuids` (cached, else looked up;
// a domain not found is left out). Returns the uuids that came from the cache
// and got no record: libvirt skips domains that are gone.
std::vector<std::string> ListGetStats(virConnectPtr conn, DomainCache& cache,
                                      const std::vector<std::string>& uuids, uint32_t stats,
                                      uint32_t flags, std::vector<StatsRecord>& out) {
  std::vector<DomainHandle> handles;
  std::vector<std::string> fromCache;
  for (const std::string& uuid : uuids) {
    bool cached = false;
    try {
      handles.push_back(cache.Acquire(conn, uuid, &cached));
    } catch (const LvFailure& failure) {
      if (failure.error.code != VIR_ERR_NO_DOMAIN) throw;
      virResetLastError();
      continue;
    }
    if (cached) fromCache.push_back(uuid);
  }
  if (handles.empty()) return {};
  std::vector<virDomainPtr> doms;
  for (const DomainHandle& h : handles) doms.push_back(h.get());
  doms.push_back(nullptr);  // the list is NULL-terminated
  RecordList list;
  int n = Check(virDomainListGetStats(doms.data(), stats, &list.records, flags),
                "virDomainListGetStats");
  size_t before = out.size();
  CopyRecords(list.records, n, out);
  std::unordered_set<std::string> got;
  for (size_t i = before; i < out.size(); i++) got.insert(out[i].uuid);
  std::vector<std::string> missing;
  for (const std::string& uuid : fromCache) {
    if (got.count(uuid) == 0) missing.push_back(uuid);
  }
  return missing;
}

}  // namespace

// A cached handle whose domain is gone (or was redefined) gets no record: it is
// evicted and those domains are asked once more through fresh lookups.
Napi::Value Connection::GetDomainStats(const Napi::CallbackInfo& info) {
  std::vector<std::string> uuids = ArgStringArray(info, 0, "uuids");
  uint32_t stats = ArgFlags(info, 1, "stats", 0);
  uint32_t flags = ArgFlags(info, 2, "flags", 0);
  return Run<std::vector<StatsRecord>>(
      info.Env(), "ballast:libvirt:getDomainStats",
      [uuids, stats, flags, cache = domains_](virConnectPtr conn, std::vector<StatsRecord>& out) {
        std::vector<std::string> missing = ListGetStats(conn, *cache, uuids, stats, flags, out);
        if (missing.empty()) return;
        for (const std::string& uuid : missing) cache->Evict(uuid);
        ListGetStats(conn, *cache, missing, stats, flags, out);
      },
      RecordsToJs);
}

Napi::Value Connection::GetAllDomainStats(const Napi::CallbackInfo& info) {
  uint32_t stats = ArgFlags(info, 0, "stats", 0);
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return Run<std::vector<StatsRecord>>(
      info.Env(), "ballast:libvirt:getAllDomainStats",
      [stats, flags](virConnectPtr conn, std::vector<StatsRecord>& out) {
        RecordList list;
        int n = Check(virConnectGetAllDomainStats(conn, stats, &list.records, flags),
                      "virConnectGetAllDomainStats");
        out.reserve(n);
        CopyRecords(list.records, n, out);
      },
      RecordsToJs);
}

}  // namespace ballast
