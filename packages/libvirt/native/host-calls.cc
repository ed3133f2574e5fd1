// Host calls: identity, capabilities, node info, per-pCPU and memory stats, and the
// node memory parameters (KSM's shm_* tunables and counters).
// Memory leaves here in KiB (virNodeGetFreeMemory/CellsFreeMemory report bytes).
#include <cstdlib>
#include <cstring>
#include <vector>

#include "args.h"
#include "connection.h"
#include "typed-params.h"

namespace ballast {

namespace {

Napi::Value StringDone(Napi::Env env, std::string& out) { return Napi::String::New(env, out); }

// Takes a malloc'd string from libvirt.
std::string TakeString(char* text, const char* what) {
  CheckPtr(text, what);
  std::string out(text);
  free(text);
  return out;
}

struct CpuTimes {
  int cpu = 0;
  std::vector<Param> params;
};

// Online pCPU ids: virNodeGetCPUMap, else 0..nodeinfo.cpus-1.
std::vector<int> OnlineCpus(virConnectPtr conn) {
  std::vector<int> cpus;
  unsigned char* map = nullptr;
  unsigned int online = 0;
  int total = virNodeGetCPUMap(conn, &map, &online, 0);
  if (total >= 0 && map != nullptr) {
    for (int i = 0; i < total; i++) {
      if (VIR_CPU_USABLE(map, VIR_CPU_MAPLEN(total), 0, i)) cpus.push_back(i);
    }
    free(map);
    return cpus;
  }
  virResetLastError();
  virNodeInfo info;
  Check(virNodeGetInfo(conn, &info), "virNodeGetInfo");
  for (unsigned int i = 0; i < info.cpus; i++) cpus.push_back(static_cast<int>(i));
  return cpus;
}

double ParamNumber(const std::vector<Param>& params, const char* field, bool* found) {
  for (const Param& p : params) {
    if (p.field == field) {
      *found = true;
      return p.number;
    }
  }
  *found = false;
  return 0;
}

// virNodeGetMemoryParameters: a sizing call, then the values.
std::vector<Param> ReadNodeMemoryParams(virConnectPtr conn) {
  int count = 0;
  Check(virNodeGetMemoryParameters(conn, nullptr, &count, 0), "virNodeGetMemoryParameters");
  return ReadParams(count, [&](virTypedParameterPtr params, int* n) {
    Check(virNodeGetMemoryParameters(conn, params, n, 0), "virNodeGetMemoryParameters");
  });
}

}  // namespace

Napi::Value Connection::GetUri(const Napi::CallbackInfo& info) {
  return Run<std::string>(
      info.Env(), "ballast:libvirt:getUri",
      [](virConnectPtr conn, std::string& out) {
        out = TakeString(virConnectGetURI(conn), "virConnectGetURI");
      },
      StringDone);
}

Napi::Value Connection::GetHostname(const Napi::CallbackInfo& info) {
  return Run<std::string>(
      info.Env(), "ballast:libvirt:getHostname",
      [](virConnectPtr conn, std::string& out) {
        out = TakeString(virConnectGetHostname(conn), "virConnectGetHostname");
      },
      StringDone);
}

Napi::Value Connection::GetCapabilities(const Napi::CallbackInfo& info) {
  return Run<std::string>(
      info.Env(), "ballast:libvirt:getCapabilities",
      [](virConnectPtr conn, std::string& out) {
        out = TakeString(virConnectGetCapabilities(conn), "virConnectGetCapabilities");
      },
      StringDone);
}

Napi::Value Connection::GetLibVersion(const Napi::CallbackInfo& info) {
  return Run<unsigned long>(
      info.Env(), "ballast:libvirt:getLibVersion",
      [](virConnectPtr conn, unsigned long& out) {
        Check(virConnectGetLibVersion(conn, &out), "virConnectGetLibVersion");
      },
      [](Napi::Env env, unsigned long& out) -> Napi::Value {
        return Napi::Number::New(env, static_cast<double>(out));
      });
}

Napi::Value Connection::GetNodeInfo(const Napi::CallbackInfo& info) {
  return Run<virNodeInfo>(
      info.Env(), "ballast:libvirt:getNodeInfo",
      [](virConnectPtr conn, virNodeInfo& out) { Check(virNodeGetInfo(conn, &out), "virNodeGetInfo"); },
      [](Napi::Env env, virNodeInfo& n) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        obj.Set("model", std::string(n.model, strnlen(n.model, sizeof(n.model))));
        obj.Set("memoryKiB", static_cast<double>(n.memory));
        obj.Set("cpus", n.cpus);
        obj.Set("mhz", n.mhz);
        obj.Set("nodes", n.nodes);
        obj.Set("sockets", n.sockets);
        obj.Set("cores", n.cores);
        obj.Set("threads", n.threads);
        return obj;
      });
}

