// Domain listing, lookup, lifecycle, XML and info. Domains are addressed by UUID.
#include <vector>

#include "args.h"
#include "connection.h"

namespace ballast {

namespace {

Napi::Value SummaryDone(Napi::Env env, DomainSummary& out) { return SummaryToJs(env, out); }

// virConnectListAllDomains; every (fresh) handle replaces the cached one, and a
// full list (flags 0) also drops the cached handles of domains no longer there.
std::vector<DomainHandle> ListAndCache(virConnectPtr conn, uint32_t flags, DomainCache& cache) {
  virDomainPtr* doms = nullptr;
  int n = Check(virConnectListAllDomains(conn, &doms, flags), "virConnectListAllDomains");
  std::vector<DomainHandle> handles;
  handles.reserve(n);
  for (int i = 0; i < n; i++) handles.emplace_back(doms[i]);
  free(doms);
  std::vector<std::string> uuids;
  uuids.reserve(n);
  for (const DomainHandle& dom : handles) {
    uuids.push_back(UuidOf(dom.get()));
    cache.Put(uuids.back(), dom.get());
  }
  if (flags == 0) cache.Retain(uuids);
  return handles;
}

struct DomainRef {
  std::string uuid;
  std::string name;
  int id = -1;
};


}  // namespace

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgFlags(info, 0, "flags", 0);
  return Run<std::vector<DomainSummary>>(
      info.Env(), "ballast:libvirt:listAllDomains",
      [flags, cache = domains_](virConnectPtr conn, std::vector<DomainSummary>& out) {
        std::vector<DomainHandle> handles = ListAndCache(conn, flags, *cache);
        out.reserve(handles.size());
        for (const DomainHandle& dom : handles) {
          try {
            out.push_back(Summarize(dom.get()));
          } catch (const LvFailure& failure) {
            // Undefined between the list and the state query: leave it out.
            if (failure.error.code != VIR_ERR_NO_DOMAIN) throw;
          }
        }
      },
      [](Napi::Env env, std::vector<DomainSummary>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) arr.Set(static_cast<uint32_t>(i), SummaryToJs(env, out[i]));
        return arr;
      });
}

Napi::Value Connection::LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgNonEmptyString(info, 0, "name");
  return Run<DomainSummary>(
      info.Env(), "ballast:libvirt:lookupByName",
      [name](virConnectPtr conn, DomainSummary& out) {
        DomainHandle dom(CheckPtr(virDomainLookupByName(conn, name.c_str()), "virDomainLookupByName"));
        out = Summarize(dom.get());
      },
      SummaryDone);
}

Napi::Value Connection::ListDomainRefs(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgFlags(info, 0, "flags", 0);
  return Run<std::vector<DomainRef>>(
      info.Env(), "ballast:libvirt:listDomainRefs",
      [flags, cache = domains_](virConnectPtr conn, std::vector<DomainRef>& out) {
        std::vector<DomainHandle> handles = ListAndCache(conn, flags, *cache);
        out.reserve(handles.size());
        for (const DomainHandle& dom : handles) {  // fresh pointers: their local data is current
          DomainRef ref;
          ref.uuid = UuidOf(dom.get());
          const char* name = virDomainGetName(dom.get());
          ref.name = name != nullptr ? name : "";
          unsigned int id = virDomainGetID(dom.get());
          ref.id = id == static_cast<unsigned int>(-1) ? -1 : static_cast<int>(id);
          out.push_back(std::move(ref));
        }
      },
      [](Napi::Env env, std::vector<DomainRef>& out) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, out.size());
        for (size_t i = 0; i < out.size(); i++) {
          Napi::Object obj = Napi::Object::New(env);
          obj.Set("uuid", out[i].uuid);
          obj.Set("name", out[i].name);
          obj.Set("id", out[i].id);
          arr.Set(static_cast<uint32_t>(i), obj);
        }
        return arr;
      });
}

// Always a fresh lookup (the summary's name and id are the pointer's local
// data, stale on a cached handle after a rename or restart); it refreshes the
// cached handle.
Napi::Value Connection::LookupByUuid(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  return Run<DomainSummary>(
      info.Env(), "ballast:libvirt:lookupByUuid",
      [uuid, cache = domains_](virConnectPtr conn, DomainSummary& out) {
        DomainHandle dom = FindDomain(conn, uuid);
        cache->Put(uuid, dom.get());
        out = Summarize(dom.get());
      },
      SummaryDone);
}

