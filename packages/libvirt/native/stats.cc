// Bulk stats: one virConnectGetAllDomainStats call for every domain. Callers
// on a busy host pass VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT so a domain with
// a stuck monitor job is reported without its job-bound stats instead of
// holding this pool thread.
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

}  // namespace

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
        for (int i = 0; i < n; i++) {
          virDomainStatsRecordPtr rec = list.records[i];
          StatsRecord copy;
          copy.uuid = UuidOf(rec->dom);
          const char* name = virDomainGetName(rec->dom);
          copy.name = name != nullptr ? name : "";
          copy.params = CopyParams(rec->params, rec->nparams);
          out.push_back(std::move(copy));
        }
      },
      [](Napi::Env env, std::vector<StatsRecord>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) {
          Napi::Object obj = Napi::Object::New(env);
          obj.Set("uuid", out[i].uuid);
          obj.Set("name", out[i].name);
          obj.Set("params", ParamsToJs(env, out[i].params));
          arr.Set(static_cast<uint32_t>(i), obj);
        }
        return arr;
      });
}

}  // namespace ballast