Napi::Value Connection::GetNodeCpuStats(const Napi::CallbackInfo& info) {
  return Run<std::vector<CpuTimes>>(
      info.Env(), "ballast:libvirt:getNodeCpuStats",
      [](virConnectPtr conn, std::vector<CpuTimes>& out) {
        for (int cpu : OnlineCpus(conn)) {
          int n = 0;
          Check(virNodeGetCPUStats(conn, cpu, nullptr, &n, 0), "virNodeGetCPUStats");
          std::vector<virNodeCPUStats> raw(n > 0 ? n : 0);
          if (n > 0) Check(virNodeGetCPUStats(conn, cpu, raw.data(), &n, 0), "virNodeGetCPUStats");
          CpuTimes times;
          times.cpu = cpu;
          for (int i = 0; i < n; i++) {
            Param p;
            p.field = raw[i].field;
            p.type = VIR_TYPED_PARAM_ULLONG;
            p.number = static_cast<double>(raw[i].value);
            times.params.push_back(std::move(p));
          }
          out.push_back(std::move(times));
        }
      },
      [](Napi::Env env, std::vector<CpuTimes>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) {
          Napi::Object obj = Napi::Object::New(env);
          obj.Set("cpu", out[i].cpu);
          const char* keys[][2] = {{VIR_NODE_CPU_STATS_USER, "userNs"},
                                   {VIR_NODE_CPU_STATS_KERNEL, "kernelNs"},
                                   {VIR_NODE_CPU_STATS_IDLE, "idleNs"},
                                   {VIR_NODE_CPU_STATS_IOWAIT, "iowaitNs"}};
          for (auto& key : keys) {
            bool found = false;
            double value = ParamNumber(out[i].params, key[0], &found);
            obj.Set(key[1], found ? value : 0);  // absent only on odd drivers
          }
          arr.Set(static_cast<uint32_t>(i), obj);
        }
        return arr;
      });
}

Napi::Value Connection::GetNodeMemoryStats(const Napi::CallbackInfo& info) {
  return Run<std::vector<Param>>(
      info.Env(), "ballast:libvirt:getNodeMemoryStats",
      [](virConnectPtr conn, std::vector<Param>& out) {
        int n = 0;
        const int cell = VIR_NODE_MEMORY_STATS_ALL_CELLS;
        Check(virNodeGetMemoryStats(conn, cell, nullptr, &n, 0), "virNodeGetMemoryStats");
        std::vector<virNodeMemoryStats> raw(n > 0 ? n : 0);
        if (n > 0) Check(virNodeGetMemoryStats(conn, cell, raw.data(), &n, 0), "virNodeGetMemoryStats");
        for (int i = 0; i < n; i++) {
          Param p;
          p.field = raw[i].field;
          p.type = VIR_TYPED_PARAM_ULLONG;
          p.number = static_cast<double>(raw[i].value);  // already KiB
          out.push_back(std::move(p));
        }
      },
      [](Napi::Env env, std::vector<Param>& out) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        const char* keys[][2] = {{VIR_NODE_MEMORY_STATS_TOTAL, "totalKiB"},
                                 {VIR_NODE_MEMORY_STATS_FREE, "freeKiB"},
                                 {VIR_NODE_MEMORY_STATS_BUFFERS, "buffersKiB"},
                                 {VIR_NODE_MEMORY_STATS_CACHED, "cachedKiB"}};
        for (auto& key : keys) {
          bool found = false;
          double value = ParamNumber(out, key[0], &found);
          if (found) obj.Set(key[1], value);
        }
        return obj;
      });
}

Napi::Value Connection::GetFreeMemory(const Napi::CallbackInfo& info) {
  return Run<unsigned long long>(
      info.Env(), "ballast:libvirt:getFreeMemory",
      [](virConnectPtr conn, unsigned long long& out) {
        unsigned long long bytes = virNodeGetFreeMemory(conn);
        if (bytes == 0) {  // 0 is also the error value
          virErrorPtr err = virGetLastError();
          if (err != nullptr && err->code != VIR_ERR_OK) ThrowLast("virNodeGetFreeMemory");
        }
        out = bytes / 1024;
      },
      [](Napi::Env env, unsigned long long& out) -> Napi::Value {
        return Napi::Number::New(env, static_cast<double>(out));
      });
}

Napi::Value Connection::GetCellsFreeMemory(const Napi::CallbackInfo& info) {
  return Run<std::vector<unsigned long long>>(
      info.Env(), "ballast:libvirt:getCellsFreeMemory",
      [](virConnectPtr conn, std::vector<unsigned long long>& out) {
        const int maxCells = 1024;
        out.resize(maxCells);
        int n = Check(virNodeGetCellsFreeMemory(conn, out.data(), 0, maxCells),
                      "virNodeGetCellsFreeMemory");
        out.resize(n);
        for (auto& bytes : out) bytes /= 1024;
      },
      [](Napi::Env env, std::vector<unsigned long long>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) {
          arr.Set(static_cast<uint32_t>(i), static_cast<double>(out[i]));
        }
        return arr;
      });
}

Napi::Value Connection::GetNodeMemoryParameters(const Napi::CallbackInfo& info) {
  return Run<std::vector<Param>>(
      info.Env(), "ballast:libvirt:getNodeMemoryParameters",
      [](virConnectPtr conn, std::vector<Param>& out) { out = ReadNodeMemoryParams(conn); },
      ParamsDone);
}

Napi::Value Connection::SetNodeMemoryParameters(const Napi::CallbackInfo& info) {
  std::vector<ParamInput> inputs = ReadParamInputs(info, 0, "params");
  return Run<Nothing>(
      info.Env(), "ballast:libvirt:setNodeMemoryParameters",
      [inputs](virConnectPtr conn, Nothing&) {
        // Each value takes the type libvirt reports for its field (UINT/ULLONG).
        std::vector<Param> known = ReadNodeMemoryParams(conn);
        TypedParams params;
        for (const ParamInput& in : inputs) params.AddTyped(in, known, "node memory");
        Check(virNodeSetMemoryParameters(conn, params.get(), params.count(), 0),
              "virNodeSetMemoryParameters");
      },
      ResolveUndefined);
}

}  // namespace ballast
