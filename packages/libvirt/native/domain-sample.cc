// One domain's per-cycle read in one worker: info, vCPUs and chosen stats
// groups, one libvirt call after the other on the kept handle, so a collector
// issuing one per domain at once has one pool thread and one JS hop per domain
// (as a libvirt-python thread per domain has), not one per call.
#include <vector>

#include "args.h"
#include "connection.h"
#include "typed-params.h"

namespace ballast {

namespace {

struct VcpuSample {
  unsigned int number = 0;
  int state = 0;
  unsigned long long cpuTimeNs = 0;
  int cpu = -1;
};

struct DomainSample {
  virDomainInfo info{};
  bool hasVcpus = false;
  std::vector<VcpuSample> vcpus;
  bool hasStats = false;
  std::string name;
  std::vector<Param> params;
};

constexpr uint32_t kSampleVcpus = 1;

// A failure that must fail the whole read: the domain is gone (WithDomain then
// retries on a fresh lookup) or the connection is. Others (a driver without
// the call, a domain that stopped meanwhile) leave that part out.
bool Fatal(const LvError& e) {
  return e.code == VIR_ERR_NO_DOMAIN || e.code == VIR_ERR_INVALID_CONN ||
         e.code == VIR_ERR_NO_CONNECT || e.domain == VIR_FROM_RPC || e.domain == VIR_FROM_REMOTE;
}

void ReadVcpus(virDomainPtr dom, DomainSample& out) {
  std::vector<virVcpuInfo> raw(out.info.nrVirtCpu);
  int n = Check(virDomainGetVcpus(dom, raw.data(), static_cast<int>(raw.size()), nullptr, 0),
                "virDomainGetVcpus");
  for (int i = 0; i < n; i++) {
    out.vcpus.push_back(VcpuSample{raw[i].number, raw[i].state, raw[i].cpuTime, raw[i].cpu});
  }
  out.hasVcpus = true;
}

void ReadStats(virDomainPtr dom, uint32_t groups, uint32_t flags, DomainSample& out) {
  virDomainPtr doms[] = {dom, nullptr};
  virDomainStatsRecordPtr* records = nullptr;
  int n = Check(virDomainListGetStats(doms, groups, &records, flags), "virDomainListGetStats");
  if (n > 0) {
    const char* name = virDomainGetName(records[0]->dom);  // the record's own (fresh) pointer
    out.name = name != nullptr ? name : "";
    out.params = CopyParams(records[0]->params, records[0]->nparams);
    out.hasStats = true;
  }
  virDomainStatsRecordListFree(records);
}

// Runs one optional part; a non-fatal failure leaves it out.
template <typename Fn>
void Optional(Fn fn) {
  try {
    fn();
  } catch (const LvFailure& failure) {
    if (Fatal(failure.error)) throw;
    virResetLastError();
  }
}

Napi::Value SampleToJs(Napi::Env env, DomainSample& s) {
  Napi::Object obj = Napi::Object::New(env);
  Napi::Object info = Napi::Object::New(env);
  info.Set("state", static_cast<int>(s.info.state));
  info.Set("maxMemKiB", static_cast<double>(s.info.maxMem));
  info.Set("memoryKiB", static_cast<double>(s.info.memory));
  info.Set("nrVirtCpu", static_cast<int>(s.info.nrVirtCpu));
  info.Set("cpuTimeNs", static_cast<double>(s.info.cpuTime));
  obj.Set("info", info);
  if (s.hasVcpus) {
    Napi::Array arr = Napi::Array::New(env, s.vcpus.size());
    for (size_t i = 0; i < s.vcpus.size(); i++) {
      Napi::Object v = Napi::Object::New(env);
      v.Set("vcpu", s.vcpus[i].number);
      v.Set("state", s.vcpus[i].state);
      v.Set("cpuTimeNs", static_cast<double>(s.vcpus[i].cpuTimeNs));
      v.Set("cpu", s.vcpus[i].cpu);
      arr.Set(static_cast<uint32_t>(i), v);
    }
    obj.Set("vcpus", arr);
  }
  if (s.hasStats) {
    obj.Set("name", s.name);
    obj.Set("params", ParamsToJs(env, s.params));
  }
  return obj;
}

}  // namespace

// sampleDomain(uuid, parts, statsGroups, statsFlags): virDomainGetInfo, then
// virDomainGetVcpus (parts & 1) and virDomainListGetStats(statsGroups,
// statsFlags) when statsGroups is not 0.
Napi::Value Connection::SampleDomain(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t parts = ArgFlags(info, 1, "parts", 0);
  uint32_t groups = ArgFlags(info, 2, "statsGroups", 0);
  uint32_t flags = ArgFlags(info, 3, "statsFlags", 0);
  return RunOnDomain<DomainSample>(
      info.Env(), "ballast:libvirt:sampleDomain", uuid,
      [parts, groups, flags](virDomainPtr dom, DomainSample& out) {
        Check(virDomainGetInfo(dom, &out.info), "virDomainGetInfo");
        if (parts & kSampleVcpus) Optional([&] { ReadVcpus(dom, out); });
        if (groups != 0) Optional([&] { ReadStats(dom, groups, flags, out); });
      },
      SampleToJs);
}

}  // namespace ballast
