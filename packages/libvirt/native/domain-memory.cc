// Balloon: memory stats (KiB), stats period, live memory target (KiB).
#include <utility>
#include <vector>

#include "args.h"
#include "connection.h"

namespace ballast {

namespace {

using TagValues = std::vector<std::pair<int, unsigned long long>>;

const char* MemoryStatName(int tag) {
  switch (tag) {
    case VIR_DOMAIN_MEMORY_STAT_SWAP_IN: return "swapInKiB";
    case VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: return "swapOutKiB";
    case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: return "majorFaults";
    case VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT: return "minorFaults";
    case VIR_DOMAIN_MEMORY_STAT_UNUSED: return "unusedKiB";
    case VIR_DOMAIN_MEMORY_STAT_AVAILABLE: return "availableKiB";
    case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON: return "actualKiB";
    case VIR_DOMAIN_MEMORY_STAT_RSS: return "rssKiB";
    case VIR_DOMAIN_MEMORY_STAT_USABLE: return "usableKiB";
    case VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: return "lastUpdateSec";
    case VIR_DOMAIN_MEMORY_STAT_DISK_CACHES: return "diskCachesKiB";
    case VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC: return "hugetlbPgAlloc";
    case VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL: return "hugetlbPgFail";
    default: return nullptr;
  }
}

}  // namespace

Napi::Value Connection::MemoryStats(const Napi::CallbackInfo& info) {
  return RunOnDomain<TagValues>(
      info.Env(), "ballast:libvirt:memoryStats", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, TagValues& out) {
        virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
        int n = Check(virDomainMemoryStats(dom, stats, VIR_DOMAIN_MEMORY_STAT_NR, 0),
                      "virDomainMemoryStats");
        for (int i = 0; i < n; i++) out.emplace_back(stats[i].tag, stats[i].val);
      },
      [](Napi::Env env, TagValues& out) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        for (const auto& [tag, value] : out) {
          const char* name = MemoryStatName(tag);
          if (name != nullptr) obj.Set(name, static_cast<double>(value));
        }
        return obj;
      });
}

Napi::Value Connection::SetMemoryStatsPeriod(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  int period = static_cast<int>(ArgUint(info, 1, "periodSec", 2147483647));
  uint32_t flags = ArgFlags(info, 2, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:setMemoryStatsPeriod", uuid,
      [period, flags](virDomainPtr dom, Nothing&) {
        Check(virDomainSetMemoryStatsPeriod(dom, period, flags), "virDomainSetMemoryStatsPeriod");
      },
      ResolveUndefined);
}

// Starts QEMU's dirty-rate measurement over `seconds` (page sampling); the result comes with the next
// bulk stats that ask for the dirtyrate group (dirtyrate.megabytes_per_second once calc_status is 2).
Napi::Value Connection::StartDirtyRateCalc(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  int seconds = static_cast<int>(ArgUint(info, 1, "seconds", 60));
  uint32_t flags = ArgFlags(info, 2, "flags", 0);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:startDirtyRateCalc", uuid,
      [seconds, flags](virDomainPtr dom, Nothing&) {
        Check(virDomainStartDirtyRateCalc(dom, seconds, flags), "virDomainStartDirtyRateCalc");
      },
      ResolveUndefined);
}

Napi::Value Connection::SetMemory(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  unsigned long memoryKiB = static_cast<unsigned long>(ArgUint(info, 1, "memoryKiB", kMaxSafeInteger));
  uint32_t flags = ArgFlags(info, 2, "flags", VIR_DOMAIN_AFFECT_LIVE);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:setMemory", uuid,
      [memoryKiB, flags](virDomainPtr dom, Nothing&) {
        Check(virDomainSetMemoryFlags(dom, memoryKiB, flags), "virDomainSetMemoryFlags");
      },
      ResolveUndefined);
}

}  // namespace ballast