Napi::Value Connection::DefineXml(const Napi::CallbackInfo& info) {
  std::string xml = ArgNonEmptyString(info, 0, "xml");
  return Run<DomainSummary>(
      info.Env(), "ballast:libvirt:defineXML",
      [xml](virConnectPtr conn, DomainSummary& out) {
        DomainHandle dom(CheckPtr(virDomainDefineXML(conn, xml.c_str()), "virDomainDefineXML"));
        out = Summarize(dom.get());
      },
      SummaryDone);
}

Napi::Value Connection::CreateXml(const Napi::CallbackInfo& info) {
  std::string xml = ArgNonEmptyString(info, 0, "xml");
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return Run<DomainSummary>(
      info.Env(), "ballast:libvirt:createXML",
      [xml, flags](virConnectPtr conn, DomainSummary& out) {
        DomainHandle dom(
            CheckPtr(virDomainCreateXML(conn, xml.c_str(), flags), "virDomainCreateXML"));
        out = Summarize(dom.get());
      },
      SummaryDone);
}

#define BALLAST_DOMAIN_OP(Method, jsName, call)                                               \
  Napi::Value Connection::Method(const Napi::CallbackInfo& info) {                            \
    return RunOnDomain<Nothing>(                                                              \
        info.Env(), "ballast:libvirt:" jsName, ArgNonEmptyString(info, 0, "uuid"),            \
        [](virDomainPtr dom, Nothing&) { Check(call(dom), #call); }, ResolveUndefined);       \
  }

BALLAST_DOMAIN_OP(Create, "create", virDomainCreate)
BALLAST_DOMAIN_OP(Shutdown, "shutdown", virDomainShutdown)
BALLAST_DOMAIN_OP(Suspend, "suspend", virDomainSuspend)
BALLAST_DOMAIN_OP(Resume, "resume", virDomainResume)

#undef BALLAST_DOMAIN_OP

// Destroy and undefine drop the cached handle once done: a destroyed transient
// domain and an undefined inactive one are gone.
Napi::Value Connection::Destroy(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  return Run<Nothing>(
      info.Env(), "ballast:libvirt:destroy",
      [uuid, cache = domains_](virConnectPtr conn, Nothing& out) {
        auto fn = [](virDomainPtr dom, Nothing&) { Check(virDomainDestroy(dom), "virDomainDestroy"); };
        WithDomain(*cache, conn, uuid, fn, out);
        cache->Evict(uuid);
      },
      ResolveUndefined);
}

Napi::Value Connection::Undefine(const Napi::CallbackInfo& info) {
  std::string uuid = ArgNonEmptyString(info, 0, "uuid");
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return Run<Nothing>(
      info.Env(), "ballast:libvirt:undefine",
      [uuid, flags, cache = domains_](virConnectPtr conn, Nothing& out) {
        auto fn = [flags](virDomainPtr dom, Nothing&) {
          Check(virDomainUndefineFlags(dom, flags), "virDomainUndefineFlags");
        };
        WithDomain(*cache, conn, uuid, fn, out);
        cache->Evict(uuid);
      },
      ResolveUndefined);
}

Napi::Value Connection::GetXmlDesc(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return RunOnDomain<std::string>(
      info.Env(), "ballast:libvirt:getXMLDesc", ArgNonEmptyString(info, 0, "uuid"),
      [flags](virDomainPtr dom, std::string& out) {
        char* xml = CheckPtr(virDomainGetXMLDesc(dom, flags), "virDomainGetXMLDesc");
        out = xml;
        free(xml);
      },
      [](Napi::Env env, std::string& out) -> Napi::Value { return Napi::String::New(env, out); });
}

Napi::Value Connection::GetDomainInfo(const Napi::CallbackInfo& info) {
  return RunOnDomain<virDomainInfo>(
      info.Env(), "ballast:libvirt:getDomainInfo", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, virDomainInfo& out) { Check(virDomainGetInfo(dom, &out), "virDomainGetInfo"); },
      [](Napi::Env env, virDomainInfo& d) -> Napi::Value {
        Napi::Object obj = Napi::Object::New(env);
        obj.Set("state", static_cast<int>(d.state));
        obj.Set("maxMemKiB", static_cast<double>(d.maxMem));
        obj.Set("memoryKiB", static_cast<double>(d.memory));
        obj.Set("nrVirtCpu", static_cast<int>(d.nrVirtCpu));
        obj.Set("cpuTimeNs", static_cast<double>(d.cpuTime));
        return obj;
      });
}

}  // namespace ballast
