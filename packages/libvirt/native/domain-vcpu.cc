// vCPU pinning and per-vCPU runtime info. cpumaps are sized from the host's
// CPU count (virNodeGetCPUMap, else nodeinfo).
#include <vector>

#include "args.h"
#include "connection.h"

namespace ballast {

namespace {

int HostCpuCount(virConnectPtr conn) {
  int total = virNodeGetCPUMap(conn, nullptr, nullptr, 0);
  if (total > 0) return total;
  virResetLastError();
  virNodeInfo info;
  Check(virNodeGetInfo(conn, &info), "virNodeGetInfo");
  return static_cast<int>(VIR_NODEINFO_MAXCPUS(info));
}

/** A cpumap of the host's CPUs with `pcpus` set; INVALID_ARG for an empty set or a CPU the host lacks. */
std::vector<unsigned char> CpuMapOf(virConnectPtr conn, const std::vector<uint32_t>& pcpus) {
  if (pcpus.empty()) ThrowError(VIR_ERR_INVALID_ARG, "pcpus must not be empty");
  int hostCpus = HostCpuCount(conn);
  std::vector<unsigned char> map(VIR_CPU_MAPLEN(hostCpus), 0);
  for (uint32_t pcpu : pcpus) {
    if (pcpu >= static_cast<uint32_t>(hostCpus)) {
      ThrowError(VIR_ERR_INVALID_ARG, "pcpu " + std::to_string(pcpu) + " is out of range (host has " +
                                          std::to_string(hostCpus) + " CPUs)");
    }
    VIR_USE_CPU(map.data(), pcpu);
  }
  return map;
}

struct VcpuRow {
  unsigned int number = 0;
  int state = 0;
  unsigned long long cpuTimeNs = 0;
  int cpu = -1;
};

}  // namespace

Napi::Value Connection::PinVcpu(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  unsigned int vcpu = static_cast<unsigned int>(ArgUint(info, 1, "vcpu", 65535));
  std::vector<uint32_t> pcpus = ArgUintArray(info, 2, "pcpus", 65535);
  uint32_t flags = ArgFlags(info, 3, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:pinVcpu", uuid,
      [vcpu, pcpus, flags](virDomainPtr dom, Nothing&) {
        virConnectPtr conn = virDomainGetConnect(dom);
        std::vector<unsigned char> map = CpuMapOf(conn, pcpus);
        Check(virDomainPinVcpuFlags(dom, vcpu, map.data(), static_cast<int>(map.size()), flags),
              "virDomainPinVcpuFlags");
      },
      ResolveUndefined);
}

Napi::Value Connection::GetVcpuPinInfo(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", VIR_DOMAIN_AFFECT_CURRENT);
  return RunOnDomain<std::vector<std::vector<int>>>(
      info.Env(), "ballast:libvirt:getVcpuPinInfo", uuid,
      [flags](virDomainPtr dom, std::vector<std::vector<int>>& out) {
        virConnectPtr conn = virDomainGetConnect(dom);
        int hostCpus = HostCpuCount(conn);
        int vcpus = virDomainGetVcpusFlags(dom, flags | VIR_DOMAIN_VCPU_MAXIMUM);
        if (vcpus < 0) {  // some drivers refuse MAXIMUM with LIVE: fall back to the info
          virResetLastError();
          virDomainInfo di;
          Check(virDomainGetInfo(dom, &di), "virDomainGetInfo");
          vcpus = static_cast<int>(di.nrVirtCpu);
        }
        int maplen = VIR_CPU_MAPLEN(hostCpus);
        std::vector<unsigned char> maps(static_cast<size_t>(vcpus) * maplen, 0);
        int n = Check(virDomainGetVcpuPinInfo(dom, vcpus, maps.data(), maplen, flags),
                      "virDomainGetVcpuPinInfo");
        for (int v = 0; v < n; v++) {
          std::vector<int> cpus;
          for (int c = 0; c < hostCpus; c++) {
            if (VIR_CPU_USABLE(maps.data(), maplen, v, c)) cpus.push_back(c);
          }
          out.push_back(std::move(cpus));
        }
      },
      [](Napi::Env env, std::vector<std::vector<int>>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t v = 0; v < out.size(); v++) {
          Napi::Array cpus = Napi::Array::New(env, out[v].size());
          for (size_t c = 0; c < out[v].size(); c++) cpus.Set(static_cast<uint32_t>(c), out[v][c]);
          arr.Set(static_cast<uint32_t>(v), cpus);
        }
        return arr;
      });
}

Napi::Value Connection::PinEmulator(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  std::vector<uint32_t> pcpus = ArgUintArray(info, 1, "pcpus", 65535);
  uint32_t flags = ArgFlags(info, 2, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:pinEmulator", uuid,
      [pcpus, flags](virDomainPtr dom, Nothing&) {
        virConnectPtr conn = virDomainGetConnect(dom);
        std::vector<unsigned char> map = CpuMapOf(conn, pcpus);
        Check(virDomainPinEmulator(dom, map.data(), static_cast<int>(map.size()), flags),
              "virDomainPinEmulator");
      },
      ResolveUndefined);
}

Napi::Value Connection::GetEmulatorPinInfo(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", VIR_DOMAIN_AFFECT_CURRENT);
  return RunOnDomain<std::vector<int>>(
      info.Env(), "ballast:libvirt:getEmulatorPinInfo", uuid,
      [flags](virDomainPtr dom, std::vector<int>& out) {
        virConnectPtr conn = virDomainGetConnect(dom);
        int hostCpus = HostCpuCount(conn);
        int maplen = VIR_CPU_MAPLEN(hostCpus);
        std::vector<unsigned char> map(static_cast<size_t>(maplen), 0);
        Check(virDomainGetEmulatorPinInfo(dom, map.data(), maplen, flags),
              "virDomainGetEmulatorPinInfo");
        for (int c = 0; c < hostCpus; c++) {
          if (VIR_CPU_USED(map.data(), c)) out.push_back(c);
        }
      },
      [](Napi::Env env, std::vector<int>& out) -> Napi::Value {
        Napi::Array cpus = Napi::Array::New(env, out.size());
        for (size_t c = 0; c < out.size(); c++) cpus.Set(static_cast<uint32_t>(c), out[c]);
        return cpus;
      });
}

Napi::Value Connection::GetVcpus(const Napi::CallbackInfo& info) {
  return RunOnDomain<std::vector<VcpuRow>>(
      info.Env(), "ballast:libvirt:getVcpus", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, std::vector<VcpuRow>& out) {
        virDomainInfo di;
        Check(virDomainGetInfo(dom, &di), "virDomainGetInfo");
        std::vector<virVcpuInfo> raw(di.nrVirtCpu);
        int n = Check(virDomainGetVcpus(dom, raw.data(), static_cast<int>(raw.size()), nullptr, 0),
                      "virDomainGetVcpus");
        for (int i = 0; i < n; i++) {
          out.push_back(VcpuRow{raw[i].number, raw[i].state, raw[i].cpuTime, raw[i].cpu});
        }
      },
      [](Napi::Env env, std::vector<VcpuRow>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) {
          Napi::Object obj = Napi::Object::New(env);
          obj.Set("vcpu", out[i].number);
          obj.Set("state", out[i].state);
          obj.Set("cpuTimeNs", static_cast<double>(out[i].cpuTimeNs));
          obj.Set("cpu", out[i].cpu);
          arr.Set(static_cast<uint32_t>(i), obj);
        }
        return arr;
      });
}

}  // namespace ballast
