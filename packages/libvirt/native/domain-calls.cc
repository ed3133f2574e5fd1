// Domain listing, lookup, lifecycle, XML and info. Domains are addressed by UUID.
#include <vector>

#include "args.h"
#include "connection.h"

namespace ballast {

namespace {

Napi::Value SummaryDone(Napi::Env env, DomainSummary& out) { return SummaryToJs(env, out); }


}  // namespace

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgFlags(info, 0, "flags", 0);
  return Run<std::vector<DomainSummary>>(
      info.Env(), "ballast:libvirt:listAllDomains",
      [flags](virConnectPtr conn, std::vector<DomainSummary>& out) {
        virDomainPtr* doms = nullptr;
        int n = Check(virConnectListAllDomains(conn, &doms, flags), "virConnectListAllDomains");
        std::vector<DomainHandle> handles;
        handles.reserve(n);
        for (int i = 0; i < n; i++) handles.emplace_back(doms[i]);
        free(doms);
        out.reserve(n);
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

Napi::Value Connection::LookupByUuid(const Napi::CallbackInfo& info) {
  return RunOnDomain<DomainSummary>(
      info.Env(), "ballast:libvirt:lookupByUuid", ArgNonEmptyString(info, 0, "uuid"),
      [](virDomainPtr dom, DomainSummary& out) { out = Summarize(dom); }, SummaryDone);
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
BALLAST_DOMAIN_OP(Destroy, "destroy", virDomainDestroy)
BALLAST_DOMAIN_OP(Shutdown, "shutdown", virDomainShutdown)
BALLAST_DOMAIN_OP(Suspend, "suspend", virDomainSuspend)
BALLAST_DOMAIN_OP(Resume, "resume", virDomainResume)

#undef BALLAST_DOMAIN_OP

Napi::Value Connection::Undefine(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgFlags(info, 1, "flags", 0);
  return RunOnDomain<Nothing>(
      info.Env(), "ballast:libvirt:undefine", ArgNonEmptyString(info, 0, "uuid"),
      [flags](virDomainPtr dom, Nothing&) {
        Check(virDomainUndefineFlags(dom, flags), "virDomainUndefineFlags");
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
